#!/usr/bin/python3
"""Held-out timbre test: does each style sound like its instrument, judged
against a GM sound set the model never heard?

    timbre.py [MODEL.hsm] --out DIR [--short] [--soundfont SF2]
              [--min-rate R] [--max-median DB] [--min-morph R]

The script writes its own MIDI: for every one of the 14 instruments
(train/instruments.py) a few melodies over the instrument's range (low, middle
and high part; --short: one melody in the middle, two inputs, one for the
morph). Each melody is rendered by FluidSynth (reverb/chorus off, 48 kHz):

* by all 14 instruments of the held-out set (TimGM6mb, `timgm6mb-soundfont`,
  never used for training): the 14 references;
* by the target instrument of the training set (FluidR3): the ceiling, i.e.
  how near two sample sets playing the same notes are;
* by input instruments a user might play, from FluidR3 but not among the
  styles (whistle, ocarina, choir "ooh"), shifted by whole octaves into their
  own range; heist-render (the C engine) turns each into the style, with the
  octaves taken back by pitch_shift so the output plays the melody's notes.

Measure: frame-wise log-mel spectra (40 bands, 60 Hz - 7.6 kHz, 2048-point
FFT, 10 ms hop), bands more than 50 dB under the frame's strongest raised to
that floor; per frame the level is removed (each spectrum minus its mean
over bands, in dB) and the distance is the RMS over bands of the difference;
a render's distance to a reference is the mean over the frames where a note
sounds (MIDI note on..off) and both signals are within 40 dB of their
loudest frame. The nearest reference is the one at the least distance; a
render is recognised when that is the target instrument's. Also per render:
energy above 12 kHz as a fraction of the total, in dB, minus the same for the
training instrument (FluidR3) on the same notes (-inf-like values are floored
at -99 dB).

Morph: for 8 neighbouring pairs, a melody in the overlap of both ranges is
rendered at morph 0.5 from each input, and by every pure style from the same
input; it passes when the nearest of the 14 pure-style renders is one of the
pair's two (the model's own styles: TimGM6mb's references often do not
recognise the pure ends themselves). Also reported: the nearest held-out
reference, and the detour (distance to a + distance to b) / (a to b), 1 on
the straight path.

Writes DIR/timbre.md and DIR/timbre.json. With --min-rate / --max-median /
--min-morph / --max-detour it exits 1 when the recognised rate, the median
distance to the target, the morph pass rate or its detour is worse (the CI
test timbre-short, tests/parity/meson.build).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import Track, read_wav, write_wav  # noqa: E402
from features import REPO  # noqa: E402
from instruments import INSTRUMENTS, Instrument  # noqa: E402

RATE = 48000
HELD_OUT_SF = "/usr/share/sounds/sf2/TimGM6mb.sf2"
TRAIN_SF = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
# Input instruments: GM program, comfortable MIDI range (the melody is moved
# by whole octaves towards its middle).
INPUTS = {
    "whistle": (78, 72, 96),
    "ocarina": (79, 67, 91),
    "voice ooh": (53, 50, 74),
}
SHORT_INPUTS = ("whistle", "voice ooh")
SHORT_MORPH_INPUTS = ("voice ooh",)
MORPH_PAIRS = [
    ("violin", "cello"), ("cello", "bassoon"), ("flute", "clarinet"), ("oboe", "clarinet"),
    ("trumpet", "trombone"), ("trombone", "tuba"), ("french horn", "trombone"),
    ("alto sax", "tenor sax"),
]
GAP_S = 1.5  # silence after each melody in a sequence of renders (release tails)
LEAD_S = 0.3  # silence before each melody (the controllers settle)
CHUNK_S = 400.0  # seconds of audio per FluidSynth run (memory: ~0.15 GB)
N_MELS, F_LO, F_HI = 40, 60.0, 7600.0
N_FFT, HOP = 2048, 480
ACTIVE_DB = 40.0  # frames this far below a signal's loudest frame are left out
HF_HZ = 12000.0
FLOOR_DB = 50.0

Note = Tuple[float, float, int, int]  # on, off (s), MIDI note, velocity


# ------------------------------------------------------------------ melodies

def melody(seed: int, lo: int, hi: int, seconds: float) -> List[Note]:
    """A deterministic monophonic line inside [lo, hi]: steps and leaps on a
    major scale, notes of 0.2-0.9 s, legato or detached, velocity 55-115."""
    rng = random.Random(seed)
    scale = [0, 2, 4, 5, 7, 9, 11]
    pitches = [p for p in range(lo, hi + 1) if (p - lo) % 12 in scale]
    i = len(pitches) // 2
    notes: List[Note] = []
    t = 0.2
    while t < seconds:
        step = rng.choice([-2, -1, -1, 1, 1, 2, -3, 3, 4, -4, 0])
        i = min(len(pitches) - 1, max(0, i + step))
        dur = rng.choice([0.2, 0.3, 0.45, 0.6, 0.9])
        notes.append((t, t + dur, pitches[i], rng.randint(55, 115)))
        t += dur + (0.0 if rng.random() < 0.6 else rng.choice([0.05, 0.15, 0.3]))
    return notes


def melodies(inst: Instrument, short: bool, seed: int) -> List[Note]:
    """Melodies over the instrument's range (short: one in the middle),
    joined with rests between them."""
    lo, hi = inst.lo, inst.hi
    third = max(7, (hi - lo) // 3)
    if short:
        parts = [(lo + third // 2, min(hi, lo + third // 2 + third + 5))]
    else:
        parts = [(lo, lo + third + 4), (lo + third - 2, hi - third + 2), (hi - third - 4, hi)]
    out: List[Note] = []
    t0 = 0.0
    for j, (a, b) in enumerate(parts):
        m = melody(seed * 10 + j, a, b, 6.0 if short else 7.0)
        out += [(t0 + on, t0 + off, n, v) for on, off, n, v in m]
        t0 = out[-1][1] + 0.8
    return out


def length_s(notes: Sequence[Note]) -> float:
    return notes[-1][1] + GAP_S


class Batch:
    """Melodies to render with one sound set, one after another in a single
    SMF (one FluidSynth run: loading FluidR3 costs more than rendering)."""

    def __init__(self, soundfont: str) -> None:
        self.soundfont = soundfont
        self.jobs: List[Tuple[Sequence[Note], int, int]] = []
        self.out: List[np.ndarray] = []

    def add(self, notes: Sequence[Note], program: int, transpose: int = 0) -> int:
        self.jobs.append((notes, program, transpose))
        return len(self.jobs) - 1

    def render(self, path: str) -> None:
        """Render the jobs, in runs of at most CHUNK_S seconds (memory)."""
        self.out = []
        chunk: List[Tuple[Sequence[Note], int, int]] = []
        total = 0.0
        for j, job in enumerate(self.jobs):
            chunk.append(job)
            total += LEAD_S + length_s(job[0])
            if total >= CHUNK_S or j == len(self.jobs) - 1:
                self.out += self._render(f"{path[:-4]}-{j}.mid", chunk)
                chunk, total = [], 0.0

    def _render(self, path: str, jobs) -> List[np.ndarray]:
        tr = Track()
        t0, starts = 0.0, []
        for notes, prog, tp in jobs:
            starts.append(t0)
            tr.cc(t0, 0, 121, 0)  # reset controllers
            tr.cc(t0, 0, 0, 0)
            tr.add(t0, bytes([0xC0, prog]))
            tr.cc(t0, 0, 7, 100)
            tr.cc(t0, 0, 11, 100)
            for on, off, n, v in notes:
                tr.note_on(t0 + LEAD_S + on, 0, n + tp, v)
                tr.note_off(t0 + LEAD_S + off, 0, n + tp)
            t0 += LEAD_S + length_s(notes)
        with open(path, "wb") as f:
            f.write(tr.smf())
        y = fluid(path, self.soundfont)
        y = np.pad(y, (0, max(0, int(round(t0 * RATE)) - len(y))))
        out = []
        for (notes, _, _), t in zip(jobs, starts):
            a = int(round((t + LEAD_S) * RATE))
            out.append(y[a:a + int(round(length_s(notes) * RATE))].copy())
        return out


def fluid(mid: str, soundfont: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as td:
        tmp = os.path.join(td, "st.wav")
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "1.0", "-R", "0", "-C", "0", "-r",
                        str(RATE), "-T", "wav", "-O", "float", "-F", tmp, soundfont, mid],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x, r = read_wav(tmp)
    assert r == RATE
    return x.mean(axis=1).astype(np.float32)


# ------------------------------------------------------------------ measures

def mel_bank() -> np.ndarray:
    def hz2mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel2hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = mel2hz(np.linspace(hz2mel(F_LO), hz2mel(F_HI), N_MELS + 2))
    freqs = np.arange(N_FFT // 2 + 1) * RATE / N_FFT
    bank = np.zeros((N_MELS, len(freqs)))
    for b in range(N_MELS):
        lo, c, hi = edges[b], edges[b + 1], edges[b + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        bank[b] = np.maximum(0.0, np.minimum(up, down))
    return bank


_BANK = None


def power_spec(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    n = 1 + max(0, (len(x) - N_FFT) // HOP)
    x = np.pad(x, (0, max(0, N_FFT + (n - 1) * HOP - len(x))))
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    return np.abs(np.fft.rfft(x[idx] * np.hanning(N_FFT), axis=1)) ** 2


class Sig:
    """A signal's level-free log-mel shape, frame level and high-band energy."""

    def __init__(self, x: np.ndarray) -> None:
        global _BANK
        if _BANK is None:
            _BANK = mel_bank()
        p = power_spec(x)
        mel = p @ _BANK.T
        logm = 10.0 * np.log10(mel + 1e-12)
        # Bands more than FLOOR_DB below the frame's strongest hold only the
        # noise floor (below the fundamental, between low harmonics), whose
        # level says nothing about the instrument: measured on FluidR3 vs
        # TimGM6mb, no floor recognised 7 of 14 instruments, 50 dB 8, 60 dB 7.
        logm = np.maximum(logm, logm.max(axis=1, keepdims=True) - FLOOR_DB)
        self.shape = logm - logm.mean(axis=1, keepdims=True)
        self.level = 10.0 * np.log10(p.sum(axis=1) + 1e-12)
        self.active = self.level > self.level.max() - ACTIVE_DB
        hf = int(np.ceil(HF_HZ * N_FFT / RATE))
        self.p_hf = p[:, hf:].sum(axis=1)
        self.p_all = p.sum(axis=1)


