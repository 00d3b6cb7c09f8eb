# Sourced by the bench scripts and the soak: emulated UICCs (behind pcscd + vpcd), each
# personalised with the test profile, and one m2m-netsim on loopback knowing their keys; everything
# stopped and removed on exit.
#   start_lab [extra m2m-netsim serve options]     the card in slot 0, then the network
#   start_pcscd_for_slots N                         (before start_card) N card slots, see below
#   start_card SLOT                                 one more card, its keys imported (before start_netsim)
#   start_netsim [extra m2m-netsim serve options]   e.g. --bsf 127.0.0.1:0 [--auc builtin]: the BSF,
#                                                   and serve starts (and stops) osmo-hlr itself
#   write_agent_config FILE [--slot N] [TOML lines after "[agent] state_dir"...]   (after the network)
# sets: m2m netsim cardsim bench (tools), dir (lab.db; slot 0's kmsa.key and keys.json, card<N>/ for
# the others), reader (slot 0's), msbf conn mid bsf (the ports; bsf 0 without --bsf), pids (background processes, stopped on
# exit; netsim first).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
m2m=$build_dir/tools/m2m
netsim=$build_dir/tools/netsim/m2m-netsim
cardsim=$build_dir/tools/cardsim/m2m-cardsim
bench=$build_dir/tools/bench/m2m-bench
reader="Virtual PCD 00 00"
dir=$(mktemp -d /tmp/m2m-bench.XXXXXX)
pids=()
card_slots=()
own_pcscd=""
stop_lab() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for s in "${card_slots[@]}"; do "$cardsim" stop --slot "$s" >/dev/null 2>&1 || true; done
  if [ -n "$own_pcscd" ]; then
    kill "$own_pcscd" 2>/dev/null || true
    wait "$own_pcscd" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop_lab EXIT

# vpcd gives each reader of pcscd's configuration two slots on consecutive ports (slot N of
# m2m-cardsim: port 35963+N), and Debian configures one reader. For more than two cards, pcscd is
# started here with as many vpcd readers as needed, each at the next two ports; a pcscd already
# running must then have the slots. vpcd keeps its connections per slot number in one global
# table, so two readers on one loaded driver would share slots 0 and 1: each further reader loads
# its own copy of the package's driver (a file of another inode is another dlopen), under a name
# of its own ("Virtual PCD 2" for slots 2 and 3, pcscd then adds "00 0S").
vpcd_slots_per_reader=2
start_pcscd_for_slots() {
  local count=$1 readers i conf=$dir/reader.conf.d
  local last_port=$((35963 + count - 1))
  [ "$count" -le "$vpcd_slots_per_reader" ] && return 0
  if pgrep -x pcscd >/dev/null; then
    ss -ltn | grep -q ":$last_port " && return 0
    echo "lab: the running pcscd has fewer than $count vpcd slots; run again once no card user" \
      "is active and it has stopped: a pcscd started here has them" >&2
    return 1
  fi
  local package_entry=/etc/reader.conf.d/vpcd
  [ -r "$package_entry" ] || { echo "lab: $package_entry missing (vsmartcard-vpcd)" >&2; return 1; }
  local libpath driver name
  libpath=$(awk '$1 == "LIBPATH" {print $2}' "$package_entry")
  mkdir -p "$conf"
  readers=$(((count + vpcd_slots_per_reader - 1) / vpcd_slots_per_reader))
  for ((i = 0; i < readers; i++)); do
    driver=$libpath name="Virtual PCD"
    if [ "$i" -gt 0 ]; then
      driver=$dir/libifdvpcd-$i.so
      cp "$libpath" "$driver"
      name="Virtual PCD $((i * vpcd_slots_per_reader))"
    fi
    printf 'FRIENDLYNAME "%s"\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n\n' \
      "$name" $((35963 + 2 * i)) "$driver" $((35963 + 2 * i)) >>"$conf/vpcd"
  done
  setsid "${M2M_PCSCD:-/usr/sbin/pcscd}" -f -c "$conf" >"$dir/pcscd.log" 2>&1 </dev/null &
  own_pcscd=$!
  for _ in $(seq 100); do ss -ltn | grep -q ":$last_port " && return 0; sleep 0.1; done
  echo "lab: pcscd did not open vpcd port $last_port; see its log:" >&2
  cat "$dir/pcscd.log" >&2
  return 1
}

