#!/bin/sh
# The optional adversarial stage for the joint model of make_default.sh:
#
#   train/make_default_gan.sh [MINUTES]
#
# fine-tunes train/work/default14/run/best.pt for MINUTES (default 15) with
# the multi-resolution spectrogram discriminator of adversarial.py, exports
# the result to train/work/default14/heist-default-gan.hsm and writes its
# quality report to train/work/default14/quality-gan/, next to the plain
# model's (quality/). Ship whichever has the better held-out numbers.
# GAN_FROM=CKPT starts from another checkpoint (for an A/B against the same
# minutes of plain training from that checkpoint).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
minutes=${1:-15}
work=$here/work/default14
py=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

styles_for=train
. "$here/default_styles.sh"
$py "$here/adversarial.py" --ckpt "${GAN_FROM:-$work/run/best.pt}" "$@" --out "$work/gan-run" --minutes "$minutes"
$py "$here/export.py" "$work/gan-run/last.pt" "$work/heist-default-gan.hsm" --name "Heist default"

styles_for=quality
. "$here/default_styles.sh"
$py "$here/quality.py" "$work/heist-default-gan.hsm" "$@" --transfer "$work/data/clarinet/heldout_" \
	--out "$work/quality-gan"
