#!/usr/bin/env bash
# Runs the libFuzzer targets of test/fuzz/ (README, "Fuzzing").
#   tools/scripts/fuzz.sh TARGET SECONDS     one target for SECONDS on a copy of its seed corpus
#   tools/scripts/fuzz.sh --all SECONDS [--jobs N]
#                                            every target for SECONDS, N at a time (default 1;
#                                            CI: 10 s, 2 at a time); ends with "N passed,
#                                            N failed" (one per target)
#   tools/scripts/fuzz.sh --list             the targets
# Builds what it runs into ${M2M_FUZZ_BUILD_DIR:-build-fuzz} first: clang 14 (installed if
# missing), -Dfuzz=true, only the fuzz targets and the libraries they need. A target fails on a
# crash, a sanitizer report, a leak, an input slower than ${M2M_FUZZ_TIMEOUT:-10} s or a process
# over ${M2M_FUZZ_RSS_MB:-1024} MB; the input that did it is kept in build-fuzz/fuzz-findings/ and
# the command that replays it is printed. New corpus entries are thrown away: the seeds in
# testdata/fuzz/ stay as they are (a crash input worth keeping is added there by hand).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$(realpath -m "${M2M_FUZZ_BUILD_DIR:-$root/build-fuzz}")
timeout_s=${M2M_FUZZ_TIMEOUT:-10}
rss_mb=${M2M_FUZZ_RSS_MB:-1024}
findings=$build_dir/fuzz-findings

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

all_targets() {
  find "$root/test/fuzz" -maxdepth 1 -name '*_fuzz.cpp' -printf '%f\n' | sed 's/_fuzz\.cpp$//' | sort
}

# Inputs longer than this are not generated (the default 8 KiB; TLV gets 64 KiB, the size of the
# deepest nesting a card answer could bring).
max_len() {
  case $1 in
    tlv) echo 65536 ;;
    *) echo 8192 ;;
  esac
}

build() {
  # libFuzzer is part of clang; meson picks the compiler when the folder is first configured.
  CXX=clang++-14 CC=clang-14 M2M_FUZZ=1 M2M_BUILD_DIR=$build_dir M2M_BUILD_TARGETS="$*" \
    "$root/tools/scripts/setup.sh" -Dfuzz=true -Dapplets=disabled -Doptimization=1 -Ddebug=false
}

# run TARGET SECONDS: prints one summary line; returns 0 unless the fuzzer found something.
run() {
  local target=$1 seconds=$2
  local exe=$build_dir/test/fuzz/${target}_fuzz
  local seeds=$root/testdata/fuzz/$target
  if [ ! -x "$exe" ] || [ ! -d "$seeds" ]; then
    echo "$target: FAILED (no fuzz target or no seed corpus testdata/fuzz/$target)"
    return 1
  fi
  # In memory when the machine has a tmpfs: the file-reading targets (key files, the key export,
  # the netsim's store) write a file for every input.
  local scratch=${TMPDIR:-/tmp}
  [ -d /dev/shm ] && [ -w /dev/shm ] && scratch=/dev/shm
  local work
  work=$(mktemp -d "$scratch/m2m-fuzz-$target.XXXXXX")
  mkdir -p "$work/corpus" "$work/tmp" "$findings"
  cp "$seeds"/* "$work/corpus/"
  local log=$work/fuzz.log
  # UBSan aborts (the build has -fno-sanitize-recover); leaks are findings too.
  TMPDIR=$work/tmp \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$exe" -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
      -max_len="$(max_len "$target")" -print_final_stats=1 -artifact_prefix="$findings/$target-" \
      "$work/corpus" >"$log" 2>&1
  local rc=$?
  local runs cov ft corpus
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
  if [ "$rc" -eq 0 ]; then
    echo "$target: ok, ${runs:-?} executions in ${seconds} s, coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corpus:-?}"
    rm -rf "$work"
    return 0
  fi
  echo "$target: FAILED (exit $rc) after ${runs:-?} executions; the fuzzer's report:"
  grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|Test unit written|terminate called|what\(\)|^ *#[0-9]+ ' "$log" \
    | head -n 40 | sed 's/^/  /'
  local artifact
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  [ -n "$artifact" ] && echo "  replay: $exe $artifact"
  cp "$log" "$findings/$target.log"
  echo "  full log: $findings/$target.log"
  rm -rf "$work"
  return 1
}

case "${1:-}" in
  --list)
    all_targets; exit 0 ;;
  --all)
    seconds=${2:-}
    jobs=1
    if [ $# -eq 4 ] && [ "$3" = "--jobs" ]; then jobs=$4; elif [ $# -ne 2 ]; then usage; fi
    [[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || usage
    if ! build fuzz-targets; then
      echo "0 passed, $(all_targets | wc -l) failed"; exit 1
    fi
    results=$(mktemp -d)
    trap 'rm -rf "$results"' EXIT
    for target in $(all_targets); do
      while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
      { run "$target" "$seconds" >"$results/$target.out"; echo $? >"$results/$target.rc"; } &
    done
    wait
    passed=0 failed=0
    for target in $(all_targets); do
      cat "$results/$target.out"
      if [ "$(cat "$results/$target.rc")" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] ;;
  ""|-*)
    usage ;;
  *)
    [ $# -eq 2 ] || usage
    all_targets | grep -qx "$1" || { echo "no fuzz target '$1' (--list shows them)" >&2; exit 2; }
    build "${1}_fuzz" || exit 1
    run "$1" "$2" ;;
esac
