#!/usr/bin/env bash
# The soak: agents and the lab network from an AddressSanitizer + UndefinedBehaviorSanitizer build,
# each agent on an emulated UICC of its own, all against one m2m-netsim, with lifetimes so short
# that every agent renews its Kmc every second, for N cycles in all; every so often one card is
# pulled and put back. It samples memory, descriptors and threads of every process, checks that
# every reading reached the network once and in order and that the sanitizers reported nothing,
# and prints a summary with a verdict (exit 0: pass). Not run by CI.
#   flock /tmp/m2m-card.lock tools/scripts/soak.sh [--cycles N] [--agents K] [--pull-every N]
# Defaults: 10000 cycles, 4 agents (slots 0-3; about 43 min), a pull every 500 cycles.
#
# A cycle is one Kmc lifetime of one agent: a service connection (TLS-PSK with the card-held Kmr;
# the card derives and activates a new Kmc), a registration refresh (or the registration),
# contentInstances every 250 ms over the kept-alive mId connection (TLS-PSK with Kmc), until the
# Kmc renewal margin is reached and the next service connection starts. The network gives Kmc a
# 2 s lifetime and the registration 2 s; the agent renews Kmc 1 s early. Lifetimes are whole
# seconds on the card and in the protocol, so one renewal a second is the fastest real cycle for
# one card: K agents, each on its own card, make K cycles a second, and the network sees them all.
#
# Environment: M2M_SOAK_BUILD_DIR (default build-asan; built here if missing or out of date,
# M2M_BUILD_JOBS caps the compile jobs), M2M_SOAK_OUT (where the summary and the logs are kept;
# default .run/soak).
set -euo pipefail

cycles=10000
agents=4
pull_every=500
usage() { sed -n '2,9p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
    --agents) agents=${2:?--agents needs a value}; shift 2 ;;
    --pull-every) pull_every=${2:?--pull-every needs a value}; shift 2 ;;
    *) usage ;;
  esac
done
[[ $cycles =~ ^[0-9]+$ && $pull_every =~ ^[0-9]+$ && $agents =~ ^[1-9]$ ]] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export M2M_BUILD_DIR=${M2M_SOAK_BUILD_DIR:-$root/build-asan}
out=${M2M_SOAK_OUT:-$root/.run/soak}

M2M_BUILD_TARGETS="m2m m2m-netsim m2m-uicc-card.jar" "$root/tools/scripts/setup.sh" \
  -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug

source "$root/tools/bench/lab.sh"

# Every process from the sanitized build writes its reports to files in $dir (none: clean). A
# small quarantine, so that memory held for use-after-free detection levels off early in the run
# instead of reading as growth.
sanitizer_log=$dir/sanitizer
export ASAN_OPTIONS="detect_leaks=1:log_path=$sanitizer_log:quarantine_size_mb=16:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$sanitizer_log"
export LSAN_OPTIONS="log_path=$sanitizer_log"

# The logs and the summary outlive the lab's temporary directory.
keep_results() {
  mkdir -p "$out"
  # Not the key exports: keys stay in the lab's directory, removed with it.
  cp -f "$dir"/*.log "$dir/samples.json" "$dir/show.json" "$out"/ 2>/dev/null || true
  for ((a = 0; a < agents; a++)); do
    cp -f "$dir/agent$a/agent.log" "$out/agent$a.log" 2>/dev/null || true
    cp -f "$dir/agent$a/state/status.json" "$out/agent$a.status.json" 2>/dev/null || true
  done
  cp -f "$sanitizer_log".* "$out"/ 2>/dev/null || true
  stop_lab
}
trap keep_results EXIT
rm -rf "$out"

start_pcscd_for_slots "$agents"
for ((a = 0; a < agents; a++)); do
  start_card "$a"
done
start_netsim --kmc-lifetime 2 --registration-lifetime 2
netsim_pid=${pids[0]}
agent_args=()
agent_pids=()
for ((a = 0; a < agents; a++)); do
  mkdir -p "$dir/agent$a"
  write_agent_config "$dir/agent$a/agent.toml" --slot "$a" "report_interval_ms = 250" \
    "kmc_renew_margin_s = 1" "[retry]" "initial_ms = 200" "cap_ms = 2000"
  "$m2m" agent run --config "$dir/agent$a/agent.toml" 2>"$dir/agent$a/agent.log" &
  agent_pids+=($!)
  agent_args+=(--agent "$!:$dir/agent$a/state/status.json:$((35990 + a))")
done
pids=("${agent_pids[@]}" "${pids[@]}") # stopped before the network on exit

monitor=$root/tools/scripts/soak_monitor.py
started=$(date +%s)
monitor_status=0
python3 "$monitor" run "${agent_args[@]}" --netsim "$netsim_pid" --cycles "$cycles" \
  --pull-every "$pull_every" --out "$dir/samples.json" || monitor_status=$?

# SIGTERM: each agent ends its secure channel and exits, then the network; LeakSanitizer reports
# at each exit.
exits=()
for p in "${agent_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${agent_pids[@]}"; do
  e=0
  wait "$p" || e=$?
  exits+=(--agent-exit "$e")
done
netsim_exit=0
kill -TERM "$netsim_pid" 2>/dev/null || true
wait "$netsim_pid" || netsim_exit=$?
pids=()
"$netsim" show --db "$dir/lab.db" --json >"$dir/show.json"

statuses=()
for ((a = 0; a < agents; a++)); do statuses+=(--status "$dir/agent$a/state/status.json"); done
python3 "$monitor" report --samples "$dir/samples.json" --show "$dir/show.json" "${statuses[@]}" \
  --sanitizer-log "$sanitizer_log" "${exits[@]}" --netsim-exit "$netsim_exit" \
  --monitor-exit "$monitor_status" --started "$started" | tee "$dir/summary.log"
