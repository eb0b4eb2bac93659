#!/bin/sh
# heist-train smoke tests (a few steps on tiny data).
#   run_heist_train.sh new PYTHON HEIST_TRAIN DATA_PY RUN_PARITY MAKE_REFERENCE TEST_PARITY OUTDIR
#   run_heist_train.sh add PYTHON HEIST_TRAIN DATA_PY RUN_PARITY MAKE_REFERENCE TEST_PARITY OUTDIR BASE.hsm
# new: ~40 s of FluidSynth flute at 44.1 kHz stereo 16-bit (exercises reading,
#      mixing and resampling) -> heist-train, 4 steps, with the report (loss
#      plot, spectrograms, quality numbers) -> the export passes the parity checks.
# add: ~40 s of clarinet at 48 kHz stereo -> heist-train --add-to BASE.hsm, 3
#      steps -> the model keeps BASE's styles, adds "My clarinet", passes parity.
# HEIST_ANALYZE / HEIST_RENDER / HEIST_INSPECT name the tools. Exits 77
# (skipped) without PyTorch, python3-soundfile or FluidSynth.
set -eu
mode=$1 py=$2 ht=$3 data=$4 parity=$5 mkref=$6 checker=$7 outdir=$8
. "$(dirname "$0")/skip_unless.sh"
skip_unless "$py" "numpy, torch, soundfile" "PyTorch/numpy/soundfile"
rm -rf "$outdir"
mkdir -p "$outdir/rec/sub"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
fast="--steps 4 --batch 2 --seconds 1 --eval-every 2 --eval-crops 2 --warmup 2"
if [ "$mode" = new ]; then
	"$py" "$data" make --seed 21 --files 1 --seconds 36 --instrument flute --rate 44100 --stereo \
		"$outdir/rec/sub/flute" 2>/dev/null
	rm -f "$outdir"/rec/sub/*.mid
	echo "notes about the take" >"$outdir/rec/README.txt" # non-audio files are ignored
	"$py" "$ht" --data "$outdir/rec" --name "Smoke flute" -o "$outdir/model.hsm" $fast \
		>"$outdir/train.log" 2>&1 || { cat "$outdir/train.log"; exit 1; }
	cat "$outdir/train.log"
	# a new model starts from the shipped model's network
	grep -q "starting from the network of .*heist-default.hsm" "$outdir/train.log" ||
		{ echo "FAIL: no warm start"; exit 1; }
	for f in model.hsm model-report/report.md model-report/loss.png model-report/spectrogram-0.png \
		model.work/run/ckpt.pt; do
		[ -s "$outdir/$f" ] || { echo "FAIL: $f missing"; exit 1; }
	done
	grep -q "F0 L1" "$outdir/model-report/report.md" || { echo "FAIL: no quality table"; exit 1; }
	# rerunning continues from the checkpoint
	"$py" "$ht" --data "$outdir/rec" --name "Smoke flute" -o "$outdir/model.hsm" $fast --steps 5 \
		--no-report >"$outdir/resume.log" 2>&1 || { cat "$outdir/resume.log"; exit 1; }
	grep -q "resuming at step 4" "$outdir/resume.log" || { cat "$outdir/resume.log"; echo "FAIL: no resume"; exit 1; }
	model=$outdir/model.hsm
else
	base=$9
	"$py" "$data" make --seed 22 --files 1 --seconds 36 --instrument clarinet --rate 48000 --stereo \
		"$outdir/rec/clarinet" 2>/dev/null
	"$py" "$ht" --data "$outdir/rec" --name "My clarinet" --add-to "$base" -o "$outdir/added.hsm" $fast \
		--steps 3 --no-report
	HEIST_TRAIN_PY=$ht "$py" - "$base" "$outdir/added.hsm" <<'PYEOF'
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(os.environ["HEIST_TRAIN_PY"])))
from export import read_hsm
c0, _, s0 = read_hsm(sys.argv[1])
c1, _, s1 = read_hsm(sys.argv[2])
assert c1.n_styles == c0.n_styles + 1, (c0.n_styles, c1.n_styles)
assert c1.style_names == c0.style_names + ["My clarinet"], c1.style_names
assert s1[:-1] == s0, "old style statistics changed"
assert 45 < s1[-1][2] < 95, s1[-1]
print(f"added: {c1.style_names}")
PYEOF
	# a name the model has already, in any case, is refused (exit 2)
	if "$py" "$ht" --data "$outdir/rec" --name "VIOLIN" --add-to "$base" -o "$outdir/dup.hsm" \
		--steps 1 --no-report >"$outdir/dup.log" 2>&1; then
		echo "FAIL: a duplicate style name was accepted"; exit 1
	fi
	grep -q "already has a style named" "$outdir/dup.log" || { cat "$outdir/dup.log"; exit 1; }
	model=$outdir/added.hsm
fi
exec "$parity" "$py" "$mkref" "$checker" "$outdir/ref" "$model"
