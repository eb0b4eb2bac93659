#!/bin/sh
# ThreadSanitizer runs of the model swap, in a separate build folder
# configured with -Db_sanitize=thread:
#   test_swap_threads: a worker thread builds networks and hands them to the
#     audio thread through a lock-free ring; the audio thread swaps them in
#     with heist_engine_swap_net() while processing audio;
#   test_worker_threads: the same through the plugin: model loads through
#     its LV2 worker on a thread of the test host's while run() processes
#     audio on another and a third saves the state (skips if the plugin has
#     no worker);
#   test_model_cache_threads: four threads acquire and release shared
#     models (dsp/model.h) and build networks on them.
# Each runs for SECONDS.
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
# Only what the tests need: the whole project would double the build time.
# The bundle's heist.ttl is generated (its style scale points come from the
# shipped model), so it is a target of its own.
ninja -C "$dir" tests/robust/test_swap_threads tests/robust/test_worker_threads \
	tests/robust/test_model_cache_threads \
	plugin/heist.lv2/heist.so plugin/heist.lv2/heist.ttl
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
"$dir/tests/robust/test_swap_threads" models/heist-default.hsm "$seconds"
case $dir in
/*) abs=$dir ;;
*) abs=$(pwd)/$dir ;;
esac
rc=0
LV2_PATH="$abs/plugin" "$dir/tests/robust/test_worker_threads" \
	"$(pwd)/models/heist-default.hsm" "$seconds" || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
	exit "$rc"
fi
"$dir/tests/robust/test_model_cache_threads" models/heist-default.hsm "$seconds"
echo "run-tsan: ThreadSanitizer clean over 3 x $seconds s"

