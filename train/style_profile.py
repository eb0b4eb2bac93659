#!/usr/bin/python3
"""Measure each style's profile from its instrument's renders and store it in
a model file (the .hsm section PROF, dsp/model.h); the network bytes are kept.

    style_profile.py MODEL.hsm --render WORKDIR -o OUT.hsm
    style_profile.py MODEL.hsm --style NAME=PREFIX [--style ...] -o OUT.hsm

--render makes the data itself: for every style of the model named like an
instrument of train/instruments.py, data.py performances rendered at 48 kHz
by the training sound sets (FluidR3 and Csound's GM bank; never TimGM6mb,
timbre.py's held-out set, nor MuseScore_General). --style takes PREFIX*.wav
(48 kHz or more, with PREFIX*.mid beside them for the envelope: data.py
make writes both) for style NAME; styles without data keep what OUT had
before, or defaults (the engine's values without a profile).

Per style:
* band extension: energy per Hz of 12-14, 14-16, 16-18, 18-20 kHz as a
  share of the total energy, in dB re 1/Hz, over the frames within 40 dB
  of the loudest, each frame's share held to 6 dB above the 95th percentile
  of the frames as loud as it (robust_band_sums: a few outlier frames
  carried most of the tuba's and French horn's; dsp/bandext.c gives the
  extension that share of each frame's harmonic and noise power);
* expression (from heist-analyze's features, as Heist Synth feeds the
  network): vibrato rate and depth (notes of 0.6 s or more: cents around a
  0.25 s moving mean, the strongest 3-9 Hz component; notes with 5 cents or
  more count), attack (notes after 0.2 s of silence: the median loudness
  curve over its first 0.3 s, fitted by depth x exp(-t/tau)), release
  (notes followed by 0.3 s of silence: the median times to fall 20 and 40
  dB), loudness 5/50/95 % over the sounding frames.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import read_wav  # noqa: E402
from export import PROFILE_FIELDS, Profile, read_hsm_full, with_profile, write_bytes  # noqa: E402
from features import analyze, has_constants, read_tsv  # noqa: E402

RATE = 48000
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/sf_GMbank.sf2")
FORBIDDEN = ("TimGM6mb", "MuseScore")  # held out / reserved (HELPERS.md, timbre.py)
N_FFT, HOP = 2048, 512
ACTIVE_DB = 40.0
BAND_FLOOR_DB = -160.0  # dB re 1/Hz (model.h's bound)
# Outlier frames of the band shares (robust_band_sums): loudness classes, the
# percentile of a class's shares and how far above it a frame may go.
OUTLIER_CLASSES, OUTLIER_PCT, OUTLIER_DB = 16, 95.0, 6.0
LOUD_FLOOR_DB = -120.0  # the analyser's loudness floor
FRAME_RATE = 250.0  # heist-analyze's frames per second (the model's frame rate)
# The engine's values without a profile (dsp/voice.c): styles without data.
DEFAULTS = {"vibrato_hz": 5.5, "vibrato_cents": 25.0, "attack_s": 0.03, "attack_depth_db": 40.0,
            "release_db_s": 240.0, "release_tail_db_s": 240.0}


# ------------------------------------------------------------------ MIDI notes

def _vlq(b: bytes, i: int) -> Tuple[int, int]:
    v = 0
    while True:
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i


def midi_notes(path: str) -> List[Tuple[float, float, int]]:
    """(on, off, note) in seconds of a Standard MIDI File (format 0 or the
    first track of 1; one tempo: the first)."""
    b = open(path, "rb").read()
    if b[:4] != b"MThd":
        raise ValueError(f"{path}: not a MIDI file")
    division = int.from_bytes(b[12:14], "big")
    i = 8 + int.from_bytes(b[4:8], "big")
    tempo = 500000.0
    notes, held = [], {}
    while i + 8 <= len(b):
        n = int.from_bytes(b[i + 4:i + 8], "big")
        if b[i:i + 4] != b"MTrk":
            i += 8 + n
            continue
        j, end, tick, status = i + 8, i + 8 + n, 0, 0
        while j < end:
            d, j = _vlq(b, j)
            tick += d
            t = tick * tempo / 1e6 / division
            if b[j] == 0xFF:
                typ = b[j + 1]
                ln, j = _vlq(b, j + 2)
                if typ == 0x51 and tick == 0:
                    tempo = float(int.from_bytes(b[j:j + 3], "big"))
                j += ln
                continue
            if b[j] in (0xF0, 0xF7):
                ln, j = _vlq(b, j + 1)
                j += ln
                continue
            if b[j] & 0x80:
                status = b[j]
                j += 1
            kind = status & 0xF0
            size = 1 if kind in (0xC0, 0xD0) else 2
            d1, d2 = b[j], b[j + 1] if size == 2 else 0
            j += size
            if kind == 0x90 and d2 > 0:
                held[d1] = t
            elif kind in (0x80, 0x90) and d1 in held:
                notes.append((held.pop(d1), t, d1))
        break
    return sorted(notes)


# ------------------------------------------------------------------ measures

def band_powers(x: np.ndarray, rate: int, bands: Sequence[Tuple[float, float]],
                frames: bool = False):
    """[band][energy, Hz]: each band's power summed over its bins and over
    the frames within ACTIVE_DB of the loudest, and its width in Hz. With
    frames: also [frame][band] powers, the frames' centres (s) and which
    frames are active."""
    n = 1 + max(0, (len(x) - N_FFT) // HOP)
    x = np.pad(np.asarray(x, np.float64), (0, max(0, N_FFT + (n - 1) * HOP - len(x))))
    win = np.hanning(N_FFT)
    f = np.fft.rfftfreq(N_FFT, 1.0 / rate)
    sums = np.zeros((len(bands), 2))
    chunk = 2048
    level = []
    specs = []
    for c in range(0, n, chunk):
        idx = np.arange(N_FFT)[None, :] + HOP * np.arange(c, min(n, c + chunk))[:, None]
        p = np.abs(np.fft.rfft(x[idx] * win, axis=1)) ** 2
        level.append(10 * np.log10(p.sum(axis=1) + 1e-20))
        specs.append(np.stack([p[:, (f >= lo) & (f < hi)].sum(axis=1) for lo, hi in bands], 1))
    level = np.concatenate(level)
    spec = np.concatenate(specs)
    sel = level > level.max() - ACTIVE_DB
    for k, (lo, hi) in enumerate(bands):
        sums[k, 0] = spec[sel, k].sum()
        sums[k, 1] = np.count_nonzero((f >= lo) & (f < hi)) * rate / N_FFT
    if frames:
        return sums, spec, (np.arange(n) * HOP + N_FFT / 2) / rate, sel
    return sums


def robust_band_sums(spec: np.ndarray) -> np.ndarray:
    """[band] energy of spec's [frame][total, band...] powers summed over the
    frames, a frame's share of each band held to OUTLIER_DB above the
    OUTLIER_PCT percentile of the shares of frames as loud as it (one of
    OUTLIER_CLASSES classes of frame level). A few frames carry most of some
    instruments' energy above 12 kHz (FluidR3's French horn: 1 % of the
    frames 92 % of it, low notes of one sample zone): the energy-weighted
    share was theirs, not the instrument's (train/README.md)."""
    tot = np.maximum(spec[:, 0], 1e-30)
    level = 10.0 * np.log10(tot)
    edges = np.percentile(level, np.linspace(0, 100, OUTLIER_CLASSES + 1))
    cls = np.clip(np.searchsorted(edges, level, side="right") - 1, 0, OUTLIER_CLASSES - 1)
    share = spec[:, 1:] / tot[:, None]
    for c in range(OUTLIER_CLASSES):
        m = cls == c
        if np.count_nonzero(m) >= 20:
            lim = np.percentile(share[m], OUTLIER_PCT, axis=0) * 10 ** (OUTLIER_DB / 10)
            share[m] = np.minimum(share[m], lim[None, :])
    return np.concatenate([[tot.sum()], (share * tot[:, None]).sum(axis=0)])


