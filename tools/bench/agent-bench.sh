#!/usr/bin/env bash
# What a cold start and a re-connection of the agent cost, measured on the real stack (emulated UICC
# behind pcscd, m2m-netsim on loopback) from the agent's own counters (m2m agent status --json):
# APDUs and bytes to the card, TLS handshakes, HTTP requests and wall time.
#   tools/bench/agent-bench.sh [--kmc-lifetime S]     (after tools/scripts/setup.sh; uses slot 0)
# Then m2m-bench tls-handshake: a card-held-PSK handshake next to openssl s_client -psk.
# Cold start = process start .. first "registered" (card info, secure channel, GET DATA, service
# connection, SCL registration, application, container). Re-connection = the service connection
# the agent runs when Kmc nears expiry (Kmc lifetime S, default 8 s, renewed 1 s early).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
kmc_lifetime=8
[ "${1:-}" = "--kmc-lifetime" ] && kmc_lifetime=$2
m2m=$build_dir/tools/m2m
netsim=$build_dir/tools/netsim/m2m-netsim
cardsim=$build_dir/tools/cardsim/m2m-cardsim
dir=$(mktemp -d /tmp/m2m-agent-bench.XXXXXX)
reader="Virtual PCD 00 00"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$cardsim" stop --slot 0 >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"$cardsim" start --slot 0 --image "$dir/card.img" --profile "$root/testdata/cards/uicc-default.properties" >/dev/null
"$m2m" provision --reader "$reader" --profile "$root/testdata/profiles/test-sim.toml" \
  --kmsa-file "$dir/kmsa.key" --export-keys "$dir/keys.json" >/dev/null
"$netsim" import --db "$dir/lab.db" "$dir/keys.json" >/dev/null
"$netsim" serve --db "$dir/lab.db" --msbf 127.0.0.1:0 --connection 127.0.0.1:0 --mid 127.0.0.1:0 \
  --kmc-lifetime "$kmc_lifetime" --ready-file "$dir/ready.json" 2>"$dir/netsim.log" &
pids+=($!)
for _ in $(seq 100); do [ -f "$dir/ready.json" ] && break; sleep 0.1; done
read -r msbf conn mid < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["msbf"], d["connection"], d["mid"])' "$dir/ready.json")
cat > "$dir/agent.toml" <<TOML
[card]
reader = "$reader"
kmsa_file = "kmsa.key"
[network]
msbf = "https://msbf.lab.m2m:$msbf"
connection = "https://nscl.lab.m2m:$conn"
mid = "https://nscl.lab.m2m:$mid/m2m"
resolve = ["msbf.lab.m2m:$msbf:127.0.0.1", "nscl.lab.m2m:$conn:127.0.0.1", "nscl.lab.m2m:$mid:127.0.0.1"]
[agent]
state_dir = "state"
report_interval_ms = 60000
kmc_renew_margin_s = 1
TOML
"$m2m" agent run --config "$dir/agent.toml" 2>"$dir/agent.log" &
pids+=($!)
status() { "$m2m" agent status --state-dir "$dir/state" --json 2>/dev/null || echo '{}'; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

until [ "$(status | field 'd.get("state")')" = registered ]; do sleep 0.05; done
cold=$(status)
until [ "$(status | field 'd.get("counters",{}).get("connections",0)')" -ge 2 ] &&
      [ "$(status | field 'd.get("state")')" = registered ]; do sleep 0.1; done
again=$(status)

python3 - "$cold" "$again" <<'PY'
import json, sys
cold, again = json.loads(sys.argv[1]), json.loads(sys.argv[2])
c = cold["counters"]
print(f"cold start (process start -> registered): {c['card']['apdus']} APDUs, "
      f"{c['card']['bytes_sent']} B sent, {c['card']['bytes_received']} B received, "
      f"{c['tls_handshakes']} TLS handshakes, {c['http_requests']} HTTP requests, "
      f"{c['uptime_ms']:.0f} ms")
for name in ("connection", "registration"):
    p = c["procedures"][name]
    print(f"  {name}: {p['last_card']['apdus']} APDUs, {p['last_card']['bytes_sent']}/"
          f"{p['last_card']['bytes_received']} B, {p['last_tls_handshakes']} handshakes, "
          f"{p['last_http_requests']} requests, {p['last_ms']:.0f} ms")
p = again["counters"]["procedures"]["connection"]
print(f"re-connection (Kmc renewal, KmcIndex {cold['kmc_index']} -> {again['kmc_index']}): "
      f"{p['last_card']['apdus']} APDUs, {p['last_card']['bytes_sent']} B sent, "
      f"{p['last_card']['bytes_received']} B received, {p['last_tls_handshakes']} TLS handshakes, "
      f"{p['last_http_requests']} HTTP requests, {p['last_ms']:.0f} ms")
PY

# One card-held-PSK handshake against m2m-netsim next to `openssl s_client -psk` with the same key
# in memory (the provisioned Kmr, from the export), same server, same run. The agent stops first:
# the bench opens a master SA of its own, which would replace the agent's.
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
"$build_dir/tools/bench/m2m-bench" tls-handshake --url "https://nscl.lab.m2m:$conn/" \
  --resolve "nscl.lab.m2m:$conn:127.0.0.1" --key kmr --kmsa-file "$dir/kmsa.key" \
  --keys-file "$dir/keys.json" --reader "$reader" --runs "${M2M_BENCH_RUNS:-20}"
