#!/usr/bin/python3
"""Makes demo/hummed-line.flac: a synthetic sung "ooh-aah" line (glottal
pulses through vowel formants, portamento, vibrato, breath), the kind of
monophonic input Heist is made for. Deterministic; run it to regenerate.
Needs numpy and sox (for the FLAC encoding)."""
import os
import subprocess
import sys
import wave

import numpy as np

RATE = 44100


def resonator(x: np.ndarray, freq: float, bw: float) -> np.ndarray:
    """Two-pole formant resonator, unity gain at its centre."""
    r = np.exp(-np.pi * bw / RATE)
    a1, a2 = -2 * r * np.cos(2 * np.pi * freq / RATE), r * r
    g = (1 - r) * np.sqrt(1 - 2 * r * np.cos(4 * np.pi * freq / RATE) + r * r)
    y = np.zeros_like(x)
    y1 = y2 = 0.0
    for i, v in enumerate(x):
        y0 = g * v - a1 * y1 - a2 * y2
        y[i], y2, y1 = y0, y1, y0
    return y


def main() -> None:
    rng = np.random.default_rng(3)
    # (MIDI note, seconds, vowel): a short phrase with rests (note 0)
    melody = [(57, 0.6, "oo"), (60, 0.4, "oo"), (62, 0.4, "ah"), (64, 1.2, "ah"), (0, 0.35, ""),
              (64, 0.4, "ah"), (67, 0.4, "ah"), (69, 0.8, "ah"), (67, 0.4, "oo"), (64, 1.4, "oo"),
              (0, 0.4, ""), (62, 0.5, "ah"), (60, 0.5, "ah"), (59, 0.4, "oo"), (57, 1.8, "oo")]
    formants = {"oo": [(320, 80), (800, 90), (2300, 150)], "ah": [(730, 90), (1100, 110), (2450, 160)]}
    total = int(sum(d for _, d, _ in melody) * RATE) + RATE // 2
    f0 = np.zeros(total)
    env = np.zeros(total)
    vowel = np.zeros(total)  # 0 = oo, 1 = ah
    pos, last = int(0.25 * RATE), 57
    for note, dur, v in melody:
        n = int(dur * RATE)
        t = np.arange(n) / RATE
        if note:
            glide = np.exp(-t / 0.06)  # portamento from the previous note
            midi = note + (last - note) * glide
            vib = np.clip((t - 0.25) / 0.4, 0, 1) * 0.35 * np.sin(2 * np.pi * 5.3 * t)
            f0[pos:pos + n] = 440 * 2 ** ((midi + vib - 69) / 12)
            a = np.minimum(1, t / 0.05) * np.minimum(1, (dur - t) / 0.08)
            env[pos:pos + n] = a * (0.6 + 0.4 * np.sin(np.pi * t / dur))
            vowel[pos:pos + n] = 1.0 if v == "ah" else 0.0
            last = note
        else:
            f0[pos:pos + n] = 440 * 2 ** ((last - 69) / 12)
        pos += n
    # Rosenberg-like glottal pulses from the running phase.
    phase = np.cumsum(f0 / RATE) % 1.0
    open_q = 0.6
    pulse = np.where(phase < open_q * 0.66, 0.5 * (1 - np.cos(np.pi * phase / (open_q * 0.66))),
                     np.where(phase < open_q, np.cos(np.pi / 2 * (phase - open_q * 0.66) / (open_q * 0.34)), 0.0))
    source = np.diff(pulse, prepend=0.0) * env
    source += 0.004 * rng.standard_normal(total) * env  # breath
    out = np.zeros(total)
    for name, weight in (("oo", 1 - vowel), ("ah", vowel)):
        y = source.copy()
        for freq, bw in formants[name]:
            y = resonator(y, freq, bw)
        out += weight * y
    out *= 0.5 / np.max(np.abs(out))
    here = os.path.dirname(os.path.abspath(__file__))
    tmp = os.path.join(here, "hummed-line.tmp.wav")
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((out * 32767).astype("<i2").tobytes())
    subprocess.run(["sox", tmp, os.path.join(here, "hummed-line.flac")], check=True)
    os.remove(tmp)


if __name__ == "__main__":
    sys.exit(main())
