#!/usr/bin/python3
"""The effect's MIDI out gives the notes of known melodies back.

1. FluidR3 (Debian's fluid-soundfont-gm) renders random melodies of five
   General MIDI instruments at 48 kHz with fluidsynth; the real plugin runs
   over each render (midi_out_host, through lilv) and its MIDI out, timed as
   a latency-compensating host records it, is turned into notes.
2. Round trip: melodies played by Heist Synth (heist-render --midi, violin
   and flute) go through the effect the same way; one held note is bent by
   +30 cents, which must come back as pitch bend, not as another note.

3. The project's voice material (VOICES): FluidR3's Voice Oohs and the
   sung lines of tests/material, against their written notes.

All with midi_lookahead = 100 ms (LOOKAHEAD); the FluidR3 melodies also
without it (the default), bounded where the 95 % is met there. A reference
note is found when a detected note has the same pitch and an onset within
50 ms (one-to-one). Precision and recall must be >= 95 % (the
issue's bound) where it is met; the floors under it, with the measurements
and reasons, are at INSTRUMENTS and VOICES.

Melodies: 0.25..0.6 s notes, never the same pitch twice in a row (a
repeated pitch without a rest has no pitch change to find it by), within
each instrument's range above the 75 Hz default floor. FluidR3's are
detached (0.15..0.3 s rests): its samples ring on after a note-off, so a
legato step sounds both notes at once for up to 100 ms, which a monophonic
tracker cannot split on time. Heist Synth's are 30 % legato (it is
monophonic).

Usage: midi_out.py MIDI_OUT_HOST HEIST_RENDER WORKDIR [MS,MS,...]
(the optional list: lookaheads at which every FluidR3 and voice render's
precision and recall are also printed, unbounded: how midi_lookahead trades
latency for accuracy)
"""
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "train"))
import smf  # noqa: E402  (pure Python)

SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SKIP = 77
# The tracker may decide a note 100 ms after its onset (notes.h: a bowed
# attack reads noise up to 104 ms, FluidR3's flute an octave low up to
# 70 ms); the plugin adds that to its latency, so the notes stay on time.
# Without it (0, the default) the late decisions come late: printed too.
LOOKAHEAD = "midi_lookahead=100"
RATE = 48000
TOLERANCE_S = 0.05
BOUND = 0.95
# (GM program, name, lowest, highest MIDI note, bound on precision and recall)
# Measured with the 100 ms lookahead (seed 14, 40 notes): violin 95.1/97.5,
# flute 100/100, trumpet 100/100, clarinet 100/100 (97.6/100 before the
# sub-floor fix of analysis.c), alto sax 95.1/97.5: all
# at the 95 %. (Before the glide, scoop and dropout handling of
# notes.h: flute 95.2/100, clarinet 95.2/100, alto sax 81.8/90.0, its
# attacks scooping from 60 cents low across the half semitone 50..60 ms in;
# before the lookahead: violin 78.6/82.5, flute 77.8/87.5, alto sax
# 66.7/80.0.) The one alto sax note left reads an octave low for 112 ms,
# past the 100 ms lookahead (right at 200 ms).
# The last field: the bound without lookahead (midi_lookahead = 0, the
# default), None where only printed. Trumpet 100/100 and clarinet 100/100
# meet the 95 % there; violin 83.3/87.5, flute 78.3/90.0 and alto sax
# 66.7/80.0 do not, and cannot causally: their pitch is clear only 50..110
# ms after the onset (bow noise, an octave-low or scooped attack) while
# without lookahead an event can be stamped at most ~10 ms before the frame
# that decides it (the engine's latency less its analysis delay).
INSTRUMENTS = [
    (40, "violin", 57, 88, BOUND, None),
    (73, "flute", 62, 88, BOUND, None),
    (56, "trumpet", 56, 80, BOUND, BOUND),
    (71, "clarinet", 52, 84, BOUND, BOUND),
    (65, "alto sax", 52, 78, BOUND, None),
]


