#!/bin/sh
# Runs the .hsm parser fuzzer (libFuzzer, ASan + UBSan) for a bounded time
# from a fresh seed corpus, and fails on any crash, leak or sanitizer report.
#
# Usage: run-fuzz.sh FUZZER HSM_CORPUS WORKDIR [SECONDS] [extra libFuzzer args]
#   SECONDS defaults to $HEIST_FUZZ_SECONDS, else 60. Crash inputs are left
#   in WORKDIR (crash-*, leak-*, ...); the grown corpus in WORKDIR/corpus.
# A long run, e.g. 10 million executions on one core:
#   run-fuzz.sh build/tests/fuzz/fuzz_model build/tests/fuzz/hsm_corpus /tmp/fz 0 -runs=10000000
set -eu
fuzzer=$1 corpus_gen=$2 work=$3
shift 3
seconds=${HEIST_FUZZ_SECONDS:-60}
if [ $# -gt 0 ]; then
	seconds=$1
	shift
fi
mkdir -p "$work/seeds" "$work/corpus"
"$corpus_gen" "$work/seeds" >"$work/seeds.log"
tail -n 1 "$work/seeds.log"
# -max_len covers the largest seed (~80 KiB, real models are larger than
# 8 KiB) with room to grow; -timeout flags a hang.
set -- -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/" "$@"
if [ "$seconds" = 0 ]; then
	shift # no time limit: -runs= given by the caller
fi
echo "run-fuzz: $fuzzer $*"
"$fuzzer" "$@" "$work/corpus" "$work/seeds" 2>"$work/fuzz.log" || {
	tail -n 60 "$work/fuzz.log"
	echo "run-fuzz: FAILED (inputs in $work)"
	exit 1
}
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
	"$work/fuzz.log" | sort -u || true
if [ "$seconds" = 0 ]; then
	echo "run-fuzz: no crash ($*)"
else
	echo "run-fuzz: no crash in ${seconds}s"
fi
