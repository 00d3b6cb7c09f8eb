#!/usr/bin/env bash
# What a cold start and a re-connection of the agent cost, measured on the real stack (emulated UICC
# behind pcscd, m2m-netsim on loopback) from the agent's own counters (m2m agent status --json):
# APDUs and bytes to the card, TLS handshakes, HTTP requests and wall time.
#   tools/bench/agent-bench.sh [--kmc-lifetime S]     (after tools/scripts/setup.sh; uses slot 0)
# Then m2m-bench tls-handshake: a handshake with the Kmr in the card next to the same client with the
# same Kmr in memory (the honest baseline). It drives the card: run it under the machine's card lock,
#   flock /tmp/m2m-card.lock tools/bench/agent-bench.sh
# Cold start = process start .. first "registered" (card info, secure channel, GET DATA, service
# connection, SCL registration, application, container). Re-connection = the service connection
# the agent runs when Kmc nears expiry (Kmc lifetime S, default 8 s, renewed 1 s early).
set -euo pipefail

kmc_lifetime=8
[ "${1:-}" = "--kmc-lifetime" ] && kmc_lifetime=$2
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
start_lab --kmc-lifetime "$kmc_lifetime"
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
agent_pid=$!
pids+=("$agent_pid")
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

# A handshake against m2m-netsim with the card-held Kmr next to the same client with the same Kmr in
# memory (from the export), same server, same run. The agent stops first: the bench opens a master
# SA of its own, which would replace the agent's.
kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
"$bench" tls-handshake --url "https://nscl.lab.m2m:$conn/" \
  --resolve "nscl.lab.m2m:$conn:127.0.0.1" --key kmr --kmsa-file "$dir/kmsa.key" \
  --keys-file "$dir/keys.json" --reader "$reader" --runs "${M2M_BENCH_RUNS:-20}"
