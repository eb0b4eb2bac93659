#!/usr/bin/python3
"""Band extension per style: energy above 12 kHz of Heist's 48 kHz output
within 10 dB of the training instrument's own (issue 13), for violin,
trumpet, choir, tuba, harmonica and French horn (tuba and French horn:
the styles whose profile outlier frames made too bright, train/README.md).

    bandext_styles.py MODEL.hsm WORKDIR [--bound DB]

For each style: a 3 s melody in the middle of its range, played by FluidR3's
Voice Oohs (an input instrument, moved by whole octaves into its own range)
and turned into the style by heist-render at 48 kHz; the same notes played
by the style's FluidR3 instrument are the reference. Measure as
train/timbre.py (hf_db): energy above 12 kHz as a fraction of the total,
in dB, over the frames where a note sounds. The same model without its
profile section is rendered too, for the before/after table. Only the
training sound set (FluidR3) is used: never TimGM6mb (timbre.py's held-out
set) nor MuseScore_General. Exits 77 without fluidsynth or FluidR3.
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "train"))

import timbre  # noqa: E402
from export import read_hsm_full, write_hsm  # noqa: E402
from instruments import INSTRUMENTS  # noqa: E402

STYLES = ("violin", "trumpet", "choir aahs", "tuba", "harmonica", "french horn")
INPUT = "voice ooh"
# Issue 13's bound: "within 10 dB of the training instrument's own".
BOUND_DB = 10.0


def main() -> int:
    model, work = sys.argv[1], sys.argv[2]
    bound = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--bound" else BOUND_DB
    if not shutil.which("fluidsynth") or not os.path.exists(timbre.TRAIN_SF):
        print("SKIP: fluidsynth or FluidR3 missing")
        return 77
    os.makedirs(work, exist_ok=True)
    cfg, tensors, stats, prof = read_hsm_full(model)
    if prof is None:
        print(f"FAIL: {model} has no profile section (train/style_profile.py)")
        return 1
    plain = os.path.join(work, "no-profile.hsm")
    write_hsm(plain, cfg, tensors, stats)  # the same network, no section
    names = list(INSTRUMENTS)
    train = timbre.Batch(timbre.TRAIN_SF)
    jobs = []
    for k, name in enumerate(STYLES):
        inst = INSTRUMENTS[name]
        mid = (inst.lo + inst.hi) // 2
        notes = timbre.melody(500 + k, mid - 5, mid + 5, 3.0)
        sh = timbre.octave_shift(notes, timbre.INPUTS[INPUT][1], timbre.INPUTS[INPUT][2])
        jobs.append((name, notes, train.add(notes, inst.program),
                     train.add(notes, timbre.INPUTS[INPUT][0], sh), sh))
    train.render(os.path.join(work, "train.mid"))
    failed = 0
    print(f"{'style':<12} {'>12 kHz vs FluidR3, dB: no profile':>36} {'profile':>8}")
    for name, notes, ti, xi, sh in jobs:
        ref = timbre.Sig(train.out[ti])
        mask = timbre.note_mask(notes, len(ref.level))
        rel = []
        for tag, m in (("plain", plain), ("profile", model)):
            y = timbre.heist(m, train.out[xi], work, f"{name.replace(' ', '_')}-{tag}",
                             [f"style_a={names.index(name)}", f"style_b={names.index(name)}",
                              f"pitch_shift={-sh}"])
            rel.append(timbre.hf_db(timbre.Sig(y), mask) - timbre.hf_db(ref, mask))
        ok = abs(rel[1]) <= bound
        failed += not ok
        print(f"{name:<12} {rel[0]:+36.1f} {rel[1]:+8.1f}" + ("" if ok else f"  FAIL (> {bound} dB)"))
    print("FAIL" if failed else f"OK: every style within {bound} dB above 12 kHz")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
