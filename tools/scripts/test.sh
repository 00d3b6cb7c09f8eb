#!/usr/bin/env bash
# The whole test suite, as CI and the README run it: installs what is missing, builds, starts
# pcscd if none runs (the tests start their own emulated cards through the launcher), runs every
# suite, stops what it started, and ends with one line "N passed, N failed, N skipped".
#   tools/scripts/test.sh [--suite unit|integration|faults]... [extra meson setup options, e.g. -Db_sanitize=address,undefined]
# (--suite may be given more than once: CI's sanitizer job runs unit and integration.)
# The "faults" suite (the fault matrix) stops and starts pcscd and tears the card in slot 1: on a
# shared machine, run the card suites under the card lock (flock /tmp/m2m-card.lock ...).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Absolute: the tests run in other directories and append their results under it.
build_dir=$(realpath -m "${M2M_BUILD_DIR:-$root/build}")
suites=()
while [ "${1:-}" = "--suite" ]; do
  suites+=(--suite "$2"); shift 2
done

M2M_BUILD_DIR=$build_dir "$root/tools/scripts/setup.sh" "$@" || { echo "0 passed, 1 failed"; exit 1; }

started_pcscd=""
cleanup() {
  "$build_dir/tools/cardsim/m2m-cardsim" stop --all >/dev/null 2>&1 || true
  if [ -n "$started_pcscd" ]; then
    kill "$started_pcscd" 2>/dev/null || true
    wait "$started_pcscd" 2>/dev/null || true
    # The fault matrix restarts pcscd: the one it left running stands in for ours.
    if [ -f "$build_dir/test-run/pcscd.restarted.pid" ]; then
      kill "$(cat "$build_dir/test-run/pcscd.restarted.pid")" 2>/dev/null || true
    fi
  fi
}
trap cleanup EXIT

if ! pgrep -x pcscd >/dev/null; then
  mkdir -p "$build_dir/test-run"
  /usr/sbin/pcscd -f >"$build_dir/test-run/pcscd.log" 2>&1 &
  started_pcscd=$!
  for _ in $(seq 50); do
    [ -S /run/pcscd/pcscd.comm ] && break
    sleep 0.1
  done
fi

mkdir -p "$build_dir/test-run"
rm -f "$build_dir/test-run"/card-*.img "$build_dir/test-run/pcscd.restarted.pid"
export M2M_TEST_RESULTS=$build_dir/test-run/results.tsv
rm -f "$M2M_TEST_RESULTS"
meson test -C "$build_dir" --print-errorlogs "${suites[@]}"
status=$?
python3 "$root/tools/scripts/count-tests.py" "$M2M_TEST_RESULTS" "$build_dir/meson-logs/testlog.json"
exit $status
