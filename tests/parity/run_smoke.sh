#!/bin/sh
# Training smoke test: train/smoke.sh trains a few steps on tiny data, then
# the exported model must load in C and match the training code (parity).
#   run_smoke.sh PYTHON SMOKE_SH RUN_PARITY MAKE_REFERENCE TEST_PARITY OUTDIR
# HEIST_ANALYZE names the analyzer. Exits 77 (skipped) without PyTorch or
# FluidSynth.
set -eu
py=$1 smoke=$2 parity=$3 mkref=$4 checker=$5 outdir=$6
if ! "$py" -c 'import numpy, torch' 2>/dev/null; then
	echo "PyTorch/numpy not available for $py: skipping"
	exit 77
fi
if ! command -v fluidsynth >/dev/null || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
	echo "fluidsynth or FluidR3_GM.sf2 missing: skipping"
	exit 77
fi
rm -rf "$outdir"
mkdir -p "$outdir"
PYTHON=$py "$smoke" "$outdir/smoke.hsm"
exec "$parity" "$py" "$mkref" "$checker" "$outdir/ref" "$outdir/smoke.hsm"