# The reader of slot N: pcscd names slot S of a reader "NAME 00 0S".
slot_reader() {
  local first=$(($1 - $1 % vpcd_slots_per_reader))
  if [ "$first" -eq 0 ]; then
    printf 'Virtual PCD 00 %02d' "$1"
  else
    printf 'Virtual PCD %d 00 %02d' "$first" $(($1 % vpcd_slots_per_reader))
  fi
}
slot_dir() { if [ "$1" -eq 0 ]; then echo "$dir"; else echo "$dir/card$1"; fi; }

# Each card its own ICCID and SCL-ID (slot 0 keeps the test profile's): one card, one node for
# the network's records; the Node-ID is drawn at provisioning anyway.
start_card() {
  local slot=$1 d card_profile sim_profile scl_id
  d=$(slot_dir "$slot")
  scl_id=m2m:scl/device-$(printf %04d $((slot + 1)))
  mkdir -p "$d"
  card_profile=$d/card.properties
  sim_profile=$d/test-sim.toml
  sed "s/^card\.iccid=.*/card.iccid=898821100000000$(printf %03d $((slot + 1)))8/" \
    "$root/testdata/cards/uicc-default.properties" >"$card_profile"
  sed "s|^scl_id = .*|scl_id = \"$scl_id\"|" \
    "$root/testdata/profiles/test-sim.toml" >"$sim_profile"
  "$cardsim" start --slot "$slot" --image "$d/card.img" --profile "$card_profile" >/dev/null
  card_slots+=("$slot")
  "$m2m" provision --reader "$(slot_reader "$slot")" --profile "$sim_profile" \
    --kmsa-file "$d/kmsa.key" --export-keys "$d/keys.json" >/dev/null
  "$netsim" import --db "$dir/lab.db" --scl-id "$scl_id" "$d/keys.json" >/dev/null
}

start_netsim() {
  "$netsim" serve --db "$dir/lab.db" --msbf 127.0.0.1:0 --connection 127.0.0.1:0 --mid 127.0.0.1:0 \
    --ready-file "$dir/ready.json" "$@" 2>"$dir/netsim.log" &
  pids+=($!)
  for _ in $(seq 200); do [ -f "$dir/ready.json" ] && break; sleep 0.1; done
  read -r msbf conn mid bsf < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["msbf"], d["connection"], d["mid"], d.get("bsf") or 0)' "$dir/ready.json")
}

start_lab() {
  start_card 0
  start_netsim "$@"
}

# The agent's configuration for this lab: the card in slot 0 (or --slot N), the three endpoints on
# loopback, its state in FILE's folder (state/); the caller's lines follow `state_dir` in [agent]
# (more sections may follow them).
write_agent_config() {
  local file=$1 slot=0
  shift
  if [ "${1:-}" = "--slot" ]; then
    slot=$2
    shift 2
  fi
  cat > "$file" <<TOML
[card]
reader = "$(slot_reader "$slot")"
kmsa_file = "$(slot_dir "$slot")/kmsa.key"
[network]
msbf = "https://msbf.lab.m2m:$msbf"
connection = "https://nscl.lab.m2m:$conn"
mid = "https://nscl.lab.m2m:$mid/m2m"
resolve = ["msbf.lab.m2m:$msbf:127.0.0.1", "nscl.lab.m2m:$conn:127.0.0.1", "nscl.lab.m2m:$mid:127.0.0.1"]
[agent]
state_dir = "state"
TOML
  printf '%s\n' "$@" >>"$file"
}
