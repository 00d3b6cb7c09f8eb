#!/usr/bin/env bash
# The soak: the agent and the lab network from an AddressSanitizer + UndefinedBehaviorSanitizer
# build, on the emulated UICC, with lifetimes so short that the agent renews its keys every second,
# for N cycles; every so often the card is pulled and put back. It watches memory, descriptors and
# threads of both processes, checks that every reading reached the network once and in order and
# that the sanitizers reported nothing, and prints a summary with a verdict (exit 0: pass).
#   flock /tmp/m2m-card.lock tools/scripts/soak.sh [--cycles N] [--pull-every N]
# Defaults: 10000 cycles (about 1 s each: 2 h 50 min), a pull every 500 cycles. It uses slot 0 and
# the machine's pcscd: run it under the card lock. Not run by CI.
#
# A cycle is one Kmc lifetime: a service connection (TLS-PSK with the card-held Kmr; the card
# derives and activates a new Kmc), a registration refresh (or the registration), contentInstances
# every 250 ms over the kept-alive mId connection (TLS-PSK with Kmc), until the Kmc renewal margin
# is reached and the next service connection starts. The network gives Kmc a 2 s lifetime and the
# registration 2 s; the agent renews Kmc 1 s early. Lifetimes are whole seconds on the card and in
# the protocol, so one renewal a second is the fastest real cycle.
#
# Environment: M2M_SOAK_BUILD_DIR (default build-asan; built here if missing or out of date,
# M2M_BUILD_JOBS caps the compile jobs), M2M_SOAK_OUT (where the summary and the logs are kept;
# default .run/soak).
set -euo pipefail

cycles=10000
pull_every=500
while [ $# -gt 0 ]; do
  case $1 in
    --cycles) cycles=${2:?--cycles needs a value}; shift 2 ;;
    --pull-every) pull_every=${2:?--pull-every needs a value}; shift 2 ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
  esac
done

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
  cp -f "$dir"/*.log "$dir"/*.json "$out"/ 2>/dev/null || true
  cp -f "$sanitizer_log".* "$out"/ 2>/dev/null || true
  stop_lab
}
trap keep_results EXIT
rm -rf "$out"

start_lab --kmc-lifetime 2 --registration-lifetime 2
write_agent_config "$dir/agent.toml" "report_interval_ms = 250" "kmc_renew_margin_s = 1" \
  "[retry]" "initial_ms = 200" "cap_ms = 2000"
netsim_pid=${pids[0]}
"$m2m" agent run --config "$dir/agent.toml" 2>"$dir/agent.log" &
agent_pid=$!
pids=("$agent_pid" "${pids[@]}")  # stopped before the network on exit

monitor=$root/tools/scripts/soak_monitor.py
started=$(date +%s)
monitor_status=0
python3 "$monitor" run --status "$dir/state/status.json" --agent "$agent_pid" --netsim "$netsim_pid" \
  --cycles "$cycles" --pull-every "$pull_every" --control-port 35990 \
  --out "$dir/samples.json" || monitor_status=$?

# SIGTERM: the agent ends its secure channel and exits, then the network; LeakSanitizer reports
# at each exit.
agent_exit=0 netsim_exit=0
kill -TERM "$agent_pid" 2>/dev/null || true
wait "$agent_pid" || agent_exit=$?
kill -TERM "$netsim_pid" 2>/dev/null || true
wait "$netsim_pid" || netsim_exit=$?
pids=()
"$netsim" show --db "$dir/lab.db" --json >"$dir/show.json"

python3 "$monitor" report --samples "$dir/samples.json" --show "$dir/show.json" \
  --status "$dir/state/status.json" --sanitizer-log "$sanitizer_log" \
  --agent-exit "$agent_exit" --netsim-exit "$netsim_exit" --monitor-exit "$monitor_status" \
  --started "$started" | tee "$dir/summary.log"
