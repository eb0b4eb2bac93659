#!/bin/sh
# Training smoke run (well under a minute): tiny data, a few steps, export.
#
#   train/smoke.sh OUT.hsm [WORKDIR]
#
# Renders ~16 s of violin (and 6 s held out), analyses it with heist-analyze
# (HEIST_ANALYZE=path, else the newest build*/tools/heist-analyze, else PATH),
# trains 8 steps of batch 2 x 1 s and exports OUT.hsm. WORKDIR defaults to a
# temporary directory that is removed afterwards.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
out=$1
if [ $# -ge 2 ]; then
	work=$2
	keep=1
else
	work=$(mktemp -d)
	keep=0
fi
cleanup() { [ "$keep" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$work/data"
$py "$here/data.py" make --seed 11 --files 2 --seconds 8 "$work/data/train" 2>/dev/null
$py "$here/data.py" make --seed 12 --files 1 --seconds 6 "$work/data/heldout" 2>/dev/null
$py "$here/train.py" --style "violin:$work/data/train_" --heldout "violin:$work/data/heldout_" \
	--out "$work/run" --steps 8 --batch 2 --seconds 1 --eval-every 4 --eval-crops 2 \
	--warmup 2 --name "Heist smoke"
$py "$here/export.py" "$work/run/ckpt.pt" "$out"
