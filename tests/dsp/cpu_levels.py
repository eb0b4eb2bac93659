#!/usr/bin/env python3
"""Renders at every instruction-set level agree (dsp/cpu.h).

Renders one test signal with heist-render unset (the best level this
processor has) and with HEIST_CPU=avx2 and =generic, and checks that each
capped render is within MAX_ABS_DIFF of the uncapped one. The kernels differ
only in rounding (FMA contraction, vector widths), so the renders differ by
a few 1e-5 at most; a wrong kernel differs by far more. A level the
processor lacks renders as the next lower one, which is also compared.

Usage: cpu_levels.py HEIST_RENDER WORKDIR
Pure Python (no numpy), so any python3 runs it.
"""

import math
import os
import random
import struct
import subprocess
import sys
from array import array

RATE = 44100
SECONDS = 3.0
MAX_ABS_DIFF = 1e-3
LEVELS = ["avx2", "generic"]


def test_signal(n: int) -> array:
    """A sawtooth gliding 180..360 Hz with vibrato, a breathy noise patch and
    silence: every kernel (analysis, network, harmonic bank, noise) runs."""
    rng = random.Random(1)
    x = array("f", bytes(4 * n))
    phase = 0.0
    for i in range(n):
        t = i / RATE
        f = 180.0 * 2.0 ** (t / SECONDS) * 2.0 ** (0.3 * math.sin(2 * math.pi * 5.5 * t) / 12)
        v = 0.4 * (2.0 * phase - 1.0) + 0.02 * rng.uniform(-1.0, 1.0)
        if 1.9 < t < 2.2:
            v = 0.1 * rng.uniform(-1.0, 1.0)
        elif t >= 2.7:
            v = 0.0
        x[i] = v
        phase = (phase + f / RATE) % 1.0
    return x


def write_wav(path: str, x: array) -> None:
    """Mono 32-bit float WAV."""
    if sys.byteorder != "little":
        x = array("f", x)
        x.byteswap()
    data = x.tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, RATE, 4 * RATE, 4, 32)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(data)) + data)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_float_wav(path: str) -> array:
    """The samples of heist-render's output (mono 32-bit float)."""
    with open(path, "rb") as f:
        raw = f.read()
    pos = 12
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        if cid == b"data":
            a = array("f", raw[pos + 8:pos + 8 + size])
            if sys.byteorder != "little":
                a.byteswap()
            return a
        pos += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def render(exe: str, work: str, level: str) -> array:
    env = dict(os.environ)
    env.pop("HEIST_CPU", None)
    if level:
        env["HEIST_CPU"] = level
    out = os.path.join(work, f"out-{level or 'best'}.wav")
    subprocess.run([exe, os.path.join(work, "in.wav"), out, "--quiet"], env=env, check=True)
    return read_float_wav(out)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    write_wav(os.path.join(work, "in.wav"), test_signal(int(SECONDS * RATE)))
    best = render(exe, work, "")
    peak = max(abs(v) for v in best)
    print(f"best level: {len(best)} samples, peak {peak:.3g}")
    ok = peak > 1e-2 and all(math.isfinite(v) for v in best)
    if not ok:
        print("FAIL: the uncapped render is silent or not finite")
    for level in LEVELS:
        y = render(exe, work, level)
        if len(y) != len(best):
            print(f"FAIL: HEIST_CPU={level}: {len(y)} samples, not {len(best)}")
            ok = False
            continue
        diff = max(abs(a - b) for a, b in zip(y, best))
        print(f"HEIST_CPU={level}: max |diff| to the best level {diff:.3g} "
              f"(limit {MAX_ABS_DIFF:g})")
        if not diff <= MAX_ABS_DIFF:
            print(f"FAIL: HEIST_CPU={level} differs by {diff:.3g}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
