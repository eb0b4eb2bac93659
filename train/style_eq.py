#!/usr/bin/python3
"""Fit each style's spectral correction (the "formant stage") and store it in
a model file (.hsm section SPEQ, dsp/model.h); the network bytes are kept.

    style_eq.py MODEL.hsm -o OUT.hsm [--data DIR | --render WORKDIR]
                [--bands 32] [--pitches 3] [--report FILE.json]

The network spreads an instrument's fixed body resonances over neighbouring
frequencies: its long-term spectral envelope differs from the instrument's by
a systematic, per-style curve. Per style, the instrument's own training
recordings go through the C engine (heist-render, that style, morph 0: the
input is the instrument itself, so the ideal output is the input) and the
level-free log spectral envelopes of output and input are compared over the
frames where the input sounds voiced (within 40 dB of its loudest, the
analyser's confidence at least its hold threshold), on --bands mel-spaced
bands from 40 Hz to 0.9 x the model's Nyquist (bands more than 50 dB under
the frame's strongest raised to that floor, as train/timbre.py measures).
The correction is the gain (dB) per band centre that takes the output's
envelope to the input's: a piecewise-linear function of the pitch with
--pitches anchors at the style's pitch quantiles (1: one curve per style),
fitted by least squares, refined twice on the corrected spectra, clamped to
+-SPEQ_MAX_DB. The engine (dsp/engine.c) applies it to the harmonic
amplitudes at k f0 and to the noise bands, keeping the frame's power.

Data (training sound sets only; never TimGM6mb, timbre.py's held-out set,
nor MuseScore_General): --data DIR takes DIR/<style>/train_*.wav (spaces in
the style name as "-", with the heist-analyze .tsv beside each: make_default.sh
writes both; default train/work/default14/data); --render WORKDIR makes them
with style_profile.py's renders of FluidR3 and Csound's GM bank. Styles
without data get a flat curve (0 dB). Any SPEQ section MODEL already has is
left out of the renders (the fit starts from the network's own envelope).

The report (stdout, and --report as JSON) gives per style the in-sample and
held-out (DIR/<style>/heldout_*.wav where present) frame distance, timbre.py's
measure at the model's rate, before and after: no correction, one curve per
style, the curve per pitch; and the curves themselves.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from typing import Dict, List, Optional, Sequence

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import read_wav  # noqa: E402
from features import REPO, analyze, has_constants, read_tsv  # noqa: E402

# .hsm layout (dsp/model.h), read here without importing torch (export.py)
HEADER_FMT = "<8sIII ff IIIIII ffff 64s"
HEADER_SIZE, STYLE_SIZE, STYLE_NAME_SIZE = 132, 88, 48
FLAG_SECTIONS = 1
SECTION_HDR = "<4sII"
SPEQ_TAG, SPEQ_VERSION = b"SPEQ", 1
SPEQ_MAX_BANDS, SPEQ_MAX_PITCHES, SPEQ_MAX_DB = 64, 4, 18.0

FORBIDDEN = ("TimGM6mb", "MuseScore")
DEFAULT_DATA = os.path.join(HERE, "work", "default14", "data")
N_MELS_T, F_LO_T, F_HI_T = 40, 60.0, 7600.0  # timbre.py's measure
FLOOR_DB = 50.0
ACTIVE_DB = 40.0
F_LO = 40.0
TOP = 0.9  # of the model's Nyquist: the highest band centre
RIDGE = 0.05  # pulls a pitch anchor with little data towards the others


# ------------------------------------------------------------------ model file

def read_model(path: str):
    """(header fields, style names, net_end, [(tag, version, payload)])."""
    data = open(path, "rb").read()
    if len(data) < HEADER_SIZE + 4:
        raise SystemExit(f"{path}: too short for a .hsm")
    h = struct.unpack(HEADER_FMT, data[:HEADER_SIZE])
    if h[0] != b"HEISTHSM" or h[1] != 1 or h[2] & ~FLAG_SECTIONS or h[3] != len(data):
        raise SystemExit(f"{path}: not a .hsm v1 file")
    if struct.unpack("<I", data[-4:])[0] != zlib.crc32(data[:-4]) & 0xFFFFFFFF:
        raise SystemExit(f"{path}: CRC mismatch")
    S, E, H, D, NH, NN = h[6:12]
    names = []
    for s in range(S):
        o = HEADER_SIZE + s * STYLE_SIZE
        names.append(data[o:o + STYLE_NAME_SIZE].split(b"\0")[0].decode("utf-8", "replace"))
    I, O = 3 + E, 1 + NH + NN
    n = S * E + 3 * H * I + 3 * H * H + 6 * H + D * (H + I) + D + O * D + O
    net_end = HEADER_SIZE + S * STYLE_SIZE + 4 * n
    secs = []
    off, end = net_end, len(data) - 4
    while h[2] & FLAG_SECTIONS and off < end:
        tag, ver, ln = struct.unpack(SECTION_HDR, data[off:off + 12])
        secs.append((tag, ver, data[off + 12:off + 12 + ln]))
        off += 12 + ln
    return data, {"sample_rate": h[5], "n_styles": S}, names, net_end, secs


def with_sections(data: bytes, net_end: int, secs) -> bytes:
    """The model's header, style table and tensors with sections secs."""
    body = data[HEADER_SIZE:net_end] + b"".join(
        struct.pack(SECTION_HDR, t, v, len(p)) + p for t, v, p in secs)
    total = HEADER_SIZE + len(body) + 4
    flags = struct.unpack("<I", data[12:16])[0]
    flags = flags | FLAG_SECTIONS if secs else flags & ~FLAG_SECTIONS
    out = data[:12] + struct.pack("<II", flags, total) + data[20:HEADER_SIZE] + body
    return out + struct.pack("<I", zlib.crc32(out) & 0xFFFFFFFF)