def note_mask(notes: Sequence[Note], n_frames: int) -> np.ndarray:
    t = (np.arange(n_frames) * HOP + N_FFT / 2) / RATE
    m = np.zeros(n_frames, bool)
    for on, off, _, _ in notes:
        m |= (t >= on) & (t < off)
    return m


def distance(a: Sig, b: Sig, mask: np.ndarray) -> float:
    n = min(len(a.level), len(b.level), len(mask))
    sel = mask[:n] & a.active[:n] & b.active[:n]
    if not sel.any():
        return float("inf")
    d = a.shape[:n][sel] - b.shape[:n][sel]
    d = d - d.mean(axis=1, keepdims=True)
    return float(np.sqrt((d * d).mean(axis=1)).mean())


def hf_db(s: Sig, mask: np.ndarray) -> float:
    n = min(len(s.level), len(mask))
    sel = mask[:n] & s.active[:n]
    return float(10.0 * np.log10(max(s.p_hf[:n][sel].sum() / max(s.p_all[:n][sel].sum(), 1e-20),
                                     10 ** -9.9)))


def nearest(out: Sig, refs: Dict[str, Sig], mask: np.ndarray) -> Tuple[str, Dict[str, float]]:
    ds = {k: distance(out, r, mask) for k, r in refs.items()}
    return min(ds, key=ds.get), ds


