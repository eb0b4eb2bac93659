#!/bin/sh
# Parity test driver: make the references with the training code, then check
# the C engine against them.
#   run_parity.sh PYTHON MAKE_REFERENCE TEST_PARITY OUTDIR MODEL.hsm|--random|--random-half
# Exits 77 (skipped) when PyTorch is not installed.
set -eu
py=$1 mkref=$2 checker=$3 outdir=$4 model=$5
if ! "$py" -c 'import numpy, torch' 2>/dev/null; then
	echo "PyTorch/numpy not available for $py: skipping"
	exit 77
fi
rm -rf "$outdir"
mkdir -p "$outdir"
if [ "$model" = "--random" ] || [ "$model" = "--random-half" ]; then
	"$py" "$mkref" "$model" "$outdir"
	model=$outdir/random.hsm
else
	"$py" "$mkref" "$model" "$outdir"
fi
exec "$checker" "$model" "$outdir"
