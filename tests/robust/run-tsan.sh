#!/bin/sh
# ThreadSanitizer run of the model swap: tests/robust/test_swap_threads.c
# (a worker thread builds networks and hands them to the audio thread through
# a lock-free ring; the audio thread swaps them in while processing audio)
# in a separate build folder configured with -Db_sanitize=thread.
#
# Usage: tests/robust/run-tsan.sh [SECONDS]   (default 60; HEIST_TSAN_SECONDS
# also sets it; HEIST_TSAN_BUILD names the build folder, default build-tsan).
# Exits non-zero on any ThreadSanitizer report or test failure.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-${HEIST_TSAN_SECONDS:-60}}
dir=${HEIST_TSAN_BUILD:-build-tsan}
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
		>"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; exit 1; }
fi
# Only what the test needs: the whole project would double the build time.
ninja -C "$dir" tests/robust/test_swap_threads
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
	"$dir/tests/robust/test_swap_threads" models/heist-default.hsm "$seconds"
echo "run-tsan: ThreadSanitizer clean over $seconds s"
