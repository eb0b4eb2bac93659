#!/bin/sh
# scripts/test's summary counts skipped tests (issue 15, item 16): its count()
# function, taken from the script itself, over a meson summary with 10 Ok,
# 3 Skipped and 1 Fail must total "10 passed, 1 failed, 3 skipped".
# usage: test_test_count.sh SCRIPTS_TEST WORKDIR
set -eu
script=$1 work=$2
mkdir -p "$work"
printf 'Ok:                 10\nExpected Fail:      0\nFail:               1\nUnexpected Pass:    0\nSkipped:            3\nTimeout:            0\n' \
	>"$work/summary.txt"
passed=0 failed=0 skipped=0
eval "$(sed -n '/^count() {/,/^}/p' "$script")"
count "$work/summary.txt"
line="$passed passed, $failed failed, $skipped skipped"
echo "$line"
[ "$line" = "10 passed, 1 failed, 3 skipped" ] || { echo "FAIL: want 10 passed, 1 failed, 3 skipped"; exit 1; }
grep -q 'echo "$passed passed, $failed failed, $skipped skipped"' "$script" ||
	{ echo "FAIL: scripts/test does not print the skipped count"; exit 1; }
echo "test_test_count: ok"
