#!/usr/bin/python3
"""Test material that resembles real use (issue 12, item 5), made here from
Debian's tools, with its ground truth. Nothing is committed: the tests make
it into the build folder, once, and reuse it while this script is unchanged.

Sources (48 kHz mono):
- speech-*: espeak-ng sentences (a male and a female voice), moved by sox's
  `pitch` to a chosen median (speech-low sits at 65-90 Hz). Truth: the
  frames where both reference trackers of measure.py agree within 30 cents
  on the clean file (others are not scored).
- sung-*: sung vowels (portamento, glides, vibrato, a slow pitch wander):
  the spectral envelope of espeak-ng's own vowels (LPC of a steady part of
  [[A:]], [[i:]], [[u:]], [[O:]], [[E]]) sampled at the harmonics of a known
  f0 contour, plus aspiration noise through the same envelope. Truth: that
  contour. sung-low reaches C2 (65.4 Hz), sung-high C6 (1047 Hz).
- oohs, cello, contrabass, bassoon, tuba: FluidR3 ("Voice Oohs" and the
  instruments; fluid-soundfont-gm only, never MuseScore_General) played by
  fluidsynth from MIDI written here. Truth: the MIDI notes.
- demo-hummed: the shipped demo/hummed-line.flac as it is (clean only), truth
  from the reference trackers, phrases split at rests >= 400 ms.

Variants of each: clean; room (room noise at -45 dBFS RMS and breaths: noise
bursts between notes and before phrases); hum (50 or 60 Hz mains hum at
-45 dBFS with harmonics, and a DC offset of 0.05); reverb (sox `reverb`);
quiet (the voices only: 20 dB softer, -40 dBFS RMS while voiced). Every
file starts with 1 s without the source (a gate must be shut by then) and its
phrases are separated by rests of 0.6-0.8 s (issue 12: >= 400 ms).

Files per variant: NAME.VARIANT.wav (float), .truth.npz (f0 per 4 ms frame),
.labels.json (phrases, silences, breaths in seconds; the notes of sung and
FluidR3 material).

Usage: make_material.py --out DIR [NAME ...]   (prints the files it made)
"""

import argparse
import fcntl
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "train"))
import smf  # noqa: E402  (the MIDI writer the training data uses: train/smf.py)

RATE = 48000
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
LEAD_S = 1.0  # no source for the first second
TAIL_S = 0.8
VOICED_DB = -20.0  # source RMS while voiced (clean, room, hum, reverb)
QUIET_DB = -40.0  # ... in the quiet variant
NOISE_DB = -45.0  # room noise and hum RMS (issue 12: a -45 dBFS noise floor)
BREATH_DB = -40.0  # breath bursts, RMS over the burst
DC_OFFSET = 0.05
SILENT_DB = -90.0  # a rest is a silence where the source is under this
# (fluidsynth's release tails and reverb die away below it)

# name -> (kind, settings)
MATERIALS: Dict[str, Tuple[str, Dict]] = {
    "speech-male": ("speech", {"voice": "en-us+m3", "pitch": 40, "median_hz": 115.0}),
    "speech-low": ("speech", {"voice": "en-us+m3", "pitch": 20, "median_hz": 75.0}),
    "speech-female": ("speech", {"voice": "en-us+f3", "pitch": 60, "median_hz": 215.0}),
    "sung-low": ("sung", {"voice": "en-us+m3", "lo": 36, "hi": 52}),
    "sung-male": ("sung", {"voice": "en-us+m3", "lo": 45, "hi": 64}),
    "sung-high": ("sung", {"voice": "en-us+f3", "lo": 64, "hi": 84}),
    "oohs": ("gm", {"program": 53, "lo": 50, "hi": 72}),
    "cello": ("gm", {"program": 42, "lo": 36, "hi": 57}),
    "contrabass": ("gm", {"program": 43, "lo": 36, "hi": 52}),
    "bassoon": ("gm", {"program": 70, "lo": 36, "hi": 60}),
    "tuba": ("gm", {"program": 58, "lo": 36, "hi": 55}),
    # the shipped demo's hummed line (issue 12: its auto octave jumps)
    "demo-hummed": ("file", {"path": "demo/hummed-line.flac"}),
}
VARIANTS = ["clean", "room", "hum", "reverb", "quiet"]
VOICE_KINDS = ("speech", "sung")