def speq_payload(centres: Sequence[float], pitches: Sequence[Sequence[float]],
                 gains: Sequence[np.ndarray]) -> bytes:
    """Section SPEQ v1 (dsp/model.h): u32 S, NB, NP; f32 centres[NB]; per
    style f32 pitch[NP], gain_db[NP][NB]."""
    S, NB, NP = len(gains), len(centres), len(pitches[0])
    assert 1 <= NB <= SPEQ_MAX_BANDS and 1 <= NP <= SPEQ_MAX_PITCHES
    out = struct.pack("<III", S, NB, NP) + struct.pack(f"<{NB}f", *centres)
    for p, g in zip(pitches, gains):
        g = np.clip(np.asarray(g, np.float64).reshape(NP, NB), -SPEQ_MAX_DB, SPEQ_MAX_DB)
        out += struct.pack(f"<{NP}f", *p) + struct.pack(f"<{NP * NB}f", *g.reshape(-1))
    return out


def parse_speq(payload: bytes):
    S, NB, NP = struct.unpack("<III", payload[:12])
    centres = list(struct.unpack(f"<{NB}f", payload[12:12 + 4 * NB]))
    off = 12 + 4 * NB
    pitches, gains = [], []
    for _ in range(S):
        pitches.append(list(struct.unpack(f"<{NP}f", payload[off:off + 4 * NP])))
        off += 4 * NP
        gains.append(np.array(struct.unpack(f"<{NP * NB}f", payload[off:off + 4 * NP * NB]))
                     .reshape(NP, NB))
        off += 4 * NP * NB
    return centres, pitches, gains


# ------------------------------------------------------------------ spectra

def mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def imel(m):
    return 700.0 * (10.0 ** (np.asarray(m, np.float64) / 2595.0) - 1.0)


