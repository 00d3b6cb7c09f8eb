#!/usr/bin/env bash
# What the agent's procedures cost, measured on the real stack (emulated UICC behind pcscd,
# m2m-netsim on loopback) from the agent's own counters (m2m agent status --json): APDUs and bytes to
# the card, TLS handshakes, HTTP requests and wall time of every procedure.
#   tools/bench/agent-bench.sh [--kmc-lifetime S]     (after tools/scripts/setup.sh; uses slot 0)
# It drives the card: run it under the machine's card lock,
#   flock /tmp/m2m-card.lock tools/bench/agent-bench.sh
# 1. cold start, first run: process start .. first "registered" (start = card path, GET DATA and a
#    new master SA; service connection; registration with application and container);
# 2. re-connection: the service connection the agent runs when Kmc nears expiry (Kmc lifetime S,
#    default 8 s, renewed 1 s early);
# 3. cold start again after SIGTERM, the master SA remembered in the state directory;
# then m2m-bench tls-handshake: the card-held Kmr next to the same client with the Kmr in memory.
set -euo pipefail

kmc_lifetime=8
[ "${1:-}" = "--kmc-lifetime" ] && kmc_lifetime=$2
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
start_lab --kmc-lifetime "$kmc_lifetime"
write_agent_config "$dir/agent.toml" "report_interval_ms = 60000" "kmc_renew_margin_s = 1"

# Before the agent's first status, m2m agent status fails (printing its error as JSON): '{}' then.
status() {
  local out
  out=$("$m2m" agent status --state-dir "$dir/state" --json 2>/dev/null) && echo "$out" || echo '{}'
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
run_agent() {
  rm -f "$dir/state/status.json"
  "$m2m" agent run --config "$dir/agent.toml" 2>>"$dir/agent.log" &
  agent_pid=$!
  pids+=("$agent_pid")
  until [ "$(status | field 'd.get("state")')" = registered ]; do sleep 0.05; done
}

run_agent
first=$(status)
until [ "$(status | field 'd.get("counters",{}).get("connections",0)')" -ge 2 ] &&
      [ "$(status | field 'd.get("state")')" = registered ]; do sleep 0.1; done
renewed=$(status)
kill -TERM "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
run_agent
second=$(status)
kill -TERM "$agent_pid"; wait "$agent_pid" 2>/dev/null || true

python3 - "$first" "$renewed" "$second" <<'PY'
import json, sys
first, renewed, second = (json.loads(a) for a in sys.argv[1:4])

def cold(label, s):
    c = s["counters"]
    print(f"{label}: {c['card']['apdus']} APDUs, {c['card']['bytes_sent']} B sent, "
          f"{c['card']['bytes_received']} B received, {c['tls_handshakes']} TLS handshakes, "
          f"{c['http_requests']} HTTP requests, {c['uptime_ms']:.0f} ms (master SA: {c['master_sa']})")

def row(name, p):
    card = p["last_card"]
    print(f"  {name:<28} {card['apdus']:>5} {card['bytes_sent']:>6} {card['bytes_received']:>6} "
          f"{p['last_tls_handshakes']:>10} {p['last_http_requests']:>8} {p['last_ms']:>9.1f}")

cold("cold start, first run (process start -> registered)", first)
cold("cold start, restarted (master SA remembered)", second)
print(f"  {'procedure':<28} {'APDUs':>5} {'sent':>6} {'recv':>6} {'handshakes':>10} "
      f"{'requests':>8} {'wall ms':>9}")
for name, p in first["counters"]["procedures"].items():
    row(name + " (1st run)", p)
row("connection (renewal)", renewed["counters"]["procedures"]["connection"])
row("start (2nd run)", second["counters"]["procedures"]["start"])
total = sum(p["total_card"]["apdus"] for p in renewed["counters"]["procedures"].values())
print(f"every APDU in a procedure: {total} in the procedures' totals, "
      f"{renewed['counters']['card']['apdus']} on the card path")
print(f"re-connection (Kmc renewal, KmcIndex {first['kmc_index']} -> {renewed['kmc_index']})")
PY

# A handshake against m2m-netsim with the card-held Kmr next to the same client with the same Kmr in
# memory (from the export), same server, same run; and the per-APDU cost of the card path.
"$bench" apdu --reader "$reader" --count "${M2M_BENCH_APDUS:-200}"
"$bench" tls-handshake --url "https://nscl.lab.m2m:$conn/" \
  --resolve "nscl.lab.m2m:$conn:127.0.0.1" --key kmr --kmsa-file "$dir/kmsa.key" \
  --keys-file "$dir/keys.json" --reader "$reader" --runs "${M2M_BENCH_RUNS:-20}"