SENTENCES = [
    "When the sunlight strikes raindrops in the air, they act as a prism and form a rainbow.",
    "The rainbow is a division of white light into many beautiful colours.",
    "These take the shape of a long round arch, with its path high above.",
]


def variants_of(name: str) -> List[str]:
    kind = MATERIALS[name][0]
    if kind == "file":
        return ["clean"]
    return [v for v in VARIANTS if v != "quiet" or kind in VOICE_KINDS]


def script_hash() -> str:
    """Material changes when this script or measure.py does."""
    h = hashlib.sha1()
    here = os.path.dirname(os.path.abspath(__file__))
    for f in ("make_material.py", "measure.py"):
        with open(os.path.join(here, f), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def run(cmd: List[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read(path: str) -> Tuple[np.ndarray, float]:
    return measure.read_mono(path)


def write(path: str, x: np.ndarray) -> None:
    import soundfile as sf

    sf.write(path, x.astype(np.float32), RATE, subtype="FLOAT")


def resample(x: np.ndarray, rate: float) -> np.ndarray:
    from scipy.signal import resample_poly

    if int(rate) == RATE:
        return x
    g = math.gcd(int(rate), RATE)
    return resample_poly(x, RATE // g, int(rate) // g)


def shaped_noise(rng: np.random.Generator, n: int, lo: float, hi: float,
                 tilt_db_oct: float = 0.0) -> np.ndarray:
    """White noise band-limited to lo..hi Hz with a spectral tilt, unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    g = ((f >= lo) & (f <= hi)).astype(float)
    with np.errstate(divide="ignore"):
        g *= np.where(f > 0, (np.maximum(f, 1.0) / 1000.0) ** (tilt_db_oct / 6.02), 0.0)
    y = np.fft.irfft(spec * g, n)
    return y / max(np.sqrt(np.mean(y * y)), 1e-12)


def rms_db(x: np.ndarray) -> float:
    return measure.db(float(np.sqrt(np.mean(x * x)))) if len(x) else -math.inf


# ---- sources ---------------------------------------------------------------


def note_plan(rng: np.random.Generator, lo: int, hi: int, legato: bool) -> Dict:
    """Three phrases of four to five notes spanning the range, with a leap of
    7-12 semitones in each (where auto octave used to re-decide), gaps inside
    a phrase (breaths, 0.18-0.3 s) or legato joins, rests of 0.6-0.8 s."""
    t = LEAD_S
    notes, phrases, gaps, rests = [], [], [], [(0.0, LEAD_S)]
    for p in range(3):
        count = int(rng.integers(4, 6))
        cur = int(rng.integers(lo, max(lo + 1, hi - 10)))
        seq = [cur]
        leap_at = int(rng.integers(1, count))
        for i in range(1, count):
            step = int(rng.integers(7, 13)) if i == leap_at else int(rng.integers(-4, 5))
            nxt = cur + step
            if nxt > hi or nxt < lo:
                nxt = cur - step
            cur = int(min(hi, max(lo, nxt)))
            seq.append(cur)
        p0 = t
        for i, note in enumerate(seq):
            dur = float(rng.uniform(0.45, 0.8))
            join = legato and i > 0 and rng.random() < 0.5
            notes.append({"t": t, "dur": dur, "midi": note, "legato": bool(join),
                          "slow_glide": bool(join and rng.random() < 0.4)})
            t += dur
            if i < len(seq) - 1:
                if not (legato and rng.random() < 0.5):
                    g = float(rng.uniform(0.18, 0.3))
                    gaps.append((t, t + g))
                    t += g
        phrases.append((p0, t))
        rest = float(rng.uniform(0.6, 0.8)) if p < 2 else TAIL_S
        rests.append((t, t + rest))
        t += rest
    # legato flags must match the gaps actually taken
    for i in range(1, len(notes)):
        prev_end = notes[i - 1]["t"] + notes[i - 1]["dur"]
        if abs(notes[i]["t"] - prev_end) > 1e-9:
            notes[i]["legato"] = notes[i]["slow_glide"] = False
    return {"notes": notes, "phrases": phrases, "gaps": gaps, "rests": rests, "end": t}


def midi_hz(m: float) -> float:
    return 440.0 * 2.0 ** ((m - 69.0) / 12.0)


def lpc_envelope(x: np.ndarray, rate: float, order: int = 24) -> Tuple[np.ndarray, float]:
    """LPC coefficients (a[0] = 1) and gain of the steadiest loud 60 ms."""
    from scipy.linalg import solve_toeplitz

    w = int(0.06 * rate)
    best, best_score = None, -1.0
    for s in range(0, len(x) - w, w // 4):
        seg = x[s:s + w]
        e = float(np.sqrt(np.mean(seg * seg)))
        if e > best_score:
            best, best_score = seg, e
    seg = (best - best.mean()) * np.hanning(len(best))
    seg = np.append(seg[0], seg[1:] - 0.9 * seg[:-1])  # pre-emphasis: flat envelope fit
    r = np.correlate(seg, seg, "full")[len(seg) - 1:len(seg) + order]
    r[0] *= 1.0 + 1e-6
    a = solve_toeplitz(r[:order], -r[1:order + 1])
    return np.concatenate([[1.0], a]), 1.0


def envelope_db(a: np.ndarray, freqs: np.ndarray, rate: float) -> np.ndarray:
    """|1 / A(f)| in dB at freqs Hz: the vocal tract's formants (the LPC was
    fitted after pre-emphasis, so espeak's own source tilt is not in it)."""
    z = np.exp(-1j * 2 * np.pi * np.outer(freqs, np.arange(len(a))) / rate)
    return 20 * np.log10(1.0 / np.abs(z @ a) + 1e-12)


def espeak(voice: str, pitch: int, text: str, work: str, speed: int = 140) -> Tuple[np.ndarray, float]:
    out = os.path.join(work, "espeak.wav")
    run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", out, text])
    return read(out)


def make_sung(cfg: Dict, rng: np.random.Generator, work: str) -> Tuple[np.ndarray, np.ndarray, Dict]:
    vowels = ["A:", "i:", "u:", "O:", "E"]
    envs = []
    for v in vowels:
        x, r = espeak(cfg["voice"], 50, f"[[{v}{v}{v}]]", work, speed=80)
        a, _ = lpc_envelope(x, r)
        envs.append((a, r))
    plan = note_plan(rng, cfg["lo"], cfg["hi"], legato=True)
    n = int(plan["end"] * RATE)
    t = np.arange(n) / RATE
    midi = np.zeros(n)
    amp = np.zeros(n)
    vowel_of = np.zeros(n, dtype=int)
    notes = plan["notes"]
    for i, nt in enumerate(notes):
        a, b = int(nt["t"] * RATE), min(n, int((nt["t"] + nt["dur"]) * RATE))
        tt = t[a:b] - nt["t"]
        m = np.full(b - a, float(nt["midi"]))
        if nt["legato"]:
            prev = notes[i - 1]["midi"]
            tau = 0.12 if nt["slow_glide"] else 0.03
            m += (prev - nt["midi"]) * np.exp(-tt / tau)
        depth = 0.35 * np.clip((tt - 0.25) / 0.3, 0, 1)  # vibrato after 250 ms
        m += depth * np.sin(2 * np.pi * 5.5 * tt + rng.uniform(0, 6.28))
        midi[a:b] = m
        starts = not nt["legato"]
        ends = i == len(notes) - 1 or not notes[i + 1]["legato"]
        env = np.ones(b - a)
        if starts:
            env *= np.clip(tt / 0.05, 0, 1)
        if ends:
            env *= np.clip((nt["dur"] - tt) / 0.08, 0, 1)
        amp[a:b] = env * (0.8 + 0.2 * np.sin(np.pi * tt / nt["dur"]))
        vowel_of[a:b] = i % len(vowels)
    # slow wander (drift of a real voice), +-8 cents
    wander = np.cumsum(rng.standard_normal(n // 480 + 2))
    wander = np.interp(np.arange(n) / 480.0, np.arange(len(wander)), wander)
    wander = 0.08 * (wander - wander.mean()) / max(np.std(wander), 1e-9)
    f0 = np.where(amp > 0, 440.0 * 2.0 ** ((midi + wander - 69.0) / 12.0), 0.0)
    # additive synthesis: harmonic k at k f0, its level from the vowel's
    # envelope at k f0 (one value per 5 ms, interpolated)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    y = np.zeros(n)
    hop = 240
    grid = np.arange(0, n + hop, hop)
    fg = np.interp(grid, np.arange(n), f0)
    vg = vowel_of[np.minimum(grid, n - 1)]
    kmax = int(10500.0 / max(20.0, f0[f0 > 0].min()))
    lev = np.zeros((len(grid), kmax))
    for vi, (a, r) in enumerate(envs):
        sel = (vg == vi) & (fg > 0)
        if not sel.any():
            continue
        fk = fg[sel, None] * np.arange(1, kmax + 1)[None, :]
        e = envelope_db(a, np.minimum(fk.ravel(), r / 2 - 1), r).reshape(fk.shape)
        # glottal source (-12 dB/octave) and lip radiation (+6): -6 dB/octave
        e -= 20 * np.log10(np.arange(1, kmax + 1))[None, :]
        e -= e.max(axis=1, keepdims=True)
        e[fk >= min(10500.0, r / 2 - 200)] = -200.0
        lev[sel] = 10 ** (e / 20)
    # smooth vowel changes over 50 ms
    k = np.hanning(11)
    k /= k.sum()
    for h in range(kmax):
        lev[:, h] = np.convolve(lev[:, h], k, "same")
    for h in range(kmax):
        col = lev[:, h]
        if col.max() < 1e-5:
            continue
        y += np.interp(np.arange(n), grid, col) * np.sin((h + 1) * phase)
    y *= amp
    # aspiration: noise through the first vowel's envelope, -26 dB
    from scipy.signal import lfilter

    a0, r0 = envs[0]
    asp = lfilter([1.0], a0, rng.standard_normal(int(n * r0 / RATE) + 16))
    asp = resample(asp, r0)[:n]
    asp = np.pad(asp, (0, n - len(asp)))
    asp *= amp * 10 ** (-26 / 20) * np.sqrt(np.mean(y[amp > 0.5] ** 2)) / max(
        np.sqrt(np.mean(asp * asp)), 1e-12)
    y += asp
    truth = measure_truth_from_contour(f0, amp, n)
    return y, truth, plan


def measure_truth_from_contour(f0: np.ndarray, amp: np.ndarray, n: int) -> np.ndarray:
    """f0 per frame where the voice sounds at least -20 dB of its level."""
    frames = measure.frame_count(n, RATE)
    idx = np.minimum(np.round(np.arange(frames) * RATE / measure.FRAME_RATE).astype(int), n - 1)
    return np.where(amp[idx] >= 0.1, f0[idx], 0.0)


def truth_from_trackers(y: np.ndarray) -> np.ndarray:
    """f0 where both reference trackers agree within 30 cents; voiced runs
    shorter than 40 ms are dropped (a tracker's flicker, not a syllable)."""
    a, _ = measure.track_nsdf(y, RATE)
    b = measure.track_aubio(y, RATE)
    c = measure.cents(a, b)
    f0 = np.where(np.abs(np.nan_to_num(c, nan=1e9)) <= 30.0, np.sqrt(a * b), 0.0)
    v = f0 > 0
    k = 0
    while k < len(v):
        if v[k]:
            j = k
            while j < len(v) and v[j]:
                j += 1
            if j - k < 10:
                f0[k:j] = 0.0
            k = j
        else:
            k += 1
    return f0


def make_file(cfg: Dict, rng: np.random.Generator, work: str) -> Tuple[np.ndarray, np.ndarray, Dict]:
    """A recording of the project's (the demo), as it is: truth from the
    reference trackers, phrases split at unvoiced stretches >= 400 ms."""
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    x, r = read(os.path.join(root, cfg["path"]))
    y = resample(x, r)
    f0 = truth_from_trackers(y)
    # rests: 400 ms or more at least 30 dB under the voiced level (a breath
    # or an unvoiced consonant is no rest)
    lvl = 20 * np.log10(measure.frame_rms(y, RATE) + 1e-12)
    quiet = lvl < np.median(lvl[f0 > 0]) - 30.0
    need = int(measure.PHRASE_REST_S * measure.FRAME_RATE)
    rests, k = [], 0
    while k < len(quiet):
        j = k
        while j < len(quiet) and quiet[j]:
            j += 1
        if j - k >= need or (k == 0 and j > 0) or (j == len(quiet) and j > k):
            rests.append((k / measure.FRAME_RATE, j / measure.FRAME_RATE))
        k = j + 1
    end = len(y) / RATE
    phrases = [(rests[i][1], rests[i + 1][0]) for i in range(len(rests) - 1)]
    return y, f0, {"phrases": phrases, "gaps": [], "rests": rests, "end": end}


def make_speech(cfg: Dict, rng: np.random.Generator, work: str) -> Tuple[np.ndarray, np.ndarray, Dict]:
    parts = []
    for s in SENTENCES:
        x, r = espeak(cfg["voice"], cfg["pitch"], s, work)
        x = resample(x, r)
        # trim the lead and tail espeak leaves
        loud = np.nonzero(np.abs(x) > 10 ** (-50 / 20))[0]
        parts.append(x[loud[0]:loud[-1] + 1])
    # one pitch move for all: the unshifted median onto the target
    probe = np.concatenate(parts)
    a, _ = measure.track_nsdf(probe, RATE)
    med = float(np.median(a[a > 0]))
    shift = 1200.0 * math.log2(cfg["median_hz"] / med)
    moved = []
    for i, x in enumerate(parts):
        src = os.path.join(work, f"s{i}.wav")
        dst = os.path.join(work, f"s{i}-moved.wav")
        write(src, x)
        run(["sox", src, dst, "pitch", f"{shift:.1f}", "rate", "-v", str(RATE)])
        y, _ = read(dst)
        moved.append(y)
    t = LEAD_S
    y = [np.zeros(int(LEAD_S * RATE))]
    phrases, rests = [], [(0.0, LEAD_S)]
    for i, x in enumerate(moved):
        phrases.append((t, t + len(x) / RATE))
        y.append(x)
        t += len(x) / RATE
        rest = float(rng.uniform(0.6, 0.8)) if i < len(moved) - 1 else TAIL_S
        rests.append((t, t + rest))
        y.append(np.zeros(int(rest * RATE)))
        t += rest
    y = np.concatenate(y)
    f0 = truth_from_trackers(y)
    plan = {"phrases": phrases, "gaps": [], "rests": rests, "end": t,
            "shift_cents": shift, "espeak_median_hz": med}
    return y, f0, plan


def write_midi(path: str, program: int, notes: List[Dict]) -> None:
    """Format 0, one channel, 960 ticks a second (480 a beat at 120 bpm)."""
    ev = [(0, 0, bytes([0xC0, program]))]
    for nt in notes:
        ev.append((int(round(nt["t"] * 960)), 2, bytes([0x90, nt["midi"], nt["vel"]])))
        ev.append((int(round((nt["t"] + nt["dur"]) * 960)), 1, bytes([0x80, nt["midi"], 0])))
    ev.sort(key=lambda e: (e[0], e[1]))
    with open(path, "wb") as f:
        f.write(smf.smf(0, [smf.track([(tick, data) for tick, _, data in ev], 960)]))


def make_gm(cfg: Dict, rng: np.random.Generator, work: str) -> Tuple[np.ndarray, np.ndarray, Dict]:
    plan = note_plan(rng, cfg["lo"], cfg["hi"], legato=False)
    for nt in plan["notes"]:
        nt["vel"] = int(rng.integers(75, 115))
    mid = os.path.join(work, "notes.mid")
    wav = os.path.join(work, "fluid.wav")
    write_midi(mid, cfg["program"], plan["notes"])
    run(["fluidsynth", "-ni", "-q", "-g", "1.0", "-R", "0", "-C", "0", "-r", str(RATE),
         "-O", "float", "-T", "wav", "-F", wav, SOUNDFONT, mid])
    y, r = read(wav)
    n = int(plan["end"] * RATE)
    y = np.pad(y, (0, max(0, n - len(y))))[:n]
    frames = measure.frame_count(n, RATE)
    f0 = np.zeros(frames)
    for nt in plan["notes"]:
        k0 = int(math.ceil(nt["t"] * measure.FRAME_RATE))
        k1 = int(math.floor((nt["t"] + nt["dur"]) * measure.FRAME_RATE))
        f0[k0:k1] = midi_hz(nt["midi"])
    return y, f0, plan


# ---- variants --------------------------------------------------------------


def voiced_gain(y: np.ndarray, f0: np.ndarray, target_db: float) -> float:
    hop = RATE / measure.FRAME_RATE
    idx = np.nonzero(f0 > 0)[0]
    mask = np.zeros(len(y), dtype=bool)
    for k in idx:
        mask[int(k * hop):int((k + 1) * hop)] = True
    return 10 ** ((target_db - rms_db(y[mask[:len(y)]])) / 20)


def breaths(rng: np.random.Generator, n: int, plan: Dict) -> Tuple[np.ndarray, List]:
    """Noise bursts (400 Hz-6 kHz, a raised-cosine envelope) in every gap
    inside a phrase and at the end of every rest before a phrase."""
    out = np.zeros(n)
    spans = []
    for a, b in plan["gaps"]:
        d = min(0.2, b - a - 0.02)
        spans.append((a + 0.01, a + 0.01 + d))
    for a, b in plan["rests"][:-1]:
        if b - a >= 0.4:
            spans.append((b - 0.3, b - 0.05))
    for a, b in spans:
        i, j = int(a * RATE), int(b * RATE)
        burst = shaped_noise(rng, j - i, 400.0, 6000.0, -3.0)
        burst *= np.hanning(j - i) * 10 ** (BREATH_DB / 20) * math.sqrt(2.0 / 0.75)
        out[i:j] += burst
    return out, spans


def silences(src: np.ndarray, plan: Dict, breath_spans: List) -> List[Tuple[float, float]]:
    """Parts of the rests where the source (with its reverb, without noise,
    hum or DC) is under SILENT_DB in 20 ms windows, minus breaths."""
    w = int(0.02 * RATE)
    out = []
    for a, b in plan["rests"]:
        i, j = int(a * RATE), min(len(src), int(b * RATE))
        m = (j - i) // w
        if m <= 0:
            continue
        r = np.sqrt(np.mean(src[i:i + m * w].reshape(m, w) ** 2, axis=1))
        quiet = 20 * np.log10(r + 1e-12) < SILENT_DB
        # the silence starts where the source has died away for good
        last_loud = np.nonzero(~quiet)[0]
        s0 = i + ((last_loud[-1] + 1) * w if len(last_loud) else 0)
        s1 = i + m * w
        for ba, bb in breath_spans:
            if ba * RATE < s1 and bb * RATE > s0:
                s1 = min(s1, int(ba * RATE))
        if s1 - s0 >= w:
            out.append((s0 / RATE, s1 / RATE))
    return out


def make(name: str, out_dir: str) -> List[str]:
    kind, cfg = MATERIALS[name]
    seed = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as work:
        maker = {"speech": make_speech, "sung": make_sung, "gm": make_gm, "file": make_file}[kind]
        src, f0, plan = maker(cfg, rng, work)
        n = len(src)
        if kind != "file":  # a recording keeps its own level
            src = src * voiced_gain(src, f0, VOICED_DB)
        made = []
        # frames not scored after a voiced run starts: a note's attack (and
        # the analysis latency); speech truth starts where both trackers
        # already agree, so its runs are scored sooner
        settle = 0.02 if kind in ("speech", "file") else 0.08
        info = {"name": name, "kind": kind, "config": cfg, "settle_s": settle,
                **{k: v for k, v in plan.items() if k in ("shift_cents", "espeak_median_hz")}}
        noise = shaped_noise(rng, n, 20.0, 16000.0, -3.0) * 10 ** (NOISE_DB / 20)
        br, br_spans = breaths(rng, n, plan)
        for variant in variants_of(name):
            spans: List = []
            clean_part = src
            if variant == "clean":
                y = src
            elif variant == "room":
                y = src + br + noise
                spans = br_spans
            elif variant == "hum":
                mains = 50.0 if seed % 2 == 0 else 60.0
                t = np.arange(n) / RATE
                hum = sum(a * np.sin(2 * np.pi * k * mains * t + k)
                          for k, a in ((1, 1.0), (2, 0.5), (3, 0.35), (5, 0.2)))
                hum *= 10 ** (NOISE_DB / 20) / math.sqrt(np.mean(hum * hum))
                y = src + hum + DC_OFFSET
                info_hum = mains
            elif variant == "reverb":
                dry = os.path.join(work, "dry.wav")
                wet = os.path.join(work, "wet.wav")
                write(dry, src)
                run(["sox", dry, wet, "reverb", "50", "50", "80", "gain", "-3"])
                y, _ = read(wet)
                y = np.pad(y, (0, max(0, n - len(y))))[:n]
                y *= voiced_gain(y, f0, VOICED_DB)
                clean_part = y
            else:  # quiet
                y = src * 10 ** ((QUIET_DB - VOICED_DB) / 20)
                clean_part = y
            base = os.path.join(out_dir, f"{name}.{variant}")
            write(base + ".wav", y)
            np.savez(base + ".truth.npz", f0=f0.astype(np.float32))
            lab = {"phrases": plan["phrases"], "silences": silences(clean_part, plan, spans),
                   "breaths": spans, "rests": plan["rests"],
                   # the notes sung or played (t, dur s, midi, legato): MIDI out's truth
                   "notes": plan.get("notes", []),
                   "info": dict(info, variant=variant,
                                **({"mains_hz": info_hum} if variant == "hum" else {}))}
            with open(base + ".labels.json", "w") as f:
                json.dump(lab, f, indent=1)
            made.append(base + ".wav")
    return made


def ensure(out_dir: str, name: str) -> List[str]:
    """The files of material `name` in out_dir, made if missing or made by
    another version of this script. Safe when tests run in parallel (a lock
    per material)."""
    os.makedirs(out_dir, exist_ok=True)
    stamp = os.path.join(out_dir, f"{name}.stamp")
    want = script_hash()
    files = [os.path.join(out_dir, f"{name}.{v}.wav") for v in variants_of(name)]
    with open(os.path.join(out_dir, f"{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(stamp) as f:
                have = f.read().strip()
        except OSError:
            have = ""
        if have != want or not all(os.path.isfile(p) for p in files):
            for tool in ("espeak-ng", "sox", "fluidsynth"):
                if shutil.which(tool) is None:
                    raise SystemExit(f"SKIP: {tool} is not installed (scripts/install-deps)")
            if not os.path.isfile(SOUNDFONT):
                raise SystemExit(f"SKIP: no {SOUNDFONT} (fluid-soundfont-gm)")
            files = make(name, out_dir)
            with open(stamp, "w") as f:
                f.write(want + "\n")
    return files


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("names", nargs="*", help="materials (default: all): " + " ".join(MATERIALS))
    a = p.parse_args()
    for name in a.names or list(MATERIALS):
        if name not in MATERIALS:
            raise SystemExit(f"unknown material '{name}'")
        for f in ensure(a.out, name):
            print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
