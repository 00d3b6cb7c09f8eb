#!/usr/bin/env bash
# GBA next to the TLS-based procedures, same card, same lab network, same run, from the agent's own
# counters (m2m agent status --json): APDUs, TLS handshakes, HTTP requests (Ub's included) and wall
# time of
#   bootstrap        TLS-based (security profile §4.3): TLS-PSK with the card-held Kbs + exporter
#   bootstrap_gba    GBA-based (§4.2): Ub (2 requests, AUTHENTICATE on the USIM) + SET KEY FROM GBA
#                    + Ua (TLS-PSK with Ks_ext_NAF) + ACTIVATE KEY
#   connection       TLS-PSK with the card-held Kmr + exporter (§5.1)
#   connection_gba   GBA-based (§5.2): the first one of a new agent (a new Ub run), and the renewal
#                    on the cached B-TID
# The lab network's BSF uses osmo-hlr as the AuC. It drives the card: run it under the card lock,
#   flock /tmp/m2m-card.lock tools/bench/gba-bench.sh
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
start_lab --bsf 127.0.0.1:0 --auc osmo-hlr --kmc-lifetime 6
node=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["node_id"].lower())' "$dir/keys.json")

status() {
  local out
  out=$("$m2m" agent status --state-dir "$dir/state" --json 2>/dev/null) && echo "$out" || echo '{}'
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
# Runs the agent with the given [agent] methods until `until` (a Python expression on the status
# d) holds, prints the status, stops the agent.
run_agent() {
  local bootstrap=$1 connection=$2 until=$3
  write_agent_config "$dir/agent.toml" "report_interval_ms = 60000" "kmc_renew_margin_s = 1" \
    "bootstrap = \"$bootstrap\"" "connection = \"$connection\"" \
    "[gba]" "bsf = \"http://bsf.lab.m2m:$bsf/\""
  sed -i "s|^resolve = \[|resolve = [\"bsf.lab.m2m:$bsf:127.0.0.1\", |" "$dir/agent.toml"
  rm -f "$dir/state/status.json"
  "$m2m" agent run --config "$dir/agent.toml" >>"$dir/agent.log" 2>&1 &
  agent_pid=$!
  pids+=("$agent_pid")
  until [ "$(status | field "bool($until)")" = True ]; do
    kill -0 "$agent_pid" 2>/dev/null || { tail -n 30 "$dir/agent.log" >&2; exit 1; }
    sleep 0.05
  done
  status
  kill -TERM "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
}
registered='d.get("state") == "registered"'

# The network refuses the card's Kmr: the agent must bootstrap.
"$netsim" revoke --db "$dir/lab.db" --node "$node" --key kmr >/dev/null
tls=$(run_agent tls tls "$registered")
"$netsim" revoke --db "$dir/lab.db" --node "$node" --key kmr >/dev/null
gba=$(run_agent gba tls "$registered")
# A new agent has no B-TID: its first GBA-based connection runs Ub; the renewal uses the cached one.
first=$(run_agent gba gba "$registered")
conn=$(run_agent gba gba "$registered and d['counters']['procedures'].get('connection_gba', {}).get('runs', 0) >= 2")

python3 - "$tls" "$gba" "$first" "$conn" <<'PY'
import json, sys
tls, gba, first, conn = (json.loads(a) for a in sys.argv[1:5])
print(f"  {'procedure':<34} {'APDUs':>5} {'sent':>6} {'recv':>6} {'handshakes':>10} {'requests':>8} {'wall ms':>9}")
def row(name, p, last=True):
    card = p["last_card"]
    print(f"  {name:<34} {card['apdus']:>5} {card['bytes_sent']:>6} {card['bytes_received']:>6} "
          f"{p['last_tls_handshakes']:>10} {p['last_http_requests']:>8} {p['last_ms']:>9.1f}")
row("bootstrap (TLS, Kbs)", tls["counters"]["procedures"]["bootstrap"])
row("bootstrap_gba (Ub + Ua)", gba["counters"]["procedures"]["bootstrap_gba"])
row("connection (TLS, Kmr)", tls["counters"]["procedures"]["connection"])
row("connection_gba, first (Ub + Ua)", first["counters"]["procedures"]["connection_gba"])
cached = conn["counters"]["procedures"]["connection_gba"]
print(f"  connection_gba: {cached['runs']} runs, {cached['total_ms']:.1f} ms in all, "
      f"{cached['total_card']['apdus']} APDUs in all; the last (B-TID cached):")
row("connection_gba, cached (Ua only)", cached)
print(f"  GBA: B-TID {gba['gba']['btid']} until {gba['gba']['btid_expiry']}, Ub runs "
      f"{conn['gba']['ub_runs']} ({conn['gba']['ub_requests']} requests) in the GBA connection run")
print(f"  Kmr KCV after the GBA bootstrap: {gba['kmr_kcv']} (index {gba['kmr_index']}); "
      f"bootstrap method in the status: {gba['bootstrap']}")
PY
