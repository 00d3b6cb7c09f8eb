#!/usr/bin/env bash
# What the gateway (agent/GATEWAY.md) costs, on the real stack: the gateway agent on the emulated
# UICC in slot 0 (pcscd + vpcd + jCardSim), m2m-netsim on loopback.
#   flock /tmp/m2m-card.lock tools/bench/gateway-bench.sh [--runs N] [--devices "1 4 8"]
# (after tools/scripts/setup.sh; it drives the card: run it under the machine's card lock)
# (a) latency: m2m-bench relay, a software-only device posting N contentInstances through the
#     gateway against another posting N directly to the NSCL (imported there), alternating;
# (b) memory: the gateway process's VmRSS with 0 devices connected and after N software devices
#     are connected, registered (at the gateway and, through it, at the NSCL) and posting on their
#     kept-alive connection; (RSS_N - RSS_0) / N. At most 8 devices: a gateway's report lists
#     8 at most (IV-SED.md §4.3), and the dIa listeners serve 8 connections at once.
set -euo pipefail

runs=200
device_counts="1 4 8"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift ;;
    --devices) device_counts=$2; shift ;;
    *) echo "usage: $0 [--runs N] [--devices \"1 4 8\"]" >&2; exit 2 ;;
  esac
  shift
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${M2M_BUILD_DIR:-$root/build}
m2m=$build_dir/tools/m2m
netsim=$build_dir/tools/netsim/m2m-netsim
cardsim=$build_dir/tools/cardsim/m2m-cardsim
bench=$build_dir/tools/bench/m2m-bench
run_dir=$(mktemp -d /tmp/m2m-gateway-bench.XXXXXX)
# shellcheck source=../scripts/gateway-lab.sh
source "$root/tools/scripts/gateway-lab.sh"
trap 'gw_stop_all; rm -rf "$run_dir"' EXIT

max=0
for n in $device_counts; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -le 8 ] || { echo "at most 8 devices (a gateway's report lists 8 at most)" >&2; exit 2; }

echo "setting up: the gateway's card (slot 0), the lab network..." >&2
gw_start_network >/dev/null
gw_provision_gateway >/dev/null
node() { printf '%032x' $((0xbe00 + $1)); }
# (a)'s two devices: one the NSCL knows itself, one behind the gateway.
"$m2m" soft-device create --out "$run_dir/direct-key.json" --scl-id "m2m:scl/$(node 0)" \
  --node-id "$(node 0)" >/dev/null
"$netsim" import --db "$run_dir/lab.db" --scl-id "m2m:scl/$(node 0)" "$run_dir/direct-key.json" >/dev/null
gw_soft_device "$(node 1)" relayed >/dev/null
gw_serve_network
gw_write_gateway_config 'unattested = "full"'
gw_start_gateway

echo "(a) latency: m2m-bench relay --runs $runs" >&2
"$bench" relay --runs "$runs" \
  --direct "$run_dir/direct-key.json,https://nscl.lab.m2m:$nscl_conn,https://nscl.lab.m2m:$nscl_mid/m2m" \
  --relayed "$run_dir/relayed-key.json,https://127.0.0.1:$dia_conn,https://127.0.0.1:$dia_mid/m2m" \
  --resolve "nscl.lab.m2m:$nscl_conn:127.0.0.1" --resolve "nscl.lab.m2m:$nscl_mid:127.0.0.1"
echo "the gateway's uplink over the run: $(gw_status gateway '"TLS handshakes %d, HTTP requests %d, relay wait median %s ms / p90 %s ms" % (d["counters"]["tls_handshakes"], d["counters"]["http_requests"], d["gateway"]["relay"]["median_wait_ms"], d["gateway"]["relay"]["p90_wait_ms"])')"

# (b): a fresh gateway whose records are the memory devices only.
kill -TERM "$gateway_pid"
wait "$gateway_pid" 2>/dev/null || true
rm -f "$run_dir/devices.json"
for ((i = 1; i <= max; i++)); do
  gw_soft_device "$(node $((10 + i)))" "mem$i" >/dev/null
done
gw_start_gateway
for ((i = 1; i <= max; i++)); do gw_write_device_config "mem$i"; done

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$gateway_pid/status"; }
registered_devices() {
  gw_status gateway 'sum(1 for g in d["gateway"]["devices"] if g.get("registered"))'
}
sleep 3
rss0=$(rss)
started=0
results=()
for n in $device_counts; do
  while [ "$started" -lt "$n" ]; do
    started=$((started + 1))
    gw_start_agent "mem$started"
  done
  gw_wait 90 "$n devices registered at the gateway" eval '[ "$(registered_devices)" -ge '"$n"' ]'
  # Let each device post on its kept-alive connection a few times before reading.
  sleep 5
  results+=("$n $(rss)")
done

echo
echo "(b) the gateway's memory per connected device (VmRSS of the gateway process)"
printf '  %-8s %-12s %-16s %s\n' devices "VmRSS kB" "RSS_N - RSS_0" "per device kB"
printf '  %-8s %-12s %-16s %s\n' 0 "$rss0" - -
for r in "${results[@]}"; do
  read -r n kb <<<"$r"
  printf '  %-8s %-12s %-16s %s\n' "$n" "$kb" "$((kb - rss0))" "$(((kb - rss0) / n))"
done
echo "  (load average: $(cut -d' ' -f1 /proc/loadavg))"