# ------------------------------------------------------------------ heist

def find_tool(name: str, env: str):
    """As quality.find_tool (HEIST_RENDER, newest build*/tools, PATH), without
    importing torch."""
    v = os.environ.get(env)
    if v:
        return v
    cands = sorted(glob.glob(os.path.join(REPO, "build*", "tools", name)),
                   key=lambda p: -os.path.getmtime(p))
    return cands[0] if cands else shutil.which(name)


def heist(model: str, x: np.ndarray, work: str, tag: str, params: Sequence[str]) -> np.ndarray:
    exe = find_tool("heist-render", "HEIST_RENDER")
    if exe is None:
        raise RuntimeError("heist-render not found (build the project)")
    wi, wo = os.path.join(work, tag + "-in.wav"), os.path.join(work, tag + "-out.wav")
    write_wav(wi, x, RATE)
    cmd = [exe, wi, wo, "--model", model, "--quiet"]
    for p in params:
        cmd += ["--param", p]
    subprocess.run(cmd, check=True)
    y, r = read_wav(wo)
    assert r == RATE
    return y[:, 0]


def octave_shift(notes: Sequence[Note], lo: int, hi: int) -> int:
    """Whole octaves (at most 2 either way: the pitch_shift range) moving the
    melody's middle nearest the input's middle."""
    mid = 0.5 * (min(n[2] for n in notes) + max(n[2] for n in notes))
    k = int(round(((lo + hi) / 2 - mid) / 12.0))
    return 12 * max(-2, min(2, k))


