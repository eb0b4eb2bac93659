"""Measures of a render against its material's ground truth (issue 12).

Everything works on one frame grid: FRAME_RATE frames a second, frame k
centred on k / FRAME_RATE seconds. A material (make_material.py) carries, per
frame, the true f0 (Hz; 0 where unvoiced or unknown) and labelled segments:
phrases, rests, silences (no source, no breath) and breaths.

Two independent pitch trackers read the output, neither of them Heist's YIN:
`track_nsdf` (a normalised autocorrelation tracker in numpy, McLeod's
peak-picking idea written from its description) and aubio's `yinfast` (Debian's
python3-aubio). A frame counts as followed when either tracker hears the true
pitch in it, so that one tracker's own slip is not charged to the plugin.

Uses numpy, scipy and aubio from Debian only.
"""

import hashlib
import json
import math
import os
from typing import Dict, List, Optional, Tuple

import numpy as np

FRAME_RATE = 250.0  # frames a second: the plugin's own frame clock
GROSS_CENTS = 50.0  # an error over 50 cents is a wrong note (issue 12)
SETTLE_S = 0.08  # frames this soon after a voiced run starts are not scored:
# a new note's attack, a glide's start (a material's labels may say less)
EXCURSION_ST = 6.0  # an excursion: a jump of more than 6 semitones ...
EXCURSION_MAX_S = 0.030  # ... that lasts under 30 ms (issue 12)
GATE_AFTER_S = 0.100  # the gate must have closed 100 ms into a silence
GATE_WINDOW_S = 0.020  # RMS windows of 20 ms inside a silence
PHRASE_REST_S = 0.400  # rests this long separate phrases (issue 12)
OCTAVE_RUN_S = 0.060  # an octave offset must hold this long to count as a
# change of the auto octave shift (shorter ones are clicks, counted apart)
TRACKER_CACHE_VERSION = "1"
NSDF_FMAX = 2000.0  # track_nsdf's highest pitch (aubio's reach: 4 kHz)
AUBIO_DELAY_FRAMES = 29  # see track_aubio


def db(x: float) -> float:
    return 20.0 * math.log10(max(x, 1e-12))


def frame_count(n_samples: int, rate: float) -> int:
    return int(math.floor(n_samples / rate * FRAME_RATE)) + 1


def _frames(x: np.ndarray, rate: float, width: int) -> Tuple[np.ndarray, int]:
    """Windows of `width` samples centred on each frame time (zero outside)."""
    n = frame_count(len(x), rate)
    half = width // 2
    padded = np.concatenate([np.zeros(half), x.astype(np.float64), np.zeros(width)])
    starts = np.round(np.arange(n) * rate / FRAME_RATE).astype(np.int64)
    idx = starts[:, None] + np.arange(width)[None, :]
    return padded[idx], n


