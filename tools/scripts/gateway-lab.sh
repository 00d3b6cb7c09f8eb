# Sourced by demo-gateway.sh and tools/bench/gateway-bench.sh: a gateway (agent/GATEWAY.md) on the
# emulated UICC in slot 0 with its IV-SED, the lab network knowing only the gateway, and the
# devices behind it (a card in another slot, or software-only). The caller sets `root`, `run_dir`
# (emptied here) and the tools `m2m`, `netsim`, `cardsim`, and stops what `gw_pids` and
# `gw_slots` hold on exit (gw_stop_all).
#   gw_start_network                         the NSCL's policy key, then m2m-netsim serve (ports 0)
#   gw_provision_gateway                     slot 0: M2M-SED + IV-SED (policy key: the NSCL's)
#   gw_write_gateway_config [TOML lines for [gateway]...]
#   gw_start_gateway                         runs the gateway agent, waits for "registered"
#   gw_provision_card_device SLOT NODE_ID NAME   a device with a card (IV-SED: the gateway's key)
#   gw_soft_device NODE_ID NAME              a software-only device (m2m soft-device create)
#   gw_write_device_config NAME [TOML lines for [agent]...]
#   gw_start_agent NAME                      runs NAME's agent (config NAME.toml) in the background

gw_pids=()
gw_slots=()