def tri_bank(edges: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Triangular bands: band b rises from edges[b] to edges[b + 1] and falls
    to edges[b + 2]."""
    nb = len(edges) - 2
    bank = np.zeros((nb, len(freqs)))
    for b in range(nb):
        lo, c, hi = edges[b], edges[b + 1], edges[b + 2]
        bank[b] = np.maximum(0.0, np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)))
    return bank


def fit_centres(nyq: float, nb: int) -> np.ndarray:
    """nb mel-spaced band centres from F_LO to TOP x the model's Nyquist."""
    return imel(np.linspace(mel(F_LO), mel(TOP * nyq), nb))


class Grid:
    """The STFT (about timbre.py's 43 ms window and 10 ms hop at any rate)
    and the two banks: the fit's (triangles between the centres) and
    timbre.py's 40-band measure."""

    def __init__(self, rate: int, centres: np.ndarray) -> None:
        self.rate = rate
        self.n_fft = 1 << int(round(np.log2(rate * 2048 / 48000)))
        self.hop = int(round(rate * 0.01))
        self.freqs = np.fft.rfftfreq(self.n_fft, 1.0 / rate)
        self.centres = centres
        lo = imel(2 * mel(centres[0]) - mel(centres[1]))
        hi = imel(2 * mel(centres[-1]) - mel(centres[-2]))
        self.fit = tri_bank(np.concatenate([[lo], centres, [hi]]), self.freqs)
        self.timbre = tri_bank(imel(np.linspace(mel(F_LO_T), mel(F_HI_T), N_MELS_T + 2)),
                               self.freqs).astype(np.float32)
        self.fit = self.fit.astype(np.float32)
        self.interp = interp_matrix(centres, self.freqs)

    def power(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)
        n = 1 + max(0, (len(x) - self.n_fft) // self.hop)
        x = np.pad(x, (0, max(0, self.n_fft + (n - 1) * self.hop - len(x))))
        win = np.hanning(self.n_fft)
        out = np.empty((n, len(self.freqs)), np.float32)
        for c in range(0, n, 4096):
            idx = np.arange(self.n_fft)[None, :] + self.hop * np.arange(c, min(n, c + 4096))[:, None]
            out[c:c + len(idx)] = np.abs(np.fft.rfft(x[idx] * win, axis=1)) ** 2
        return out

    def times(self, n: int) -> np.ndarray:
        return (np.arange(n) * self.hop + self.n_fft / 2) / self.rate


def shape(p: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Level-free log band powers (dB), floored FLOOR_DB under the frame's
    strongest band (timbre.py)."""
    lm = 10.0 * np.log10(p @ bank.T + np.float32(1e-12))
    lm = np.maximum(lm, lm.max(axis=1, keepdims=True) - FLOOR_DB)
    return lm - lm.mean(axis=1, keepdims=True)


def frame_dist(a: np.ndarray, b: np.ndarray) -> float:
    """timbre.py's distance: mean over frames of the RMS over bands of the
    level-free difference."""
    d = a - b
    d = d - d.mean(axis=1, keepdims=True)
    return float(np.sqrt((d * d).mean(axis=1)).mean()) if len(d) else float("nan")


# ------------------------------------------------------------------ pitch curves

def hat_weights(x: np.ndarray, anchors: Sequence[float]) -> np.ndarray:
    """[frame][anchor] weights of piecewise-linear interpolation between the
    anchors (flat outside them), as the engine blends a style's curves."""
    a = np.asarray(anchors, np.float64)
    w = np.zeros((len(x), len(a)))
    if len(a) == 1:
        w[:, 0] = 1.0
        return w
    xc = np.clip(x, a[0], a[-1])
    i = np.clip(np.searchsorted(a, xc, side="right") - 1, 0, len(a) - 2)
    u = (xc - a[i]) / (a[i + 1] - a[i])
    w[np.arange(len(x)), i] = 1.0 - u
    w[np.arange(len(x)), i + 1] += u
    return w


def lsq_curves(w: np.ndarray, d: np.ndarray) -> np.ndarray:
    """[anchor][band] curves c minimising sum |d - w c|^2, ridge towards the
    all-frames mean (anchors with few frames)."""
    mean = d.mean(axis=0)
    A = w.T @ w
    lam = RIDGE * np.trace(A) / max(1, len(A))
    B = w.T @ (d - mean)
    return np.linalg.solve(A + lam * np.eye(len(A)), B) + mean


def interp_matrix(centres: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """[band][bin] weights of the dB interpolation at each bin (linear in Hz
    between the centres, flat outside: the engine's)."""
    idx = np.clip(np.searchsorted(centres, freqs, side="right") - 1, 0, len(centres) - 2)
    u = np.clip((freqs - centres[idx]) / (centres[idx + 1] - centres[idx]), 0.0, 1.0)
    m = np.zeros((len(centres), len(freqs)), np.float32)
    m[idx, np.arange(len(freqs))] = 1.0 - u
    m[idx + 1, np.arange(len(freqs))] += u
    return m


def bin_gains(grid: "Grid", curves: np.ndarray, w: np.ndarray) -> np.ndarray:
    """[frame][bin] power gains of the per-frame curve."""
    db = (w.astype(np.float32) @ curves.astype(np.float32)) @ grid.interp
    return np.power(np.float32(10.0), db * np.float32(0.1))


class Pair:
    """One recording and its render: the selected frames' spectra and pitch."""

    def __init__(self, grid: Grid, x: np.ndarray, y: np.ndarray, tsv: dict) -> None:
        n = min(len(x), len(y))
        px, py = grid.power(x[:n]), grid.power(y[:n])
        lx = 10.0 * np.log10(px.sum(axis=1) + 1e-12)
        ly = 10.0 * np.log10(py.sum(axis=1) + 1e-12)
        k = np.minimum(np.round(grid.times(len(px)) * 250.0).astype(int), len(tsv["f0"]) - 1)
        voiced = (tsv["confidence"][k] >= tsv["hold_confidence"]) & (tsv["f0"][k] > 0)
        sel = voiced & (lx > lx.max() - ACTIVE_DB) & (ly > ly.max() - ACTIVE_DB)
        self.px, self.py = px[sel], py[sel]
        self.midi = 69.0 + 12.0 * np.log2(np.maximum(tsv["f0"][k][sel], 1.0) / 440.0)
        self.loud = tsv["loudness"][k][sel]


def fit_style(grid: Grid, pairs: List[Pair], anchors: Sequence[float], iters: int = 3):
    """Curves [anchor][band] for the pairs, refined on the corrected output."""
    px = np.concatenate([p.px for p in pairs])
    py = np.concatenate([p.py for p in pairs])
    midi = np.concatenate([p.midi for p in pairs])
    w = hat_weights(midi, anchors)
    target = shape(px, grid.fit)
    curves = np.zeros((len(anchors), len(grid.centres)))
    for _ in range(iters):
        g = bin_gains(grid, curves, w)
        d = target - shape(py * g, grid.fit)
        curves = curves + lsq_curves(w, d - d.mean(axis=1, keepdims=True))
        curves = np.clip(curves - curves.mean(), -SPEQ_MAX_DB, SPEQ_MAX_DB)
    return curves


def timbre_dist(grid: Grid, pairs: List[Pair], anchors, curves) -> float:
    """timbre.py's distance between input and (corrected) output, over the
    pairs' frames (weighted by frames)."""
    px = np.concatenate([p.px for p in pairs])
    py = np.concatenate([p.py for p in pairs])
    if curves is not None:
        midi = np.concatenate([p.midi for p in pairs])
        py = py * bin_gains(grid, curves, hat_weights(midi, anchors))
    return frame_dist(shape(px, grid.timbre), shape(py, grid.timbre))


# ------------------------------------------------------------------ data

def find_tool(name: str, env: str) -> str:
    v = os.environ.get(env)
    if v:
        return v
    cands = sorted(glob.glob(os.path.join(REPO, "build*", "tools", name)),
                   key=lambda p: -os.path.getmtime(p))
    exe = cands[0] if cands else shutil.which(name)
    if not exe:
        raise SystemExit(f"style_eq: {name} not found (build the project or set {env})")
    return exe


def style_files(names: Sequence[str], data: Optional[str], render: Optional[str]):
    """{style: (train wavs, held-out wavs)}."""
    out = {}
    if render:
        from style_profile import render_sets
        for name, wavs in render_sets(names, render, 2, 45.0).items():
            out[name] = (wavs, [])
        return out
    for name in names:
        d = os.path.join(data, name.replace(" ", "-"))
        tr = sorted(glob.glob(os.path.join(d, "train_*.wav")))
        if tr:
            out[name] = (tr, sorted(glob.glob(os.path.join(d, "heldout_*.wav"))))
    return out


def load_pairs(grid_for, model: str, style: int, wavs: Sequence[str], work: str) -> List[Pair]:
    exe = find_tool("heist-render", "HEIST_RENDER")
    pairs = []
    for wi in wavs:
        if any(s in wi for s in FORBIDDEN):
            raise SystemExit(f"style_eq: {wi}: a held-out or reserved sound set")
        tsv = wi[:-4] + ".tsv"
        if not os.path.exists(tsv) or os.path.getmtime(tsv) < os.path.getmtime(wi) \
                or not has_constants(tsv):
            analyze(wi, tsv)
        wo = os.path.join(work, "out.wav")
        subprocess.run([exe, wi, wo, "--model", model, "--quiet", "--param", f"style_a={style}",
                        "--param", f"style_b={style}", "--param", "morph=0"], check=True)
        x, rate = read_wav(wi)
        y, r2 = read_wav(wo)
        assert r2 == rate
        pairs.append(Pair(grid_for(rate), x.mean(axis=1), y[:, 0], read_tsv(tsv)))
    return pairs


# ------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--data", default=None, help=f"DIR/<style>/train_*.wav (default {DEFAULT_DATA})")
    ap.add_argument("--render", metavar="WORKDIR", help="render the training sound sets instead")
    ap.add_argument("--bands", type=int, default=32)
    ap.add_argument("--pitches", type=int, default=3, help="pitch anchors per style (1..4)")
    ap.add_argument("--report", default=None, help="write the report as JSON")
    ap.add_argument("--compare", action="store_true",
                    help="also report 1-4 pitch anchors and loudness anchors (slower)")
    a = ap.parse_args()
    if not 2 <= a.bands <= SPEQ_MAX_BANDS or not 1 <= a.pitches <= SPEQ_MAX_PITCHES:
        ap.error(f"--bands 2..{SPEQ_MAX_BANDS}, --pitches 1..{SPEQ_MAX_PITCHES}")
    t0 = time.time()
    data, hdr, names, net_end, secs = read_model(a.model)
    nyq = 0.5 * hdr["sample_rate"]
    centres = fit_centres(nyq, a.bands)
    grids: Dict[int, Grid] = {}

    def grid_for(rate: int) -> Grid:
        if rate not in grids:
            grids[rate] = Grid(rate, centres)
        return grids[rate]

    files = style_files(names, a.data or DEFAULT_DATA, a.render)
    report = {"model": a.model, "centres": [float(c) for c in centres], "styles": {}}
    pitches, gains = [], []
    with tempfile.TemporaryDirectory() as work:
        plain = os.path.join(work, "plain.hsm")
        with open(plain, "wb") as f:  # the network's own envelope: no SPEQ
            f.write(with_sections(data, net_end, [s for s in secs if s[0] != SPEQ_TAG]))
        print(f"{'style':<12} {'anchors (MIDI)':<18} in-sample dB: none  one  pitch"
              f"   held-out dB: none  one  pitch")
        for s, name in enumerate(names):
            if name not in files:
                print(f"{name:<12} no data: flat", file=sys.stderr)
                pitches.append([69.0 + 12 * k for k in range(a.pitches)])
                gains.append(np.zeros((a.pitches, a.bands)))
                continue
            tr, ho = files[name]
            pairs = load_pairs(grid_for, plain, s, tr, work)
            held = load_pairs(grid_for, plain, s, ho, work) if ho else []
            grid = grid_for(read_wav(tr[0])[1])
            midi = np.concatenate([p.midi for p in pairs])
            q = np.linspace(0.1, 0.9, a.pitches) if a.pitches > 1 else [0.5]
            anchors = [float(v) for v in np.percentile(midi, np.asarray(q) * 100)]
            for k in range(1, len(anchors)):  # strictly increasing, 1 semitone apart
                anchors[k] = max(anchors[k], anchors[k - 1] + 1.0)
            one = fit_style(grid, pairs, [anchors[0]])
            curves = fit_style(grid, pairs, anchors) if a.pitches > 1 else one
            row = {"anchors": anchors, "frames": int(len(midi)),
                   "curves_db": curves.round(2).tolist(), "one_db": one.round(2).tolist()}
            for tag, ps in (("in", pairs), ("held", held)):
                if ps:
                    row[tag] = {"none": timbre_dist(grid, ps, anchors, None),
                                "one": timbre_dist(grid, ps, [anchors[0]], one),
                                "pitch": timbre_dist(grid, ps, anchors, curves)}
            if a.compare:
                cmp = {}
                for npch in (2, 3, 4):
                    qq = np.linspace(0.1, 0.9, npch)
                    an = [float(v) for v in np.percentile(midi, qq * 100)]
                    for k in range(1, npch):
                        an[k] = max(an[k], an[k - 1] + 1.0)
                    c = fit_style(grid, pairs, an)
                    cmp[f"pitch{npch}"] = timbre_dist(grid, held or pairs, an, c)
                # loudness anchors: the same fit against the loudness instead
                loud = [p.loud for p in pairs]
                lp = [Pair.__new__(Pair) for _ in pairs]
                for p, q2, l2 in zip(lp, pairs, loud):
                    p.px, p.py, p.midi, p.loud = q2.px, q2.py, l2, l2
                la = [float(v) for v in np.percentile(np.concatenate(loud), [10, 50, 90])]
                c = fit_style(grid, lp, la)
                hl = [Pair.__new__(Pair) for _ in held]
                for p, q2 in zip(hl, held):
                    p.px, p.py, p.midi, p.loud = q2.px, q2.py, q2.loud, q2.loud
                cmp["loud3"] = timbre_dist(grid, hl or lp, la, c)
                row["compare"] = cmp
            report["styles"][name] = row
            pitches.append(anchors if a.pitches > 1 else [anchors[0]])
            gains.append(curves)
            r_in, r_h = row["in"], row.get("held", {})
            print(f"{name:<12} {' '.join(f'{v:.0f}' for v in anchors):<18}"
                  f"  {r_in['none']:5.2f} {r_in['one']:5.2f} {r_in['pitch']:5.2f}"
                  + (f"            {r_h['none']:5.2f} {r_h['one']:5.2f} {r_h['pitch']:5.2f}"
                     if r_h else "") + (f"  {row['compare']}" if a.compare else ""),
                  flush=True)
    payload = speq_payload([float(np.float32(c)) for c in centres],
                           [[float(np.float32(v)) for v in p] for p in pitches], gains)
    kept = [s for s in secs if s[0] != SPEQ_TAG]
    out = with_sections(data, net_end, kept + [(SPEQ_TAG, SPEQ_VERSION, payload)])
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, a.out)
    for k in ("in", "held"):
        v = [r[k] for r in report["styles"].values() if k in r]
        if v:
            report[f"median_{k}"] = {m: float(np.median([r[m] for r in v]))
                                     for m in ("none", "one", "pitch")}
            print(f"median {k}: " + ", ".join(f"{m} {d:.2f} dB"
                                               for m, d in report[f"median_{k}"].items()))
    if a.report:
        with open(a.report, "w") as f:
            json.dump(report, f, indent=1)
    print(f"{a.out}: spectral correction of {len(names)} styles written "
          f"(network bytes unchanged), {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
