#!/bin/sh
# The joint multi-style model: every instrument of train/instruments.py
# rendered by FluidSynth, one network with a learned style embedding each.
#
#   train/make_default.sh [MINUTES] [OUT.hsm]
#
# MINUTES of training (default 240; rerun to resume), OUT defaults to
# train/work/default14/heist-default.hsm (copy it over models/heist-default.hsm
# once its quality report is good). Per instrument: FILES x 60 s of training
# performances (default 4, env FILES) and 60 s held out. Work files:
# train/work/default14/ (data/<instrument>/, run/, quality/).
# INIT=MODEL.hsm starts the network from a trained model (its first style's
# embedding for every new style): far fewer steps than from scratch.
# CS_FILES x 60 s per instrument from Csound's GM bank join the training
# files (default 2; a second sound set, so the model learns the instrument,
# not one sample set; TimGM6mb stays the held-out set of timbre.py).
# AUGMENT=1 adds train.py's voice-like level/confidence augmentation.
# KEEP=N keeps run/step_NNNNN.pt every N steps (to choose one by timbre.py).
# Needs heist-analyze and heist-render (meson setup build && ninja -C build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
minutes=${1:-240}
work=$here/work/default14
out=${2:-$work/heist-default.hsm}
files=${FILES:-4}
cs_files=${CS_FILES:-2}
augment=${AUGMENT:+--augment}
init=${INIT:+--init $INIT}
keep=${KEEP:+--keep-every $KEEP}
py=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$work/data" "$work/run"

styles="" heldout="" qstyles=""
i=0
# one instrument name per line (names contain spaces)
$py "$here/data.py" list | sed -n 's/^| \([a-z][a-z ]*[a-z]\) | [0-9].*/\1/p' >"$work/instruments.txt"
while IFS= read -r inst; do
	d=$work/data/$(echo "$inst" | tr ' ' '-')
	mkdir -p "$d"
	last=$(printf '%02d' $((files - 1)))
	[ -f "$d/train_$last.wav" ] ||
		$py "$here/data.py" make --instrument "$inst" --seed $((100 + i)) --files "$files" --seconds 60 "$d/train"
	if [ "$cs_files" -gt 0 ]; then
		cs_last=$(printf '%02d' $((cs_files - 1)))
		[ -f "$d/train_cs_$cs_last.wav" ] ||
			$py "$here/data.py" make --instrument "$inst" --seed $((300 + i)) --files "$cs_files" --seconds 60 \
				--soundfont /usr/share/sounds/sf2/sf_GMbank.sf2 "$d/train_cs"
	fi
	[ -f "$d/heldout_00.wav" ] ||
		$py "$here/data.py" make --instrument "$inst" --seed $((200 + i)) --files 1 --seconds 60 "$d/heldout"
	i=$((i + 1))
done <"$work/instruments.txt"

# train.py takes one --style NAME:PREFIX per style (in table order)
styles_for=train
. "$here/default_styles.sh"
$py "$here/train.py" "$@" --out "$work/run" --minutes "$minutes" --batch 8 --seconds 2 --threads 1 \
	--eval-crops 28 --name "Heist default" --lr "${LR:-1e-3}" --lr-end "${LR_END:-1e-4}" $init $augment $keep
$py "$here/export.py" "$work/run/best.pt" "$out" --name "Heist default"
# the styles' profiles (band extension above 12 kHz, Heist Synth's expression),
# measured from 48 kHz renders of the training sound sets; the network bytes stay
$py "$here/style_profile.py" "$out" --render "$work/profile" -o "$out"
# the styles' spectral correction (formant stage: the network's long-term
# envelope against its instrument's), fitted on the training performances
$py "$here/style_eq.py" "$out" --data "$work/data" -o "$out" --report "$work/style_eq.json"

# per-style quality report on the held-out renders (C engine), and a clarinet
# line transferred into every style
styles_for=quality
. "$here/default_styles.sh"
$py "$here/quality.py" "$out" "$@" --transfer "$work/data/clarinet/heldout_" --out "$work/quality"