def write_midi(path: str, program: int, notes, extra=()) -> None:
    """notes: (start_s, end_s, midi, velocity); extra: (time_s, bytes).
    480 ticks per quarter at 120 bpm: 960 ticks per second."""
    events = [(0, b"", bytes([0xC0, program]))] if program >= 0 else []
    for start, end, note, vel in notes:
        events.append((round(start * 960), 1, bytes([0x90, note, vel])))
        events.append((round(end * 960), 0, bytes([0x80, note, 0])))
    for t, data in extra:
        events.append((round(t * 960), 2, data))
    events.sort(key=lambda e: (e[0], e[1]))
    with open(path, "wb") as f:
        f.write(smf.smf(0, [smf.track([(tick, data) for tick, _, data in events], 960)]))


def melody(rng: random.Random, lo: int, hi: int, count: int, legato: float):
    notes, t, prev = [], 0.3, None
    for _ in range(count):
        n = rng.randint(lo, hi)
        while n == prev:
            n = rng.randint(lo, hi)
        dur = rng.uniform(0.25, 0.6)
        notes.append((t, t + dur, n, rng.randint(60, 120)))
        t += dur + (0.0 if rng.random() < legato else rng.uniform(0.15, 0.3))
        prev = n
    return notes


def midi_out(host: str, wav: str, controls=(LOOKAHEAD,)):
    """Notes (onset_s, pitch) and bends (time_s, cents) from the effect."""
    text = subprocess.run([host, wav, *controls], check=True, capture_output=True,
                          text=True).stdout
    notes, bends, on = [], [], {}
    for line in text.splitlines():
        t, st, d1, d2 = line.split()
        t, st, d1, d2 = float(t), int(st), int(d1), int(d2)
        if st & 0xF0 == 0x90 and d2 > 0:
            on[d1] = t
            notes.append((t, d1))
        elif st & 0xF0 == 0xE0:
            bends.append((t, ((d2 << 7 | d1) - 8192) / 8192 * 200.0))
    return notes, bends


def score(ref, got):
    """(precision, recall, worst onset error of the matches)."""
    used, matched, worst = set(), 0, 0.0
    for start, _, pitch, _ in ref:
        best = None
        for i, (t, p) in enumerate(got):
            if i not in used and p == pitch and abs(t - start) <= TOLERANCE_S:
                if best is None or abs(t - start) < abs(got[best][0] - start):
                    best = i
        if best is not None:
            used.add(best)
            matched += 1
            worst = max(worst, abs(got[best][0] - start))
    return (matched / len(got) if got else 0.0, matched / len(ref), worst)


SWEEP = []  # lookaheads (ms) to print as well (the optional 4th argument)


def sweep(host: str, name: str, ref, wav: str, controls=()) -> None:
    for ms in SWEEP:
        p, r, _ = score(ref, midi_out(host, wav, (f"midi_lookahead={ms}", *controls))[0])
        print(f"info: {name} at lookahead {ms} ms: precision {100 * p:.1f} %, "
              f"recall {100 * r:.1f} %")


def report(name, ref, got, bound=BOUND) -> int:
    p, r, worst = score(ref, got)
    ok = p >= bound and r >= bound
    print(("ok" if ok else "FAIL") + f": {name}: {len(ref)} notes, {len(got)} detected, "
          f"precision {100 * p:.1f} %, recall {100 * r:.1f} %, worst onset {1000 * worst:.1f} ms "
          f"(bound {100 * bound:.0f} %)")
    return 0 if ok else 1