gw_stop_all() {
  local p i
  # Devices and the gateway first (SIGTERM: each ends its secure channel), the network last.
  for ((i = ${#gw_pids[@]} - 1; i >= 0; i--)); do
    p=${gw_pids[$i]}
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for s in "${gw_slots[@]}"; do "$cardsim" stop --slot "$s" >/dev/null 2>&1 || true; done
}

gw_reader() { printf 'Virtual PCD 00 %02d' "$1"; }

# One expression over NAME's status (d), or nothing while it has none.
gw_status() {
  "$m2m" agent status --config "$run_dir/$1.toml" --json 2>/dev/null |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$2" 2>/dev/null || true
}

gw_wait() {  # gw_wait SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "FAILED: $what (waited ${seconds}s)" >&2
      return 1
    fi
    sleep 0.2
  done
}

gw_start_network() {
  mkdir -p "$run_dir/iv"
  "$netsim" policy-key --db "$run_dir/lab.db" >"$run_dir/iv/nscl-policy.pem"
  "$m2m" integrity keygen --out "$run_dir/iv/sp.key" --cert "$run_dir/iv/sp.pem" \
    --cn "Gateway demo SP reference values" >/dev/null
}

gw_serve_network() {
  "$netsim" serve --db "$run_dir/lab.db" --msbf 127.0.0.1:0 --connection 127.0.0.1:0 \
    --mid 127.0.0.1:0 --ready-file "$run_dir/netsim-ready.json" "$@" 2>"$run_dir/netsim.log" &
  gw_pids+=($!)
  gw_wait 20 "m2m-netsim ready" test -f "$run_dir/netsim-ready.json"
  read -r nscl_msbf nscl_conn nscl_mid < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["msbf"], d["connection"], d["mid"])' "$run_dir/netsim-ready.json")
}

# A card in SLOT with a profile of PROFILE_TOML (+ the [iv_sed] section built here) whose manifest
# has OBJECTS (sign-manifest --object values); keys to NAME-keys.json, NAME-kmsa.key, NAME-kmsa-iv.key.
gw_provision() {
  local slot=$1 name=$2 profile_in=$3 policy_key=$4
  shift 4
  local iv=$run_dir/iv
  "$cardsim" start --slot "$slot" --image "$run_dir/$name-card.img" \
    --profile "$run_dir/$name-card.properties" >/dev/null
  gw_slots+=("$slot")
  "$m2m" integrity sign-manifest --key "$iv/sp.key" --cert "$iv/sp.pem" --version 1 "$@" \
    --out "$iv/$name-manifest-1.cose" >/dev/null
  {
    cat "$profile_in"
    printf '\n[iv_sed]\nkmsa_iv = "generate"\nreference_key = "%s"\npolicy_key = "%s"\nmanifest = "%s"\n' \
      "$iv/sp.pem" "$policy_key" "$iv/$name-manifest-1.cose"
  } >"$run_dir/$name-profile.toml"
  "$m2m" provision --reader "$(gw_reader "$slot")" --profile "$run_dir/$name-profile.toml" \
    --kmsa-file "$run_dir/$name-kmsa.key" --kmsa-iv-file "$run_dir/$name-kmsa-iv.key" \
    --export-keys "$run_dir/$name-keys.json"
}

gw_provision_gateway() {
  sed 's/^card\.iccid=.*/card.iccid=89882110000000000018/' \
    "$root/testdata/cards/uicc-default.properties" >"$run_dir/gateway-card.properties"
  mkdir -p "$run_dir/gateway-root"
  gw_provision 0 gateway "$root/testdata/profiles/test-sim.toml" "$run_dir/iv/nscl-policy.pem" \
    --object "@agent=$m2m:required:report"
  "$netsim" import --db "$run_dir/lab.db" "$run_dir/gateway-keys.json" >/dev/null
  gateway_node=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["node_id"].lower())' \
    "$run_dir/gateway-keys.json")
  # The gateway's own decision key: a device's IV-SED checks the gateway's decisions with it.
  "$m2m" integrity keygen --out "$run_dir/gateway-policy.key" >/dev/null
  openssl pkey -in "$run_dir/gateway-policy.key" -pubout -out "$run_dir/iv/gateway-policy.pem"
}

gw_write_gateway_config() {
  cat >"$run_dir/gateway.toml" <<EOF
[card]
reader = "$(gw_reader 0)"
kmsa_file = "gateway-kmsa.key"

[network]
msbf = "https://msbf.lab.m2m:$nscl_msbf"
connection = "https://nscl.lab.m2m:$nscl_conn"
mid = "https://nscl.lab.m2m:$nscl_mid/m2m"
resolve = ["msbf.lab.m2m:$nscl_msbf:127.0.0.1", "nscl.lab.m2m:$nscl_conn:127.0.0.1", "nscl.lab.m2m:$nscl_mid:127.0.0.1"]

[agent]
state_dir = "gateway-state"
application = "gateway"
container = "readings"
report_interval_ms = 3000
bootstrap = "tls"

[retry]
initial_ms = 300
cap_ms = 2000

[integrity]
enabled = true
root = "gateway-root"
kmsa_iv_file = "gateway-kmsa-iv.key"
manifest = "iv/gateway-manifest-1.cose"

[gateway]
enabled = true
listen = "127.0.0.1"
connection_port = 0
mid_port = 0
devices = "devices.json"
policy_key = "gateway-policy.key"
EOF
  local line
  for line in "$@"; do printf '%s\n' "$line" >>"$run_dir/gateway.toml"; done
}

gw_start_gateway() {
  "$m2m" agent run --config "$run_dir/gateway.toml" 2>"$run_dir/gateway.log" &
  gateway_pid=$!
  gw_pids+=("$gateway_pid")
  gw_wait 60 "the gateway registered at the NSCL" \
    gw_alive_and "$gateway_pid" "$run_dir/gateway.log" eval '[ "$(gw_status gateway "d[\"state\"]")" = registered ]'
  read -r dia_conn dia_mid < <(gw_status gateway '"%d %d" % (d["gateway"]["connection_port"], d["gateway"]["mid_port"])')
  [ -n "$dia_conn" ] && [ "$dia_conn" != 0 ] || { echo "FAILED: no dIa ports in the gateway's status" >&2; return 1; }
}

# gw_alive_and PID LOG COMMAND...: COMMAND, failing the whole run when PID has died.
gw_alive_and() {
  local pid=$1 log=$2
  shift 2
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAILED: process $pid stopped; its log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  "$@"
}

# A device with a card: its own Node-ID, its SCL-ID m2m:scl/<node id> (the NSCL names a gateway's
# device by it), Kmr pre-provisioned, its IV-SED trusting the gateway's decisions; its manifest
# measures OBJECTS (files under NAME-root/).
gw_provision_card_device() {
  local slot=$1 node=$2 name=$3
  shift 3
  sed "s/^card\.iccid=.*/card.iccid=898821100000000$(printf %03d $((slot + 1)))8/" \
    "$root/testdata/cards/uicc-default.properties" >"$run_dir/$name-card.properties"
  sed -e "s|^node_id = .*|node_id = \"$node\"|" -e "s|^scl_id = .*|scl_id = \"m2m:scl/$node\"|" \
    "$root/testdata/profiles/test-sim.toml" >"$run_dir/$name-sim.toml"
  gw_provision "$slot" "$name" "$run_dir/$name-sim.toml" "$run_dir/iv/gateway-policy.pem" "$@"
  "$m2m" gateway add-device --devices "$run_dir/devices.json" "$run_dir/$name-keys.json"
  gw_card_slot[$name]=$slot
}
declare -A gw_card_slot=()

gw_soft_device() {
  local node=$1 name=$2
  "$m2m" soft-device create --out "$run_dir/$name-key.json" --scl-id "m2m:scl/$node" --node-id "$node"
  "$m2m" gateway add-device --devices "$run_dir/devices.json" --software "$run_dir/$name-key.json"
}

# The device's agent: the gateway's dIa endpoints, no bootstrap (Kmr pre-provisioned).
gw_write_device_config() {
  local name=$1
  shift
  local file=$run_dir/$name.toml
  if [ -n "${gw_card_slot[$name]:-}" ]; then
    printf '[card]\nreader = "%s"\nkmsa_file = "%s-kmsa.key"\n' \
      "$(gw_reader "${gw_card_slot[$name]}")" "$name" >"$file"
  else
    printf '[card]\nkind = "software"\nkey_file = "%s-key.json"\n' "$name" >"$file"
  fi
  cat >>"$file" <<EOF

[network]
connection = "https://127.0.0.1:$dia_conn"
mid = "https://127.0.0.1:$dia_mid/m2m"

[agent]
state_dir = "$name-state"
application = "telemetry"
container = "readings"
report_interval_ms = 1000
bootstrap = "none"
EOF
  local line
  for line in "$@"; do printf '%s\n' "$line" >>"$file"; done
  cat >>"$file" <<EOF

[retry]
initial_ms = 300
cap_ms = 2000
EOF
  if [ -n "${gw_card_slot[$name]:-}" ]; then
    cat >>"$file" <<EOF

[integrity]
enabled = true
root = "$name-root"
kmsa_iv_file = "$name-kmsa-iv.key"
manifest = "iv/$name-manifest-1.cose"
EOF
  fi
}

gw_start_agent() {
  local name=$1
  "$m2m" agent run --config "$run_dir/$name.toml" 2>"$run_dir/$name.log" &
  gw_pids+=($!)
  eval "${name//-/_}_pid=\$!"
}