def track_nsdf(x: np.ndarray, rate: float, fmin: float = 50.0, fmax: float = NSDF_FMAX,
               threshold: float = 0.55) -> Tuple[np.ndarray, np.ndarray]:
    """Normalised square difference (autocorrelation over the energies of
    both lagged parts) per frame; the period is the first key maximum that
    reaches 0.9 of the highest one, refined by a parabola. Returns (f0 Hz,
    clarity 0..1); f0 is 0 where the clarity is under `threshold` or the frame
    is silent (under -70 dBFS: what a tracker can tell from room noise)."""
    # 24 kHz is enough for 2 kHz and halves the work; decimate by an FFT
    # brick-wall over the whole file (no phase shift, no edges inside it).
    if rate > 30000 and len(x) >= 4:
        m = len(x) // 2
        spec = np.fft.rfft(x.astype(np.float64))[:m // 2 + 1]
        x = np.fft.irfft(spec, m) * m / len(x)
        rate = rate / 2.0  # m samples now span what len(x) did: exact for even lengths
    tau_min = max(2, int(rate / fmax))
    tau_max = int(math.ceil(rate / fmin))
    width = 2 * tau_max + 64
    frames, n = _frames(x, rate, width)
    frames = frames - frames.mean(axis=1, keepdims=True)
    nfft = 1 << int(math.ceil(math.log2(2 * width)))
    f0 = np.zeros(n)
    clarity = np.zeros(n)
    lags = np.arange(tau_max + 2)
    chunk = 512
    for c0 in range(0, n, chunk):
        fr = frames[c0:c0 + chunk]
        rows = np.arange(len(fr))
        spec = np.fft.rfft(fr, nfft, axis=1)
        acf = np.fft.irfft(spec * np.conj(spec), nfft, axis=1)[:, :tau_max + 2]
        sq = fr * fr
        csum = np.concatenate([np.zeros((len(fr), 1)), np.cumsum(sq, axis=1)], axis=1)
        total = csum[:, -1:]
        # m(tau) = sum_{j < W - tau} x_j^2 + sum_{j >= tau} x_j^2
        msum = csum[:, width - lags] + (total - csum[:, lags])
        d = 2.0 * acf / np.maximum(msum, 1e-20)
        # candidate periods: local maxima in a positive lobe after the first
        # negative-going zero crossing (the lobe around lag 0 is no period)
        mid = d[:, 1:-1]
        after = np.maximum.accumulate(d <= 0, axis=1)[:, 1:-1]
        cand = (mid > d[:, :-2]) & (mid >= d[:, 2:]) & (mid > 0) & after
        cand[:, :tau_min - 1] = False
        vals = np.where(cand, mid, -np.inf)
        top = vals.max(axis=1)
        pick = np.argmax(cand & (mid >= 0.9 * top[:, None]), axis=1)
        has = np.isfinite(top)
        t = pick + 1
        a = d[rows, t - 1]
        b = d[rows, t]
        c = d[rows, np.minimum(t + 1, tau_max + 1)]
        den = a - 2 * b + c
        with np.errstate(divide="ignore", invalid="ignore"):
            sh = np.where(den < 0, 0.5 * (a - c) / den, 0.0)
        sh = np.clip(sh, -0.5, 0.5)
        rms = np.sqrt(total[:, 0] / width)
        ok = has & (rms >= 10 ** (-70 / 20))
        clarity[c0:c0 + len(fr)] = np.where(ok, b, 0.0)
        f0[c0:c0 + len(fr)] = np.where(ok & (b >= threshold), rate / (t + sh), 0.0)
    return f0, clarity


def track_aubio(x: np.ndarray, rate: float, threshold: float = 0.6) -> np.ndarray:
    """aubio's yinfast (YIN by FFT; its yinfft reports no confidence in
    Debian 12's 0.4.9), one value per frame; 0 where
    its confidence is under `threshold` or it reads silence."""
    import aubio  # Debian's python3-aubio

    hop = int(round(rate / FRAME_RATE))
    size = 4096 if rate > 30000 else 2048
    p = aubio.pitch("yinfast", size, hop, int(rate))
    p.set_unit("Hz")
    p.set_silence(-70.0)
    n = frame_count(len(x), rate)
    # Frame k's value comes out of block k + AUBIO_DELAY_FRAMES (with
    # size / 2 leading zeros): aubio's YIN weighs its window unevenly, so the
    # delay is measured (a pitch step switches its output 29 frames later,
    # 200->300, 80->120 and 600->900 Hz alike), checked by
    # test_measures.py's alignment case.
    pad = size // 2
    sig = np.concatenate([np.zeros(pad), x, np.zeros(size + AUBIO_DELAY_FRAMES * hop)])
    sig = sig.astype(np.float32)
    out = np.zeros(n)
    for k in range(n + AUBIO_DELAY_FRAMES):
        blk = sig[k * hop:(k + 1) * hop]
        if len(blk) < hop:
            break
        f = float(p(blk)[0])
        conf = float(p.get_confidence())
        j = k - AUBIO_DELAY_FRAMES
        if 0 <= j < n and conf >= threshold and 30.0 < f < 4000.0:
            out[j] = f
    return out


def cents(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1200 log2(a / b), nan where either is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 1200.0 * np.log2(a / b)
    c[(a <= 0) | (b <= 0)] = np.nan
    return c


def _file_hash(path: str) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def read_mono(path: str) -> Tuple[np.ndarray, float]:
    import soundfile as sf

    x, rate = sf.read(path, dtype="float64", always_2d=True)
    return x.mean(axis=1), float(rate)


def tracks(path: str, cache_dir: Optional[str] = None) -> Dict[str, np.ndarray]:
    """Both trackers on a file; cached by the file's content (a render that
    did not change is not tracked twice, whichever test asks)."""
    key = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        key = os.path.join(cache_dir, f"{_file_hash(path)}-v{TRACKER_CACHE_VERSION}.npz")
        if os.path.isfile(key):
            with np.load(key) as z:
                return {k: z[k] for k in z.files}
    x, rate = read_mono(path)
    nsdf, clarity = track_nsdf(x, rate)
    res = {"nsdf": nsdf, "clarity": clarity, "aubio": track_aubio(x, rate),
           "frame_rms": frame_rms(x, rate)}
    if key:
        tmp = key + f".{os.getpid()}.tmp.npz"
        np.savez(tmp, **res)
        os.replace(tmp, key)
    return res


def frame_rms(x: np.ndarray, rate: float, window_s: float = 0.016) -> np.ndarray:
    """RMS over `window_s` centred on each frame (linear)."""
    fr, _ = _frames(x, rate, max(2, int(round(window_s * rate))))
    return np.sqrt(np.mean(fr * fr, axis=1))


# ---- the material's labels -------------------------------------------------


class Truth:
    """A material's ground truth: f0 per frame and labelled segments."""

    def __init__(self, wav: str):
        base = os.path.splitext(wav)[0]
        with np.load(base + ".truth.npz") as z:
            self.f0 = z["f0"].astype(np.float64)
        with open(base + ".labels.json") as f:
            lab = json.load(f)
        self.phrases: List[Tuple[float, float]] = [tuple(p) for p in lab["phrases"]]
        self.silences: List[Tuple[float, float]] = [tuple(p) for p in lab["silences"]]
        self.breaths: List[Tuple[float, float]] = [tuple(p) for p in lab["breaths"]]
        self.info: Dict = lab.get("info", {})

    def scored(self) -> np.ndarray:
        """Voiced frames past their run's first SETTLE_S."""
        v = self.f0 > 0
        out = v.copy()
        settle = int(round(self.info.get("settle_s", SETTLE_S) * FRAME_RATE))
        start = None
        for k in range(len(v) + 1):
            on = k < len(v) and v[k]
            if on and start is None:
                start = k
            if not on and start is not None:
                out[start:min(k, start + settle)] = False
                start = None
        return out


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    if len(a) >= n:
        return a[:n]
    return np.concatenate([a, np.zeros(n - len(a))])


def follow(truth: Truth, out_tracks: Dict[str, np.ndarray], shift_cents: float = 0.0,
           per_phrase_octave: bool = False) -> Dict[str, float]:
    """Pitch follow of the output against the truth on the scored frames.

    Per frame, the error is that of whichever tracker is closer to the
    truth (+ shift_cents, the pitch_shift the render asked for). With
    per_phrase_octave (auto octave on), each phrase's most common whole-octave
    offset is taken off first: the octave the plugin chose for the phrase is
    its freedom; any other octave inside the phrase is an octave error.
    Returns median |cents|, gross % (> 50 cents, unvoiced output counted),
    octave % (within 50 cents of a nonzero whole octave), frames scored."""
    n = len(truth.f0)
    sc = truth.scored()
    errs = []
    for name in ("nsdf", "aubio"):
        e = cents(_fit(out_tracks[name], n), truth.f0) - shift_cents
        errs.append(e)
    e = np.stack(errs)  # (2, n)
    if per_phrase_octave:
        for t0, t1 in truth.phrases:
            k0, k1 = int(t0 * FRAME_RATE), min(n, int(math.ceil(t1 * FRAME_RATE)) + 1)
            seg = e[:, k0:k1][:, sc[k0:k1]]
            octs = np.round(seg[~np.isnan(seg)] / 1200.0)
            if len(octs):
                vals, counts = np.unique(octs, return_counts=True)
                e[:, k0:k1] -= 1200.0 * vals[np.argmax(counts)]
    # per frame, the tracker nearer the truth
    absd = np.where(np.isnan(e), np.inf, np.abs(e))
    pick = np.argmin(absd, axis=0)
    best = e[pick, np.arange(n)]
    best = best[sc]
    total = int(sc.sum())
    if total == 0:
        return {"median": float("nan"), "gross": float("nan"), "octave": float("nan"),
                "frames": 0}
    voiced = ~np.isnan(best)
    gross = np.count_nonzero(~voiced) + np.count_nonzero(np.abs(best[voiced]) > GROSS_CENTS)
    # an octave error: no tracker within 50 cents of the truth, but one within
    # 50 cents of a whole octave (or two) away
    dev = e[:, sc]
    near_oct = np.zeros(total, dtype=bool)
    for k in (-2, -1, 1, 2):
        near_oct |= np.any(np.abs(dev - 1200.0 * k) <= GROSS_CENTS, axis=0)
    wrong = ~voiced.copy()
    wrong[voiced] = np.abs(best[voiced]) > GROSS_CENTS
    octave_err = int(np.count_nonzero(wrong & near_oct))
    med = float(np.median(np.abs(best[voiced]))) if voiced.any() else float("nan")
    return {"median": med, "gross": 100.0 * gross / total, "octave": 100.0 * octave_err / total,
            "frames": total}


def excursion_mask(f: np.ndarray) -> np.ndarray:
    """Frames of a pitch track (Hz, 0 = none) that lie in an excursion: a
    run of at most EXCURSION_MAX_S whose pitch is more than EXCURSION_ST
    away from the frame before it, after which the track comes back within
    EXCURSION_ST of that frame (a note change does not come back)."""
    maxlen = int(EXCURSION_MAX_S * FRAME_RATE)  # 7 frames: 28 ms < 30 ms
    hits = np.zeros(len(f), dtype=bool)
    lf = np.where(f > 0, np.log2(np.maximum(f, 1e-9)) * 12.0, np.nan)
    for k in range(1, len(f) - 1):
        before = lf[k - 1]
        if np.isnan(before) or np.isnan(lf[k]) or abs(lf[k] - before) <= EXCURSION_ST:
            continue
        for length in range(1, maxlen + 1):
            j = k + length
            if j >= len(f):
                break
            if not np.isnan(lf[j]) and abs(lf[j] - before) <= EXCURSION_ST:
                run = lf[k:j]
                if np.all(np.isnan(run) | (np.abs(run - before) > EXCURSION_ST)):
                    hits[k:j] = True
                break
    return hits


def excursions(out_tracks: Dict[str, np.ndarray], duration_s: float) -> Dict[str, float]:
    """Output pitch excursions (excursion_mask) per minute that both
    trackers see (within 2 frames), so a tracker's own slip does not count.
    The trackers' windows (20-40 ms) see excursions of about 10 ms and
    longer; a single-frame jump of the engine's f0 (a 4-8 ms chirp) is
    counted by frontend_jumps and, where it sprays, by new_bursts."""
    both = excursion_mask(out_tracks["nsdf"]) & _dilate(excursion_mask(out_tracks["aubio"]), 2)
    n = _runs(both)
    return {"excursions_per_min": 60.0 * n / max(duration_s, 1e-9), "excursions": n}


def frontend_jumps(f0: np.ndarray, duration_s: float) -> Dict[str, float]:
    """Excursions of the f0 the engine synthesises (heist-analyze's f0_hz
    column: the plugin's own front end, not an independent tracker): the
    single 4 ms frames at ~817 Hz in a ~95 Hz voice that issue 12 reports."""
    n = _runs(excursion_mask(f0))
    return {"fe_jumps": n, "fe_jumps_per_min": 60.0 * n / max(duration_s, 1e-9)}


VOICED_GAP_FRAMES = 6  # pitch_track.h HEIST_VOICED_GAP_FRAMES


def read_analyze(path: str) -> np.ndarray:
    """heist-analyze's f0_hz column (one row per frame), as the engine plays
    it: 0 where the f0 is a stale hold, more than VOICED_GAP_FRAMES unvoiced
    frames after the last voiced one (the tracker holds the previous note's
    pitch while a note after a rest waits for confirmation; the engine's
    stale_pitch() keeps the harmonic part silent there)."""
    rows = [ln.split() for ln in open(path) if ln.strip() and not ln.startswith("#")]
    f0 = np.array([float(r[1]) for r in rows])
    voiced = np.array([int(r[5]) for r in rows], dtype=bool)
    since = VOICED_GAP_FRAMES + 1
    for k in range(len(f0)):
        since = 0 if voiced[k] else min(since + 1, 255)
        if since > VOICED_GAP_FRAMES:
            f0[k] = 0.0
    return f0


def burst_frames(x: np.ndarray, rate: float) -> np.ndarray:
    """Broadband bursts: runs of 4 ms frames, no longer than 30 ms, whose
    energy above 3 kHz is more than 15 dB over the median of the 60 ms
    around them, where the signal is above -70 dBFS (a harmonic bank that
    jumps for a frame or two sprays energy up to Nyquist). A mask of frames."""
    hop = rate / FRAME_RATE
    width = int(round(2 * hop))
    fr, n = _frames(x, rate, width)
    win = np.hanning(width)
    spec = np.abs(np.fft.rfft(fr * win, axis=1)) ** 2
    freqs = np.fft.rfftfreq(width, 1.0 / rate)
    hf = 10 * np.log10(np.sum(spec[:, freqs >= 3000.0], axis=1) / width + 1e-20)
    level = 10 * np.log10(np.mean(fr * fr, axis=1) + 1e-20)
    half = int(round(0.030 * FRAME_RATE))
    pad = np.concatenate([np.full(half, np.nan), hf, np.full(half, np.nan)])
    ctx = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    med = np.nanmedian(ctx, axis=1)
    hot = (hf > med + 15.0) & (level > -70.0)
    out = np.zeros(n, dtype=bool)
    maxlen = int(EXCURSION_MAX_S * FRAME_RATE)
    k = 0
    while k < n:
        if hot[k]:
            j = k
            while j < n and hot[j]:
                j += 1
            if j - k <= maxlen:
                out[k:j] = True
            k = j
        else:
            k += 1
    return out


def new_bursts(x: np.ndarray, y: np.ndarray, rate: float, duration_s: float) -> Dict[str, float]:
    """Bursts in the output y that the input x has not within 30 ms (speech's
    plosives are bursts of the input; the instrument may keep them)."""
    bx = _dilate(burst_frames(x, rate), int(round(0.030 * FRAME_RATE)))
    by = burst_frames(y, rate)
    m = min(len(bx), len(by))
    n = _runs(by[:m] & ~bx[:m])
    return {"bursts": n, "bursts_per_min": 60.0 * n / max(duration_s, 1e-9)}


def _dilate(m: np.ndarray, r: int) -> np.ndarray:
    out = m.copy()
    for s in range(1, r + 1):
        out[s:] |= m[:-s]
        out[:-s] |= m[s:]
    return out


def _runs(m: np.ndarray) -> int:
    return int(np.count_nonzero(m[1:] & ~m[:-1]) + (1 if len(m) and m[0] else 0))


def gate(truth: Truth, y: np.ndarray, rate: float) -> Dict[str, float]:
    """The output in the material's silences (no source, no breath; room
    noise and hum may be there): the loudest GATE_WINDOW_S RMS from
    GATE_AFTER_S into each silence to its end, over all silences (dBFS).
    Silences shorter than GATE_AFTER_S + one window are not scored."""
    worst = -math.inf
    total = 0
    w = int(GATE_WINDOW_S * rate)
    for t0, t1 in truth.silences:
        a, b = int((t0 + GATE_AFTER_S) * rate), int(t1 * rate)
        b = min(b, len(y))
        if b - a < w:
            continue
        seg = y[a:b]
        m = (len(seg) // w) * w
        r = np.sqrt(np.mean(seg[:m].reshape(-1, w) ** 2, axis=1))
        worst = max(worst, db(float(r.max())))
        total += b - a
    return {"gate_db": worst if total else float("nan"), "gate_s": total / rate}


def levels(truth: Truth, x: np.ndarray, y: np.ndarray, rate: float) -> Dict[str, float]:
    """Input and output RMS (dBFS) over the material's voiced frames."""
    v = truth.f0 > 0
    hop = rate / FRAME_RATE
    mask = np.zeros(len(x), dtype=bool)
    for k in np.nonzero(v)[0]:
        a, b = int(round((k - 0.5) * hop)), int(round((k + 0.5) * hop))
        mask[max(a, 0):min(b, len(x))] = True
    if not mask.any():
        return {"in_db": float("nan"), "out_db": float("nan")}
    m = min(len(x), len(y))
    mask = mask[:m]
    xi = x[:m][mask] - np.mean(x)  # DC (the hum-dc variant) is no level
    return {"in_db": db(float(np.sqrt(np.mean(xi ** 2)))),
            "out_db": db(float(np.sqrt(np.mean(y[:m][mask] ** 2))))}


def octave_changes(truth: Truth, out_tracks: Dict[str, np.ndarray],
                   shift_cents: float = 0.0) -> Dict[str, float]:
    """Phrases inside which the output's whole-octave offset from the input
    changes. Per scored frame, the offset is the whole number of octaves
    (after shift_cents) that a tracker's output pitch is within 50 cents of;
    an offset must hold OCTAVE_RUN_S in a row to count (shorter slips are
    excursions). Returns phrases changed, phrases scored, and per changed
    phrase its offsets as (second where each began, octaves)."""
    n = len(truth.f0)
    sc = truth.scored()
    off = np.full(n, np.nan)
    nsdf = _fit(out_tracks["nsdf"], n)
    # nsdf cannot see a pitch over NSDF_FMAX: it reads one over 2 kHz an
    # octave down (tuba +4 octaves by whistle-to-flute: 2490 Hz, aubio 2490,
    # nsdf 1244), so where it reads over half its reach aubio decides.
    first = np.where(nsdf > 0.5 * NSDF_FMAX, 1, 0)
    for rank in (0, 1):
        for i, name in enumerate(("nsdf", "aubio")):
            e = cents(_fit(out_tracks[name], n), truth.f0) - shift_cents
            o = np.round(e / 1200.0)
            ok = np.abs(e - 1200.0 * o) <= GROSS_CENTS
            take = ok & np.isnan(off) & sc & ((first == i) == (rank == 0))
            off[take] = o[take]
    need = int(round(OCTAVE_RUN_S * FRAME_RATE))
    changed = scored = 0
    detail = []
    for t0, t1 in truth.phrases:
        k0, k1 = int(t0 * FRAME_RATE), min(n, int(math.ceil(t1 * FRAME_RATE)) + 1)
        seen = []
        run_v, run_n = None, 0
        for k in range(k0, k1):
            v = off[k]
            if np.isnan(v):
                continue  # unscored frames do not break a run
            if v == run_v:
                run_n += 1
            else:
                run_v, run_n = v, 1
            if run_n == need and (not seen or seen[-1][1] != v):
                # (seconds where the offset began, octaves); no "-0.0"
                seen.append((round((k - need + 1) / FRAME_RATE, 2), float(v) + 0.0))
        if seen:
            scored += 1
            if len({v for _, v in seen}) > 1:
                changed += 1
                detail.append(seen)
    return {"changed": changed, "phrases": scored, "detail": detail}
