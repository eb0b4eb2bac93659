"""Features from the C analyzer (tools/heist-analyze) and the training set.

heist-analyze IN.wav -o OUT.tsv writes '#' comment lines, then one row per
frame k (time k / frame_rate) with columns
    time_s  f0_hz  f0_raw_hz  confidence  loudness_db
f0_hz is the held pitch the network and the harmonic bank are driven by
(0 until the first confident frame). Frame k <-> audio sample k * hop.
One comment line, "# constants name=value ...", gives the analyser's
constants (dsp/analysis.h); they are read from there, never copied here.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from data import read_wav

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CONSTANTS = "# constants "


def find_analyzer() -> Optional[str]:
    env = os.environ.get("HEIST_ANALYZE")
    if env:
        return env
    cands = sorted(glob.glob(os.path.join(REPO, "build*", "tools", "heist-analyze")),
                   key=lambda p: -os.path.getmtime(p))
    if cands:
        return cands[0]
    return shutil.which("heist-analyze")


def analyze(wav: str, tsv: str, analyzer: Optional[str] = None) -> None:
    exe = analyzer or find_analyzer()
    if exe is None:
        raise RuntimeError("heist-analyze not found (build it: meson setup build && ninja -C build)")
    subprocess.run([exe, wav, "-o", tsv], check=True)


def has_constants(path: str) -> bool:
    """Whether a features file carries the analyser's constants (files cached
    by an older heist-analyze do not, and are analysed again)."""
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                return False
            if line.startswith(CONSTANTS):
                return True
    return False


def read_tsv(path: str) -> dict:
    """The frames as arrays, and "hold_confidence": the analyser's
    HEIST_PITCH_HOLD_CONFIDENCE (below it the pitch is held, and the frame
    does not count as confident)."""
    rows, constants = [], {}
    with open(path) as f:
        for line in f:
            if line.startswith(CONSTANTS):
                for item in line[len(CONSTANTS):].split():
                    k, v = item.split("=", 1)
                    constants[k] = float(v)
            if not line.strip() or line.startswith("#"):
                continue
            rows.append([float(v) for v in line.split()[:5]])
    if "pitch_hold_confidence" not in constants:
        raise ValueError(f"{path}: no '{CONSTANTS.strip()}' line (written by an older "
                         "heist-analyze: delete it to analyse again)")
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    return {
        "hold_confidence": constants["pitch_hold_confidence"],
        "time": a[:, 0],
        "f0": a[:, 1].astype(np.float32),
        "f0_raw": a[:, 2].astype(np.float32),
        "confidence": a[:, 3].astype(np.float32),
        "loudness": a[:, 4].astype(np.float32),
    }


@dataclass
class Clip:
    audio: np.ndarray  # float32 mono at the model rate
    f0: np.ndarray  # [K] held f0, Hz
    confidence: np.ndarray
    loudness: np.ndarray
    f0_raw: np.ndarray
    style: int
    name: str
    hold_confidence: float  # the analyser's, from the features file


def load_clip(wav: str, tsv: str, style: int, hop: int, sample_rate: int) -> Clip:
    x, sr = read_wav(wav)
    if sr != sample_rate:
        raise ValueError(f"{wav}: {sr} Hz, model rate is {sample_rate}")
    x = x.mean(axis=1).astype(np.float32)
    ft = read_tsv(tsv)
    K = len(ft["f0"])
    # frames whose centre k * hop lies inside the audio
    K = min(K, (len(x) - 1) // hop + 1)
    return Clip(x, ft["f0"][:K], ft["confidence"][:K], ft["loudness"][:K], ft["f0_raw"][:K],
                style, os.path.basename(wav), ft["hold_confidence"])


def load_dir(prefix: str, style: int, hop: int, sample_rate: int, analyzer: Optional[str] = None,
             reanalyze: bool = False) -> List[Clip]:
    """All PREFIX*.wav, analysed into PREFIX*.tsv (cached) by heist-analyze."""
    clips = []
    wavs = sorted(glob.glob(prefix + "*.wav"))
    if not wavs:
        raise FileNotFoundError(f"no WAV files match {prefix}*.wav")
    for w in wavs:
        t = w[:-4] + ".tsv"
        if (reanalyze or not os.path.exists(t) or os.path.getmtime(t) < os.path.getmtime(w)
                or not has_constants(t)):
            analyze(w, t, analyzer)
        clips.append(load_clip(w, t, style, hop, sample_rate))
    return clips


def midi(f0: np.ndarray) -> np.ndarray:
    return 69.0 + 12.0 * np.log2(np.maximum(f0, 1e-6) / 440.0)


def range_stats(clips: List[Clip]) -> List[float]:
    """pitch lo/hi/median, loudness lo/hi/median: 5/95/50 percentiles over the
    confident frames (confidence >= the analyser's hold confidence, f0_raw > 0)."""
    p, l = [], []
    for c in clips:
        m = (c.confidence >= c.hold_confidence) & (c.f0_raw > 0)
        p.append(midi(c.f0_raw[m]))
        l.append(c.loudness[m])
    pa = np.concatenate(p) if p else np.zeros(0)
    la = np.concatenate(l) if l else np.zeros(0)
    if len(pa) == 0:
        return [60.0, 72.0, 66.0, -40.0, -20.0, -30.0]
    pp = np.percentile(pa, [5, 95, 50])
    lp = np.percentile(la, [5, 95, 50])
    return [float(v) for v in (*pp, *lp)]