# ------------------------------------------------------------------ test

def run(model: str, out: str, short: bool, held_out_sf: str, seed: int = 13,
        styles: bool = True) -> dict:
    work = os.path.join(out, "work")
    os.makedirs(work, exist_ok=True)
    names = list(INSTRUMENTS)
    progs = [INSTRUMENTS[n].program for n in names]
    inputs = [k for k in INPUTS if not short or k in SHORT_INPUTS]
    res: dict = {"model": model, "held_out": held_out_sf, "short": short, "styles": {},
                 "morph": []}
    held, train = Batch(held_out_sf), Batch(TRAIN_SF)

    # Every melody: its 14 held-out references, the training set's target
    # (styles only) and the inputs; rendered in two FluidSynth runs.
    cases = []
    for si, name in enumerate(names if styles else []):
        cases.append((name, None, melodies(INSTRUMENTS[name], short, seed + si)))
    for pi, (a, b) in enumerate(MORPH_PAIRS):
        ia, ib = INSTRUMENTS[a], INSTRUMENTS[b]
        lo, hi = max(ia.lo, ib.lo), min(ia.hi, ib.hi)
        span = min(hi - lo, 14)
        lo = (lo + hi) // 2 - span // 2
        cases.append((a, b, melody(seed * 100 + pi, lo, lo + span, 6.0)))
    jobs = []
    for a, b, notes in cases:
        refs = [held.add(notes, p) for p in progs]
        tgt = train.add(notes, progs[names.index(a)]) if b is None else None
        ins = {}
        # short: the morph cases from one input (CI time: 15 renders each)
        for k in (inputs if b is None or not short else SHORT_MORPH_INPUTS):
            sh = octave_shift(notes, INPUTS[k][1], INPUTS[k][2])
            ins[k] = (train.add(notes, INPUTS[k][0], sh), sh)
        jobs.append((a, b, notes, refs, tgt, ins))
    held.render(os.path.join(work, "held-out.mid"))
    train.render(os.path.join(work, "train.mid"))

    for a, b, notes, refs_i, tgt, ins in jobs:
        refs = {n: Sig(held.out[i]) for n, i in zip(names, refs_i)}
        mask = note_mask(notes, len(refs[a].level))
        tag = a.replace(" ", "_") if b is None else f"{a}-{b}".replace(" ", "_")
        row = {"renders": {}}
        if b is None:
            ref_train = Sig(train.out[tgt])
            c_near, c_ds = nearest(ref_train, refs, mask)
            row.update(ceiling_nearest=c_near, ceiling_dist=c_ds[a])
        for k, (xi, shift) in ins.items():
            x = train.out[xi]
            ia, ib = names.index(a), names.index(b if b else a)
            y = heist(model, x, work, f"{tag}-{k.replace(' ', '_')}",
                      [f"style_a={ia}", f"style_b={ib}", f"morph={0.5 if b else 0}",
                       f"pitch_shift={-shift}"])
            o = Sig(y)
            near, ds = nearest(o, refs, mask)
            if b is not None:
                # The same input as every pure style: is halfway nearer one
                # of its ends than any other style the model plays?
                pure = {}
                for ci, c in enumerate(names):
                    yc = heist(model, x, work, f"{tag}-{k.replace(' ', '_')}-pure",
                               [f"style_a={ci}", f"style_b={ci}", "morph=0",
                                f"pitch_shift={-shift}"])
                    pure[c] = Sig(yc)
                near_s, ds_s = nearest(o, pure, mask)
            if b is None:
                row["renders"][k] = {
                    "nearest": near, "rank": sorted(ds, key=ds.get).index(a) + 1,
                    "dist": ds[a], "input_dist": distance(Sig(x), refs[a], mask),
                    "hf_rel_db": hf_db(o, mask) - hf_db(ref_train, mask),
                }
            else:
                res["morph"].append({"a": a, "b": b, "input": k, "nearest": near_s,
                                     "dist_a": ds_s[a], "dist_b": ds_s[b],
                                     "dist_nearest": ds_s[near_s], "pass": near_s in (a, b),
                                     "dist_ab": distance(pure[a], pure[b], mask),
                                     "ref_nearest": near, "ref_pass": near in (a, b)})
        if b is None:
            res["styles"][a] = row

    rend = [r for s in res["styles"].values() for r in s["renders"].values()]

    def median(v):
        return float(np.median(v)) if len(v) else float("nan")

    res["summary"] = {
        "renders": len(rend),
        "recognised": sum(1 for n, s in res["styles"].items() for r in s["renders"].values()
                          if r["nearest"] == n),
        "top3": sum(1 for r in rend if r["rank"] <= 3),
        "median_dist": median([r["dist"] for r in rend]),
        "median_input_dist": median([r["input_dist"] for r in rend]),
        "ceiling_recognised": sum(1 for n, s in res["styles"].items()
                                  if s["ceiling_nearest"] == n),
        "median_ceiling_dist": median([s["ceiling_dist"] for s in res["styles"].values()]),
        "morph_pass": sum(1 for m in res["morph"] if m["pass"]),
        "morph_ref_pass": sum(1 for m in res["morph"] if m["ref_pass"]),
        "morph_renders": len(res["morph"]),
        # (dist to a + dist to b) / (a to b): 1 on the straight path, more
        # for a detour (mean over the renders)
        "morph_detour": float(np.mean([(m["dist_a"] + m["dist_b"]) / max(m["dist_ab"], 1e-6)
                                       for m in res["morph"]])) if res["morph"] else float("nan"),
        "morph_pairs_pass": sum(1 for a, b in MORPH_PAIRS
                                if all(m["pass"] for m in res["morph"]
                                       if m["a"] == a and m["b"] == b)),
    }
    s = res["summary"]
    s["rate"] = s["recognised"] / max(1, s["renders"])
    s["morph_rate"] = s["morph_pass"] / max(1, s["morph_renders"])
    return res


