#!/bin/sh
# heist-train refuses bad material with a clear message, exit status 2 and no
# model: an empty folder, too little audio, silence, white noise, chords
# (polyphonic), an unreadable file (named in the message).
#   run_train_bad_input.sh PYTHON HEIST_TRAIN OUTDIR
# HEIST_ANALYZE names the analyser. Exits 77 (skipped) without PyTorch or
# python3-soundfile.
set -eu
py=$1 ht=$2 outdir=$3
if ! "$py" -c 'import numpy, torch, soundfile' 2>/dev/null; then
	echo "PyTorch/numpy/soundfile not available for $py: skipping"
	exit 77
fi
rm -rf "$outdir"
mkdir -p "$outdir"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$py" - "$outdir" <<'PYEOF'
import os, sys
import numpy as np
import soundfile as sf
d = sys.argv[1]
for n in ("empty", "short", "silence", "noise", "chords", "unreadable"):
    os.makedirs(os.path.join(d, n))
open(os.path.join(d, "empty", "notes.txt"), "w").write("no audio here\n")
t = np.arange(24000 * 10) / 24000
sf.write(os.path.join(d, "short", "a.wav"), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 24000)
sf.write(os.path.join(d, "silence", "s.wav"), np.zeros((48000 * 40, 2), np.float32), 48000)
rng = np.random.default_rng(1)
sf.write(os.path.join(d, "noise", "n.flac"), (0.3 * rng.standard_normal(22050 * 40)).astype(np.float32), 22050)
sr = 24000
t = np.arange(sr * 40) / sr
y = np.zeros_like(t)
for k in range(40):  # a new three-note chord every second
    s = slice(k * sr, (k + 1) * sr)
    root = rng.integers(48, 70)
    for iv in rng.choice([0, 3, 4, 7, 10, 14], 3, replace=False):
        f = 440 * 2 ** ((root + iv - 69) / 12) * (1 + 0.002 * rng.standard_normal())
        for h in range(1, 8):
            y[s] += 0.05 / h * np.sin(2 * np.pi * f * h * t[s] + rng.random() * 6)
sf.write(os.path.join(d, "chords", "c.wav"), y.astype(np.float32), sr)
x = 0.3 * np.sin(2 * np.pi * 330 * np.arange(44100 * 40) / 44100)
sf.write(os.path.join(d, "unreadable", "good.wav"), x.astype(np.float32), 44100)
open(os.path.join(d, "unreadable", "broken take.wav"), "wb").write(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
PYEOF
fails=0
check() { # case expected-message
	log=$outdir/$1.log
	set +e
	"$py" "$ht" --data "$outdir/$1" --name "Bad $1" -o "$outdir/$1.hsm" --steps 2 --batch 2 --seconds 1 \
		--no-report >"$log" 2>&1
	rc=$?
	set -e
	if [ "$rc" != 2 ]; then
		echo "FAIL $1: exit status $rc, expected 2"; cat "$log"; fails=$((fails + 1)); return
	fi
	if ! grep -q "$2" "$log"; then
		echo "FAIL $1: message lacks \"$2\""; cat "$log"; fails=$((fails + 1)); return
	fi
	if [ -e "$outdir/$1.hsm" ]; then
		echo "FAIL $1: a model was written"; fails=$((fails + 1)); return
	fi
	echo "ok $1: $(grep 'error:' "$log" | head -1)"
}
check empty "no audio files"
check short "only 10.0 s of audio"
check silence "silent"
check noise "one clear pitch at a time"
check chords "one clear pitch at a time"
check unreadable "broken take.wav"
[ ! -e "$outdir/missing" ] && check missing "not a folder"
[ "$fails" = 0 ] || exit 1