# The project's voice material (tests/material/make_material.py, its note
# plan in .labels.json), clean: (name, controls, precision floor, recall
# floor). The written onset of a legato note is where its glide sets off
# from the previous pitch (an exponential approach, 30 or 120 ms time
# constant); the pitch comes within 50 cents of the note only
# tau * ln(2 * step) later: 166 ms for a slow whole tone, 380 ms for a slow
# octave, past the 200 ms the lookahead can reach. The tracker predicts a
# slow glide's landing while it slows (notes.h, HEIST_NOTES_LAND_*) and
# stamps the note where the glide set off. The "glide-aware" score printed
# next to it (no bound) also accepts such a note from its written onset to
# where the contour (.truth.npz) first comes within 50 cents of it, +-50 ms.
# Measured with the lookahead: oohs 100/100 (FluidR3 Voice Oohs);
# sung-high 100/100; sung-male 100/100; sung-low 100/100 over 13 notes
# (UNHEARD below): all at the 95 %.
# sung-male was 92.3/92.3: a slow whole-tone glide (1.70 s) from the
# vibrato's trough of 48 (47.67) that lands 30 cents flat (49.7), and
# sung-low 84.6/84.6: an 11-semitone slow glide (1.46 s) stamped 51 ms late.
# Both glides' landings were predicted by Aitken's delta squared over three
# 4-frame means, which read the pitch's steps as changes of speed: at
# sung-low 1.46 s it wandered by 2 semitones from frame to frame (a low
# voice's pitch reads in steps of one glottal cycle on a fast glide: YIN's
# window, 8 ms at the 65 Hz floor, is shorter than the cycle, so each frame
# reads the length of the cycle it holds, the same for 2-3 frames, then
# jumps by 0.3-0.8 st), at sung-male 1.70 s it hovered at 49.35-49.76; 5
# agreeing frames came 150-200 ms after the set-off, past the 100 ms
# lookahead. A least-squares fit of the approach
# in its integral form (notes.h, HEIST_NOTES_LAND_*) is clear 90-120 ms
# after it. sung-low's other miss (9.59 s: a slide 38.8 -> 38 from the
# previous note's vibrato, under a semitone: no glide, decided by the
# hysteresis 137 ms after it set off) now starts where the slide set off
# (HEIST_NOTES_SLIDE_ST). Before the landing prediction: sung-high
# 92.3/92.3, sung-male 58.8/76.9; before the front end's glide and onset
# octave fixes (analysis.c octave_up_near, young_octave_yields; notes.c
# glide_goes_on) sung-low 64.3/64.3 over 14.
VOICES = [
    ("oohs", (), BOUND, BOUND),
    ("sung-high", (), BOUND, BOUND),
    ("sung-male", (), BOUND, BOUND),
    ("sung-low", (), BOUND, BOUND),
]

# Written notes no pitch tracker can hear, left out of the reference (onset
# s, rounded to 10 ms): sung-low's legato note at 3.02 s has the pitch of the
# note it follows (49 after 49) with no articulation (no rest, no loudness
# dip): the same sound goes on.
UNHEARD = {"sung-low": (3.02,)}


def glide_aware(ref, got, truth_f0) -> tuple:
    """Precision and recall with a legato note's onset window spanning its
    glide: from the written onset to where the truth contour (f0 per 4 ms
    frame) first comes within 50 cents of the note, +-TOLERANCE_S."""
    import math
    used, matched = set(), 0
    for start, end, pitch, _ in ref:
        arrive = start
        k = int(round(start * 250.0))
        while k < len(truth_f0) and k < end * 250.0:
            f = float(truth_f0[k])
            if f > 0 and abs(12.0 * math.log2(f / 440.0) + 69.0 - pitch) <= 0.5:
                arrive = max(start, k / 250.0)
                break
            k += 1
        for i, (t, p) in enumerate(got):
            if i not in used and p == pitch and start - TOLERANCE_S <= t <= arrive + TOLERANCE_S:
                used.add(i)
                matched += 1
                break
    return (matched / len(got) if got else 0.0, matched / len(ref))


