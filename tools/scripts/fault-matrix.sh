#!/usr/bin/env bash
# The fault matrix, run and published: runs the "faults" suite (test/faults/: every procedure
# against every fault on the real stack), then replaces the table in README.md between
# <!-- fault-matrix:begin --> and <!-- fault-matrix:end --> with the one the run wrote. The README
# is left alone when any test failed or any cell's check did not hold.
#   tools/scripts/fault-matrix.sh [--no-readme]
# It stops and starts pcscd and tears the emulated card: on a shared machine, run it under the
# card lock (flock /tmp/m2m-card.lock tools/scripts/fault-matrix.sh).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$(realpath -m "${M2M_BUILD_DIR:-$root/build}")
update_readme=1
[ "${1:-}" = "--no-readme" ] && update_readme=0

table=$build_dir/test-run/fault-matrix.md
mkdir -p "$build_dir/test-run"
rm -f "$table"
export M2M_FAULT_MATRIX_FILE=$table

start=$(date +%s)
M2M_BUILD_DIR=$build_dir "$root/tools/scripts/test.sh" --suite faults
status=$?
echo "fault matrix: $(($(date +%s) - start)) s"

if [ ! -s "$table" ]; then
  echo "fault-matrix.sh: the run wrote no table ($table)" >&2
  exit 1
fi
if [ "$status" -ne 0 ] || grep -q 'FAILED' "$table"; then
  echo "fault-matrix.sh: the matrix has failures; README.md not updated (table: $table)" >&2
  exit 1
fi
[ "$update_readme" -eq 1 ] || exit 0

python3 - "$root/README.md" "$table" <<'PY'
import sys
readme_path, table_path = sys.argv[1], sys.argv[2]
begin, end = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"
readme = open(readme_path, encoding="utf-8").read()
table = open(table_path, encoding="utf-8").read().strip()
if readme.count(begin) != 1 or readme.count(end) != 1 or readme.index(begin) > readme.index(end):
    sys.exit("fault-matrix.sh: README.md needs exactly one " + begin + " ... " + end)
head, rest = readme.split(begin)
_, tail = rest.split(end)
with open(readme_path, "w", encoding="utf-8") as f:
    f.write(head + begin + "\n" + table + "\n" + end + tail)
print("fault-matrix.sh: README.md table replaced")
PY