def markdown(res: dict) -> str:
    s = res["summary"]
    inputs = list(next(iter(res["styles"].values()))["renders"]) if res["styles"] else []
    lines = [f"# Timbre test: {os.path.basename(res['model'])}"
             f" (held out: {os.path.basename(res['held_out'])}{', short' if res['short'] else ''})",
             "",
             f"Recognised (target nearest of 14): **{s['recognised']}/{s['renders']}"
             f" ({100 * s['rate']:.0f} %)**, in the nearest three: {s['top3']}/{s['renders']}; "
             f"median distance to the target **{s['median_dist']:.2f} dB** "
             f"(unprocessed input {s['median_input_dist']:.2f} dB). Ceiling (FluidR3 vs the "
             f"held-out set): {s['ceiling_recognised']}/{len(res['styles'])} nearest, median "
             f"{s['median_ceiling_dist']:.2f} dB. Morph 0.5 nearer one of its ends than any other "
             f"style the model plays: {s['morph_pass']}/{s['morph_renders']} renders, "
             f"{s['morph_pairs_pass']}/{len(MORPH_PAIRS)} pairs with every input; its nearest "
             f"held-out reference one of the pair: {s['morph_ref_pass']}/{s['morph_renders']}; "
             f"detour (dB to a + dB to b) / (a to b): {s['morph_detour']:.2f}.",
             "",
             "| style | " + " | ".join(f"{k}: nearest (dB to target)" for k in inputs) +
             " | ceiling: nearest (dB) | >12 kHz vs FluidR3 (dB, " + "/".join(inputs) + ") |",
             "| --- | " + " | ".join("---" for _ in inputs) + " | --- | --- |"]
    for name, row in res["styles"].items():
        cells = []
        for k in inputs:
            r = row["renders"][k]
            mark = "" if r["nearest"] == name else " ✗"
            cells.append(f"{r['nearest']}{mark} ({r['dist']:.2f})")
        hf = "/".join(f"{row['renders'][k]['hf_rel_db']:+.0f}" for k in inputs)
        cm = "" if row["ceiling_nearest"] == name else " ✗"
        lines.append(f"| {name} | " + " | ".join(cells) +
                     f" | {row['ceiling_nearest']}{cm} ({row['ceiling_dist']:.2f}) | {hf} |")
    lines += ["", "| morph 0.5 | input | nearest style | dB to a | dB to b | a to b | "
              "dB to nearest | nearest held-out reference |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for m in res["morph"]:
        mark = "" if m["pass"] else " ✗"
        lines.append(f"| {m['a']}–{m['b']} | {m['input']} | {m['nearest']}{mark} | "
                     f"{m['dist_a']:.2f} | {m['dist_b']:.2f} | {m['dist_ab']:.2f} | "
                     f"{m['dist_nearest']:.2f} | "
                     f"{m['ref_nearest']}{'' if m['ref_pass'] else ' ✗'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=os.path.join(REPO, "models", "heist-default.hsm"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--short", action="store_true", help="one melody per style, two inputs")
    ap.add_argument("--soundfont", default=HELD_OUT_SF, help="held-out GM set (default TimGM6mb)")
    ap.add_argument("--no-styles", action="store_true", help="the morph test only")
    ap.add_argument("--min-rate", type=float, default=None)
    ap.add_argument("--max-median", type=float, default=None)
    ap.add_argument("--min-morph", type=float, default=None)
    ap.add_argument("--max-detour", type=float, default=None)
    a = ap.parse_args()
    if not os.path.exists(a.soundfont):
        print(f"timbre.py: {a.soundfont} missing (Debian: timgm6mb-soundfont)", file=sys.stderr)
        sys.exit(77)
    t0 = time.time()
    res = run(a.model, a.out, a.short, a.soundfont, styles=not a.no_styles)
    res["seconds"] = time.time() - t0
    md = markdown(res)
    with open(os.path.join(a.out, "timbre.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "timbre.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(md)
    s = res["summary"]
    bad = []
    if a.min_rate is not None and s["rate"] < a.min_rate:
        bad.append(f"recognised rate {s['rate']:.3f} < {a.min_rate}")
    if a.max_median is not None and s["median_dist"] > a.max_median:
        bad.append(f"median distance {s['median_dist']:.2f} dB > {a.max_median}")
    if a.min_morph is not None and s["morph_rate"] < a.min_morph:
        bad.append(f"morph pass rate {s['morph_rate']:.3f} < {a.min_morph}")
    if a.max_detour is not None and not s["morph_detour"] <= a.max_detour:
        bad.append(f"morph detour {s['morph_detour']:.3f} > {a.max_detour}")
    print(f"timbre.py: {res['seconds']:.1f} s", file=sys.stderr)
    if bad:
        print("FAIL: " + "; ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