def voice(host: str, work: str) -> int:
    """MIDI out of the voice material against its notes."""
    import json
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "material"))
    import make_material  # noqa: E402  (numpy, scipy, espeak-ng, sox)
    fails = 0
    for name, controls, pmin, rmin in VOICES:
        make_material.ensure(os.path.join(work, "material"), name)
        base = os.path.join(work, "material", f"{name}.clean")
        with open(base + ".labels.json") as f:
            notes = json.load(f)["notes"]
        ref = [(n["t"], n["t"] + n["dur"], n["midi"], 0) for n in notes
               if not any(abs(n["t"] - u) < 0.01 for u in UNHEARD.get(name, ()))]
        got, _ = midi_out(host, base + ".wav", (LOOKAHEAD, *controls))
        p, r, worst = score(ref, got)
        ok = p >= pmin and r >= rmin
        print(("ok" if ok else "FAIL") + f": voice {name}: {len(ref)} notes, {len(got)} "
              f"detected, precision {100 * p:.1f} %, recall {100 * r:.1f} %, worst onset "
              f"{1000 * worst:.1f} ms (floors {100 * pmin:.0f} / {100 * rmin:.0f} %)")
        sweep(host, f"voice {name}", ref, base + ".wav", controls)
        import numpy as np
        gp, gr = glide_aware(ref, got, np.load(base + ".truth.npz")["f0"])
        print(f"info: voice {name} glide-aware: precision {100 * gp:.1f} %, recall "
              f"{100 * gr:.1f} %")
        fails += not ok
    return fails


def main() -> int:
    host, render, work = sys.argv[1:4]
    if len(sys.argv) > 4:
        SWEEP.extend(int(ms) for ms in sys.argv[4].split(",") if ms)
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    fails = 0
    if shutil.which("fluidsynth") and os.path.isfile(SOUNDFONT):
        rng = random.Random(14)
        for program, name, lo, hi, bound, bound0 in INSTRUMENTS:
            ref = melody(rng, lo, hi, 40, 0.0)
            mid = os.path.join(work, f"gm{program}.mid")
            wav = os.path.join(work, f"gm{program}.wav")
            write_midi(mid, program, ref)
            subprocess.run(["fluidsynth", "-ni", "-q", "-g", "1.0", "-R", "0", "-C", "0",
                            "-r", str(RATE), "-T", "wav", "-F", wav, SOUNDFONT, mid],
                           check=True, stdout=subprocess.DEVNULL)
            got, _ = midi_out(host, wav)
            fails += report(f"FluidR3 {name}", ref, got, bound)
            # without the lookahead (the default, keeping the effect's
            # latency): bounded where met, else printed
            got0 = midi_out(host, wav, ("midi_lookahead=0",))[0]
            if bound0 is not None:
                fails += report(f"FluidR3 {name} without lookahead", ref, got0, bound0)
            else:
                p, r, _ = score(ref, got0)
                print(f"info: FluidR3 {name} without lookahead: precision {100 * p:.1f} %, "
                      f"recall {100 * r:.1f} %")
            sweep(host, f"FluidR3 {name}", ref, wav)
    else:
        print("SKIP (FluidR3 part): fluidsynth or FluidR3_GM.sf2 missing")
        return SKIP

    rng = random.Random(41)
    for style, lo, hi in (("violin", 57, 86), ("flute", 62, 86)):
        ref = melody(rng, lo, hi, 30, 0.3)
        # the 6th note bent by +30 cents halfway (bend range 2: 8192 + 1229)
        s6, e6 = ref[5][0], ref[5][1]
        v = 8192 + round(0.15 * 8192)
        extra = [((s6 + e6) / 2, bytes([0xE0, v & 127, v >> 7])),
                 (e6 + 0.01, bytes([0xE0, 0, 64]))]
        mid = os.path.join(work, f"synth-{style}.mid")
        wav = os.path.join(work, f"synth-{style}.wav")
        write_midi(mid, -1, ref, extra)
        subprocess.run([render, "--midi", mid, wav, "--quiet", "--param", f"style_a={style}"],
                       check=True)
        got, bends = midi_out(host, wav)
        fails += report(f"round trip via Heist Synth ({style})", ref, got)
        # the bend: the last bend before the note's end, after its middle
        late = [c for t, c in bends if (s6 + e6) / 2 < t < e6 - 0.02]
        ok = bool(late) and abs(late[-1] - 30.0) <= 5.0  # the tracker's 2-cent step + analysis
        print(("ok" if ok else "FAIL") + f": {style}: a +30 cent bend comes back as "
              f"{late[-1] if late else float('nan'):+.1f} cents of pitch bend")
        fails += not ok
    fails += voice(host, work)
    print("midi_out: " + ("ok" if not fails else f"{fails} failure(s)"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
