#!/bin/sh
# Training smoke test: train/smoke.sh trains a few steps on tiny data, then
# the exported model must load in C and match the training code (parity).
#   run_smoke.sh PYTHON SMOKE_SH RUN_PARITY MAKE_REFERENCE TEST_PARITY OUTDIR
# HEIST_ANALYZE names the analyzer. Exits 77 (skipped) without PyTorch or
# FluidSynth.
set -eu
py=$1 smoke=$2 parity=$3 mkref=$4 checker=$5 outdir=$6
. "$(dirname "$0")/skip_unless.sh"
skip_unless "$py" "numpy, torch" "PyTorch/numpy"
rm -rf "$outdir"
mkdir -p "$outdir"
PYTHON=$py "$smoke" "$outdir/smoke.hsm"
exec "$parity" "$py" "$mkref" "$checker" "$outdir/ref" "$outdir/smoke.hsm"
