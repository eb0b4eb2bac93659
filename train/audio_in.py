"""Reading user recordings for training: any libsndfile format, rate and
channel count -> mono float32 at the model rate.

* `AUDIO_EXTENSIONS`: the file names considered audio in a --data folder
  (anything else is ignored, and said so).
* `read_mono(path)`: python3-soundfile (libsndfile: WAV/W64/RF64, AIFF, FLAC,
  Ogg Vorbis/Opus, CAF, AU, MP3 where libsndfile has it ...); channels are
  averaged. Raises `AudioError` with the file name on any failure.
* `resample(x, rate_in, rate_out)`: band-limited resampling by the ratio of
  the two rates, done in the frequency domain on overlapping chunks: each
  chunk's spectrum is cut (or zero-extended) to the new length with a
  raised-cosine roll-off over the top 8 % below the lower Nyquist, so nothing
  aliases and the passband (up to 0.92 x the lower Nyquist) is flat. Chunks
  are exact multiples of the reduced ratio, so every chunk maps to a whole
  number of output samples and the result has round(n * out / in) samples.
"""
from __future__ import annotations

import math
import os
from typing import Tuple

import numpy as np

AUDIO_EXTENSIONS = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc",
                    ".au", ".snd", ".caf", ".w64", ".rf64", ".mp3", ".voc", ".sf", ".ircam"}


class AudioError(Exception):
    pass


def is_audio_name(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in AUDIO_EXTENSIONS


def read_mono(path: str) -> Tuple[np.ndarray, int]:
    """(mono float32 signal, sample rate). Raises AudioError naming the file."""
    try:
        import soundfile as sf
    except ImportError as e:  # pragma: no cover
        raise AudioError("python3-soundfile is not installed (apt-get install python3-soundfile)") from e
    try:
        x, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises RuntimeError/LibsndfileError/TypeError
        raise AudioError(f"{path}: cannot read as audio ({str(e).strip() or type(e).__name__})") from e
    if x.shape[0] == 0:
        raise AudioError(f"{path}: no audio frames")
    y = x.mean(axis=1).astype(np.float32)
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{path}: contains NaN or infinite samples")
    return y, int(rate)


def _resample_block(x: np.ndarray, n_out: int, rate_in: float, rate_out: float) -> np.ndarray:
    n_in = len(x)
    X = np.fft.rfft(x.astype(np.float64))
    nb = n_out // 2 + 1
    Y = np.zeros(nb, dtype=np.complex128)
    m = min(nb, len(X))
    Y[:m] = X[:m]
    # roll-off towards the lower Nyquist (bins relative to the input length)
    nyq_bin = min(rate_in, rate_out) / 2 * n_in / rate_in
    k = np.arange(nb, dtype=np.float64)
    lo = 0.92 * nyq_bin
    w = np.clip((k - lo) / max(1e-9, nyq_bin - lo), 0.0, 1.0)
    Y *= 0.5 * (1 + np.cos(np.pi * w))
    return np.fft.irfft(Y, n_out) * (n_out / n_in)


def resample(x: np.ndarray, rate_in: int, rate_out: int, chunk_s: float = 20.0,
             context_s: float = 0.5) -> np.ndarray:
    """Band-limited resampling of a mono signal; float32 out."""
    x = np.asarray(x, np.float32)
    if rate_in == rate_out:
        return x.copy()
    g = math.gcd(int(rate_in), int(rate_out))
    down, up = int(rate_in) // g, int(rate_out) // g
    n = len(x)
    n_out_total = int(round(n * up / down))
    blk = down * max(1, int(math.ceil(chunk_s * rate_in / down)))
    ctx = down * max(1, int(math.ceil(context_s * rate_in / down)))
    # pad so every chunk (with context) is a whole number of ratio periods
    padded = np.zeros(ctx + ((n + blk - 1) // blk) * blk + ctx, dtype=np.float32)
    padded[ctx:ctx + n] = x
    out = []
    for s in range(0, len(padded) - 2 * ctx, blk):
        seg = padded[s:s + blk + 2 * ctx]
        y = _resample_block(seg, len(seg) // down * up, rate_in, rate_out)
        c = ctx // down * up
        out.append(y[c:c + blk // down * up])
    y = np.concatenate(out) if out else np.zeros(0)
    return y[:n_out_total].astype(np.float32)


def load_for_model(path: str, rate: int) -> Tuple[np.ndarray, int]:
    """Mono at `rate`; also returns the file's own rate."""
    x, r = read_mono(path)
    return resample(x, r, rate), r
