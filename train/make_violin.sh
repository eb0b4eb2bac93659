#!/bin/sh
# Data -> features (tools/heist-analyze) -> training -> models/heist-default.hsm.
#
#   train/make_violin.sh [MINUTES]        (default 65 minutes of training)
#
# Work files go to train/work/ (git-ignored): rendered data in
# train/work/violin/, the run (resumable checkpoints, log) in
# train/work/violin-run/. Rerunning continues an interrupted run.
# Needs heist-analyze: meson setup build && ninja -C build tools/heist-analyze
# (or HEIST_ANALYZE=/path/to/heist-analyze).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
minutes=${1:-65}
py=/usr/bin/python3
work=$here/work
data=$work/violin
run=$work/violin-run
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

mkdir -p "$data" "$run"
# ~13 minutes of training performances (seed 1) and ~1 minute held out (seed 2)
[ -f "$data/train_11.wav" ] || $py "$here/data.py" make --seed 1 --files 12 --seconds 60 "$data/train"
[ -f "$data/heldout_00.wav" ] || $py "$here/data.py" make --seed 2 --files 1 --seconds 60 "$data/heldout"

$py "$here/train.py" --style "violin:$data/train_" --heldout "violin:$data/heldout_" \
	--out "$run" --minutes "$minutes" --batch 8 --seconds 2 --threads 1 --name "Heist default"

$py "$here/export.py" "$run/ckpt.pt" "$repo/models/heist-default.hsm" --name "Heist default"

# resynthesis check on the held-out clip (pitch cents, loudness, spectral loss)
$py "$here/evaluate.py" "$repo/models/heist-default.hsm" "$data/heldout_" --out "$run/eval"
