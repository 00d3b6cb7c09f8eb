#!/usr/bin/env python3
"""Prints the closing line "N passed, N failed, N skipped" of a test run.

Test cases are counted from the lines the Catch2 binaries append to $M2M_TEST_RESULTS (one per test
case). A meson test that failed without reporting a failed case (it crashed, timed out, or is not a
Catch2 binary) counts as one more failure, so a crash can never hide behind earlier passes.
"""
import json
import sys


def main(results_path: str, testlog_path: str) -> int:
    passed = failed = skipped = 0
    try:
        with open(results_path, encoding="utf-8") as f:
            for line in f:
                verdict = line.split("\t", 1)[0]
                if verdict == "pass":
                    passed += 1
                elif verdict == "fail":
                    failed += 1
    except FileNotFoundError:
        pass
    reported_failures = failed
    unexplained = 0
    try:
        with open(testlog_path, encoding="utf-8") as f:
            for line in f:
                test = json.loads(line)
                result = test.get("result")
                if result == "SKIP":
                    skipped += 1
                elif result not in ("OK", "EXPECTEDFAIL"):
                    unexplained += 1
    except FileNotFoundError:
        unexplained += 1
    if unexplained > reported_failures:
        failed += unexplained - reported_failures
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