def vibrato(f0: np.ndarray, conf: np.ndarray, hold: float,
            notes: Sequence[Tuple[float, float, int]]) -> List[Tuple[float, float]]:
    """(rate Hz, peak cents) of every note long enough to show one."""
    out = []
    fr = FRAME_RATE
    for on, off, _ in notes:
        a, b = int((on + 0.15) * fr), int(off * fr) - 3
        if b - a < int(0.6 * fr) or b > len(f0):
            continue
        seg = f0[a:b].astype(np.float64)
        if np.any(seg <= 0) or np.mean(conf[a:b] >= hold) < 0.9:
            continue
        c = 1200 * np.log2(seg / np.median(seg))
        w = int(0.25 * fr)
        trend = np.convolve(np.pad(c, w // 2, mode="edge"), np.ones(w) / w, mode="same")[
            w // 2:w // 2 + len(c)]
        r = (c - trend) * np.hanning(len(c))
        nfft = 4096
        spec = np.abs(np.fft.rfft(r, nfft))
        fq = np.fft.rfftfreq(nfft, 1 / fr)
        band = (fq >= 3) & (fq <= 9)
        k = np.argmax(np.where(band, spec, 0))
        # A sinusoid's peak from its windowed spectrum (Hann: gain 0.5 N).
        depth = 2 * spec[k] / (0.5 * len(r))
        out.append((float(fq[k]), float(depth)))
    return out


def attack_curve(loud: np.ndarray, notes, silence: float = 0.2) -> List[np.ndarray]:
    """Loudness over the first 0.3 s of each note after `silence` s of rest,
    relative to its level at 0.15-0.4 s."""
    fr, out, prev_off = FRAME_RATE, [], -1e9
    n_t = int(0.3 * fr)
    for on, off, _ in notes:
        if on - prev_off >= silence and off - on >= 0.3:
            k = int(round(on * fr))
            ref = np.median(loud[int((on + 0.15) * fr):int(min(off, on + 0.4) * fr)])
            if k + n_t <= len(loud) and ref > LOUD_FLOOR_DB + 30:
                out.append(np.maximum(loud[k:k + n_t] - ref, -60.0))
        prev_off = max(prev_off, off)
    return out


def fit_attack(curve: np.ndarray) -> Tuple[float, float]:
    """depth (dB), tau (s) of -depth exp(-t / tau) nearest the curve."""
    t = np.arange(len(curve)) / FRAME_RATE
    best = (1e30, 40.0, 0.03)
    for depth in np.arange(3.0, 60.5, 1.0):
        for tau in np.geomspace(0.002, 1.0, 120):
            e = float(np.sum((curve + depth * np.exp(-t / tau)) ** 2))
            if e < best[0]:
                best = (e, float(depth), float(tau))
    return best[1], best[2]


def release_times(loud: np.ndarray, notes, silence: float = 0.3) -> List[Tuple[float, float]]:
    """(time to fall 20 dB, to fall 40 dB or nan) after each note-off that
    `silence` s of rest follows."""
    fr, out = FRAME_RATE, []
    ons = np.array([n[0] for n in notes])
    for on, off, _ in notes:
        nxt = ons[ons > off]
        rest = (nxt[0] if len(nxt) else off + 2.0) - off
        if rest < silence or off - on < 0.2:
            continue
        k = int(round(off * fr))
        ref = np.median(loud[max(0, k - 25):k])
        seg = loud[k:k + int(min(rest, 2.0) * fr)] - ref
        if len(seg) == 0 or ref < LOUD_FLOOR_DB + 50:
            continue
        i20 = np.flatnonzero(seg < -20)
        i40 = np.flatnonzero(seg < -40)
        if len(i20):
            out.append((max(i20[0], 1) / fr, i40[0] / fr if len(i40) else float("nan")))
    return out


# ------------------------------------------------------------------ a style

def measure_style(wavs: List[str], model_nyq: float, edges: Sequence[float],
                  band_wavs: Optional[Sequence[str]] = None, pitch_slope: bool = False) -> dict:
    """The profile of one style: expression from every file of wavs, the
    band levels from band_wavs (default: all of wavs)."""
    band_wavs = wavs if band_wavs is None else band_wavs
    bands = [(0.0, 1e9)] + list(zip(edges[:-1], edges[1:]))
    sums = np.zeros((len(bands), 2))
    band_frames = []
    pitch_x, pitch_y, pitch_w = [], [], []
    vib, att, rel, louds = [], [], [], []
    for w in wavs:
        if any(s in w for s in FORBIDDEN):
            raise SystemExit(f"style_profile: {w}: a held-out or reserved sound set")
        x, rate = read_wav(w)
        if rate < 2 * edges[-1] * 0.95:
            raise SystemExit(f"style_profile: {w}: {rate} Hz cannot show {edges[-1]:.0f} Hz")
        x = x.mean(axis=1)
        bp, spec, times, active = band_powers(x, rate, bands, frames=True)
        if w in band_wavs:
            band_frames.append(spec[active])
            sums[:, 1] = bp[:, 1]
        tsv = w[:-4] + ".tsv"
        if not os.path.exists(tsv) or os.path.getmtime(tsv) < os.path.getmtime(w) or not has_constants(tsv):
            analyze(w, tsv)
        ft = read_tsv(tsv)
        loud, f0, conf = ft["loudness"], ft["f0"], ft["confidence"]
        sounding = (conf >= ft["hold_confidence"]) & (loud > loud.max() - ACTIVE_DB)
        louds.append(loud[sounding])
        # the extension's share per frame against the pitch then playing
        k = np.minimum(np.round(times * FRAME_RATE).astype(int), len(f0) - 1)
        use = active & sounding[k] & (f0[k] > 0) & (w in band_wavs)
        tot = spec[use, 0]
        pitch_x.append(12 * np.log2(f0[k][use] / 440.0) + 69)
        pitch_y.append(10 * np.log10(np.maximum(spec[use, 1:].sum(axis=1), 1e-10 * tot) / tot))
        pitch_w.append(tot)
        mid = w[:-4] + ".mid"
        if os.path.exists(mid):
            notes = midi_notes(mid)
            vib += vibrato(f0, conf, ft["hold_confidence"], notes)
            att += attack_curve(loud, notes)
            rel += release_times(loud, notes)
    if band_frames:
        sums[:, 0] = robust_band_sums(np.concatenate(band_frames))
    share = sums[1:, 0] / np.maximum(sums[1:, 1], 1.0) / max(sums[0, 0], 1e-30)
    band_db = [float(np.clip(10 * np.log10(max(d, 1e-30)), BAND_FLOOR_DB, 0.0)) for d in share]
    out = dict(DEFAULTS)
    out["band_db"] = band_db
    # Weighted least squares of the share (dB) on the pitch (octaves), the
    # frames weighted by their energy as the shares above are.
    px, py, pw = (np.concatenate(v) for v in (pitch_x, pitch_y, pitch_w))
    out["band_pitch"], out["band_pitch_db_oct"] = 69.0, 0.0
    if len(px) > 100:
        w = pw / pw.sum()
        mx = float(np.sum(w * px))
        my = float(np.sum(w * py))
        vx = float(np.sum(w * (px - mx) ** 2))
        out["band_pitch"] = float(np.clip(mx, 0, 127))
        if pitch_slope and vx > 0:
            slope = float(np.sum(w * (px - mx) * (py - my)) / vx) * 12.0
            out["band_pitch_db_oct"] = float(np.clip(slope, -48, 48))
    la = np.concatenate(louds) if louds else np.zeros(0)
    if len(la) > 100:
        p5, p50, p95 = (float(v) for v in np.percentile(la, [5, 50, 95]))
        out.update(loud_p5=p5, loud_p50=p50, loud_p95=p95)
    strong = [v for v in vib if v[1] >= 5.0]
    out["n_vibrato"] = f"{len(strong)}/{len(vib)}"
    if len(strong) >= 3:
        out["vibrato_hz"] = float(np.median([v[0] for v in strong]))
        out["vibrato_cents"] = float(np.median([v[1] for v in strong]))
    out["n_attack"] = len(att)
    if len(att) >= 3:
        depth, tau = fit_attack(np.median(np.stack(att), axis=0))
        out["attack_depth_db"], out["attack_s"] = depth, tau
    out["n_release"] = len(rel)
    if len(rel) >= 3:
        t20 = float(np.median([r[0] for r in rel]))
        tails = [r[1] - r[0] for r in rel if np.isfinite(r[1])]
        out["release_db_s"] = float(np.clip(20.0 / t20, 1, 10000))
        out["release_tail_db_s"] = float(np.clip(20.0 / max(np.median(tails), 1e-3), 1, 10000)
                                         ) if len(tails) >= 3 else out["release_db_s"]
    return out


def row_of(m: dict, nb: int) -> List[float]:
    r = list(m["band_db"][:nb]) + [float(m[k]) for k in PROFILE_FIELDS]
    return [float(np.float32(v)) for v in r]


def render_sets(names: Sequence[str], work: str, files: int, seconds: float) -> Dict[str, List[str]]:
    """48 kHz renders of the training sound sets for every style named like
    an instrument (cached: a WAV already there is kept)."""
    from data import make_set
    from instruments import lookup
    out: Dict[str, List[str]] = {}
    for name in names:
        try:
            inst = lookup(name)
        except (KeyError, ValueError):
            print(f"{name}: not an instrument of instruments.py, no data", file=sys.stderr)
            continue
        wavs = []
        for k, sf in enumerate(SOUNDFONTS):
            prefix = os.path.join(work, name.replace(" ", "_"), f"sf{k}")
            have = sorted(glob.glob(prefix + "_*.wav"))
            if len(have) < files:
                os.makedirs(os.path.dirname(prefix), exist_ok=True)
                have = make_set(prefix, 71 + k, files, seconds, inst, rate=RATE, soundfont=sf)
            wavs += have[:files]
        out[name] = wavs
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--style", action="append", default=[], metavar="NAME=PREFIX")
    ap.add_argument("--render", metavar="WORKDIR",
                    help="render the training sound sets for every style (cached in WORKDIR)")
    ap.add_argument("--files", type=int, default=2, help="--render: performances per sound set")
    ap.add_argument("--seconds", type=float, default=45.0, help="--render: seconds each")
    ap.add_argument("--band-sets", choices=("fluidr3", "all"), default="fluidr3",
                    help="--render: the sound sets the band levels come from (default FluidR3, "
                    "the set the shipped network and timbre.py's reference are: see "
                    "train/README.md); the expression always comes from all")
    ap.add_argument("--pitch-slope", action="store_true",
                    help="measure the band levels' change per octave of pitch (default 0: "
                    "confounded with velocity in the data, train/README.md)")
    a = ap.parse_args()
    cfg, _, stats, old = read_hsm_full(a.model)
    model_nyq = 0.5 * cfg.sample_rate
    top = max(20000.0, model_nyq + 4000.0)
    edges = [float(v) for v in np.linspace(model_nyq, top, 5)]
    data: Dict[str, List[str]] = {}
    if a.render:
        data.update(render_sets(cfg.style_names, a.render, a.files, a.seconds))
    for item in a.style:
        name, _, prefix = item.partition("=")
        wavs = sorted(glob.glob(prefix + "*.wav"))
        if name not in cfg.style_names or not wavs:
            ap.error(f"--style {item}: no such style or no {prefix}*.wav")
        data[name] = wavs
    rows = []
    print(f"{'style':<12} " + " ".join(f"{e0 / 1e3:.0f}-{e1 / 1e3:.0f}k" for e0, e1 in
                                      zip(edges[:-1], edges[1:]))
          + "  at midi  dB/oct  vib Hz cents  att s depth  rel dB/s tail  loud 5/50/95"
          + "  (n vib/att/rel)")
    for s, name in enumerate(cfg.style_names):
        if name in data:
            bw = [w for w in data[name] if a.band_sets == "all" or not a.render
                  or os.path.basename(w).startswith("sf0_")]
            m = measure_style(data[name], model_nyq, edges, bw, a.pitch_slope)
        elif old is not None and old.edges == [float(np.float32(e)) for e in edges]:
            m = old.style(s)
        else:
            # no data: the shares of the violin's FluidR3 renders, a middle
            # brightness (train/README.md's profile table)
            m = dict(DEFAULTS, band_db=[-66.0, -72.0, -78.0, -83.0], band_pitch=69.0,
                     band_pitch_db_oct=0.0)
        for k, v in zip(("loud_p5", "loud_p95", "loud_p50"), (stats[s][3], stats[s][4], stats[s][5])):
            m.setdefault(k, float(v))
        rows.append(row_of(m, 4))
        print(f"{name:<12} " + " ".join(f"{v:6.1f}" for v in m["band_db"])
              + f"  {m['band_pitch']:7.1f} {m['band_pitch_db_oct']:+6.1f}"

              + f"  {m['vibrato_hz']:5.2f} {m['vibrato_cents']:5.1f}"
              + f"  {m['attack_s']:.3f} {m['attack_depth_db']:4.0f}"
              + f"  {m['release_db_s']:6.1f} {m['release_tail_db_s']:6.1f}"
              + f"  {m['loud_p5']:.1f}/{m['loud_p50']:.1f}/{m['loud_p95']:.1f}"
              + f"  ({m.get('n_vibrato', '-')}/{m.get('n_attack', '-')}/{m.get('n_release', '-')})"
              )
    prof = Profile(edges, rows)
    write_bytes(a.out, with_profile(a.model, prof))
    print(f"{a.out}: profile of {len(rows)} styles written (network bytes unchanged)")


if __name__ == "__main__":
    main()
