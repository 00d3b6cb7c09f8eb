# Sourced by the bench scripts and the soak: the emulated UICC in slot 0 (behind pcscd + vpcd),
# personalised with the test profile, and m2m-netsim on loopback knowing its keys; everything stopped
# and removed on exit.
#   start_lab [extra m2m-netsim serve options]
#   write_agent_config FILE [TOML lines after "[agent] state_dir"...]   (after start_lab)
# sets: m2m netsim cardsim bench (tools), dir (kmsa.key, keys.json, lab.db), reader, msbf conn mid
# (the ports), pids (background processes, stopped on exit; netsim first).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
m2m=$build_dir/tools/m2m
netsim=$build_dir/tools/netsim/m2m-netsim
cardsim=$build_dir/tools/cardsim/m2m-cardsim
bench=$build_dir/tools/bench/m2m-bench
reader="Virtual PCD 00 00"
dir=$(mktemp -d /tmp/m2m-bench.XXXXXX)
pids=()
stop_lab() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$cardsim" stop --slot 0 >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop_lab EXIT

start_lab() {
  "$cardsim" start --slot 0 --image "$dir/card.img" --profile "$root/testdata/cards/uicc-default.properties" >/dev/null
  "$m2m" provision --reader "$reader" --profile "$root/testdata/profiles/test-sim.toml" \
    --kmsa-file "$dir/kmsa.key" --export-keys "$dir/keys.json" >/dev/null
  "$netsim" import --db "$dir/lab.db" "$dir/keys.json" >/dev/null
  "$netsim" serve --db "$dir/lab.db" --msbf 127.0.0.1:0 --connection 127.0.0.1:0 --mid 127.0.0.1:0 \
    --ready-file "$dir/ready.json" "$@" 2>"$dir/netsim.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -f "$dir/ready.json" ] && break; sleep 0.1; done
  read -r msbf conn mid < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["msbf"], d["connection"], d["mid"])' "$dir/ready.json")
}

# The agent's configuration for this lab: the card in slot 0, the three endpoints on loopback, its
# state in FILE's folder (state/); the caller's lines follow `state_dir` in [agent] (more
# sections may follow them).
write_agent_config() {
  local file=$1
  shift
  cat > "$file" <<TOML
[card]
reader = "$reader"
kmsa_file = "$dir/kmsa.key"
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
