#!/usr/bin/python3
"""Training data for Heist: synthetic MIDI performances rendered by FluidSynth.

A performance is a sequence of phrases separated by rests. Each phrase is a
random walk of notes inside the instrument's range, played legato (next note
starts when the previous one stops) or detached (short gaps), with velocity
variety, CC11 expression swells, vibrato and slides through pitch bend (the
bend range is set to +-2 semitones with RPN 0 at the start).

Everything is deterministic from the seed. Usage:

    data.py midi  --seed 1 --seconds 60 --program 40 out.mid
    data.py render in.mid out.wav          (mono float32 WAV at 24 kHz)
    data.py make  --seed 1 --files 12 --seconds 60 --instrument cello OUTDIR/train
    data.py make  ... --program 71 --rate 44100 --stereo OUTDIR/x   (any GM program)
    data.py list                           (the instrument table, train/instruments.py)
"""
from __future__ import annotations

import argparse
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
from typing import List, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
MODEL_RATE = 24000
TICKS_PER_BEAT = 480
TEMPO_US = 500000  # 120 bpm: one tick = 1/960 s
TICKS_PER_SECOND = TICKS_PER_BEAT * 1e6 / TEMPO_US
BEND_RANGE = 2  # semitones, set through RPN 0


from instruments import INSTRUMENTS, Instrument, by_program, lookup  # noqa: E402,F401


# ---------------------------------------------------------------- MIDI writing

def vlq(n: int) -> bytes:
    """A MIDI variable-length quantity (delta times); also used by
    tests/dsp/pitch_fluidsynth.py."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


class Track:
    """Events at times in seconds; written as a type-0 SMF."""

    def __init__(self) -> None:
        self.events: List[Tuple[int, int, int, bytes]] = []  # tick, order, seq, data
        self._seq = 0

    def add(self, t: float, data: bytes, order: int = 1) -> None:
        tick = max(0, int(round(t * TICKS_PER_SECOND)))
        self.events.append((tick, order, self._seq, data))
        self._seq += 1

    def cc(self, t: float, ch: int, num: int, val: int, order: int = 1) -> None:
        self.add(t, bytes([0xB0 | ch, num, max(0, min(127, val))]), order)

    def bend(self, t: float, ch: int, semitones: float) -> None:
        v = int(round(8192 + semitones / BEND_RANGE * 8192))
        v = max(0, min(16383, v))
        self.add(t, bytes([0xE0 | ch, v & 0x7F, v >> 7]))

    def note_on(self, t: float, ch: int, note: int, vel: int) -> None:
        self.add(t, bytes([0x90 | ch, note, max(1, min(127, vel))]), order=2)

    def note_off(self, t: float, ch: int, note: int) -> None:
        # order 0: at equal ticks a note-off goes before the next note-on
        self.add(t, bytes([0x80 | ch, note, 64]), order=0)

    def smf(self) -> bytes:
        body = bytearray()
        body += b"\x00\xFF\x51\x03" + TEMPO_US.to_bytes(3, "big")
        last = 0
        for tick, _, _, data in sorted(self.events):
            body += vlq(tick - last) + data
            last = tick
        body += vlq(int(TICKS_PER_SECOND)) + b"\xFF\x2F\x00"  # 1 s tail
        hdr = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
        return hdr + b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


# ------------------------------------------------------------- performance

def _smooth_curve(rng: random.Random, n_points: int) -> List[float]:
    return [rng.random() for _ in range(n_points)]


def performance(seed: int, seconds: float, inst: Instrument) -> Track:
    """A random but musical-ish monophonic performance of about `seconds`."""
    rng = random.Random(seed)
    tr = Track()
    ch = 0
    tr.cc(0.0, ch, 0, 0)  # bank 0
    tr.add(0.0, bytes([0xC0 | ch, inst.program]))
    # RPN 0 (pitch bend sensitivity) = BEND_RANGE semitones, then RPN null
    for num, val in ((101, 0), (100, 0), (6, BEND_RANGE), (38, 0), (101, 127), (100, 127)):
        tr.cc(0.0, ch, num, val)
    tr.cc(0.0, ch, 7, 100)
    tr.cc(0.0, ch, 11, 100)
    tr.bend(0.0, ch, 0.0)

    ctl_dt = 0.01  # controller update interval, s
    t = 0.25
    span = inst.hi - inst.lo
    note = rng.randint(inst.lo + span // 4, inst.hi - span // 4)
    while t < seconds:
        # one phrase
        centre = rng.uniform(inst.lo + 3, inst.hi - 3)
        legato = rng.random() < inst.legato
        phrase_len = rng.uniform(2.0, inst.phrase)
        base_dur = rng.choice([0.12, 0.18, 0.25, 0.35, 0.5, 0.7, 1.0, 1.5])
        dyn_lo = rng.randint(15, 90)
        dyn_hi = rng.randint(dyn_lo + 10, 127) if dyn_lo < 117 else 127
        shape = rng.choice(["cresc", "decresc", "swell", "flat", "random"])
        vib_rate = rng.uniform(4.8, 6.5)
        vib_depth_phrase = rng.choice([0.0, 0.08, 0.15, 0.25, 0.35, 0.5]) * inst.vibrato
        p_start = t
        p_end = min(seconds, t + phrase_len)
        bend_now = 0.0
        while t < p_end:
            # next pitch: step, leap or repeat, pulled towards the phrase centre
            r = rng.random()
            if r < 0.55:
                step = rng.choice([-2, -1, 1, 2, -3, 3])
            elif r < 0.85:
                step = rng.choice([-12, -7, -5, -4, 4, 5, 7, 12, -9, 9])
            else:
                step = 0
            if abs(note + step - centre) > 10:
                step = -step
            note = max(inst.lo, min(inst.hi, note + step))
            dur = base_dur * rng.uniform(0.6, 1.6) * rng.choice([1, 1, 1, 2, 0.5])
            dur = max(0.08, min(inst.max_note, dur))
            vel = rng.randint(max(1, dyn_lo), dyn_hi)
            gap = 0.0 if (legato and rng.random() < 0.85) else rng.uniform(0.02, 0.25)
            on, off = t, t + dur

            # expression (CC11) over the note: phrase shape plus a per-note swell
            frac0 = (on - p_start) / max(1e-3, p_end - p_start)
            note_swell = rng.choice([0.0, 0.0, 0.3, -0.3, 0.6])
            n_ctl = max(1, int(dur / 0.02))
            for i in range(n_ctl + 1):
                u = i / n_ctl
                tt = on + u * dur
                f = min(1.0, frac0 + u * dur / max(1e-3, p_end - p_start))
                if shape == "cresc":
                    g = f
                elif shape == "decresc":
                    g = 1 - f
                elif shape == "swell":
                    g = math.sin(math.pi * f)
                elif shape == "flat":
                    g = 0.7
                else:
                    g = 0.5 + 0.5 * math.sin(2 * math.pi * (f * 2.3 + seed % 7))
                g += note_swell * math.sin(math.pi * u)
                g = max(0.0, min(1.0, g))
                tr.cc(tt, ch, 11, int(20 + 107 * g))

            # pitch bend: optional scoop at the start, vibrato, optional fall/slide out
            depth = vib_depth_phrase * rng.uniform(0.5, 1.3) if dur > 0.25 else 0.0
            vib_delay = rng.uniform(0.05, 0.4) * dur
            scoop = rng.random() < 0.15
            scoop_amt = rng.uniform(-BEND_RANGE, BEND_RANGE) if scoop else 0.0
            scoop_len = min(dur * 0.4, rng.uniform(0.05, 0.3))
            slide_out = rng.random() < 0.12 and dur > 0.3
            slide_amt = rng.choice([-1, 1]) * rng.uniform(0.5, BEND_RANGE)
            slide_len = min(dur * 0.4, rng.uniform(0.08, 0.4))
            # at a note start, reset bend (slightly before the note-on)
            tr.bend(max(0.0, on - 0.001), ch, scoop_amt)
            bend_now = scoop_amt
            phase = rng.random() * 2 * math.pi
            n_b = max(1, int(dur / ctl_dt))
            for i in range(1, n_b + 1):
                tt = on + i * ctl_dt
                if tt >= off:
                    break
                b = 0.0
                if scoop and tt - on < scoop_len:
                    b += scoop_amt * (1 - (tt - on) / scoop_len)
                if depth > 0 and tt - on > vib_delay:
                    ramp = min(1.0, (tt - on - vib_delay) / 0.2)
                    b += depth * ramp * math.sin(2 * math.pi * vib_rate * (tt - on) + phase)
                if slide_out and off - tt < slide_len:
                    b += slide_amt * (1 - (off - tt) / slide_len)
                b = max(-BEND_RANGE, min(BEND_RANGE, b))
                if abs(b - bend_now) > 0.004 or i == n_b:
                    tr.bend(tt, ch, b)
                    bend_now = b
            tr.note_on(on, ch, note, vel)
            tr.note_off(off, ch, note)
            t = off + gap
        # rest between phrases
        t += rng.choice([0.0, 0.2, 0.5, 0.8, 1.2, 2.0]) * rng.uniform(0.7, 1.3)
        tr.bend(t - 0.005, ch, 0.0)
    return tr


def write_midi(path: str, seed: int, seconds: float, inst: Instrument) -> None:
    with open(path, "wb") as f:
        f.write(performance(seed, seconds, inst).smf())


# --------------------------------------------------------------- WAV helpers

def read_wav(path: str) -> Tuple[np.ndarray, int]:
    """Read a PCM16/24/32 or float32/64 WAV; returns float32 [frames][channels]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    pos = 12
    fmt = None
    pcm = None
    while pos + 8 <= len(data):
        cid = data[pos:pos + 4]
        size = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, nch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, nch, rate, bits)
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise ValueError(f"{path}: missing fmt or data chunk")
    tag, nch, rate, bits = fmt
    if tag == 3 and bits == 32:
        x = np.frombuffer(pcm, "<f4").astype(np.float32)
    elif tag == 3 and bits == 64:
        x = np.frombuffer(pcm, "<f8").astype(np.float32)
    elif tag == 1 and bits == 16:
        x = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
    elif tag == 1 and bits == 32:
        x = np.frombuffer(pcm, "<i4").astype(np.float32) / 2147483648.0
    elif tag == 1 and bits == 24:
        b = np.frombuffer(pcm, np.uint8).reshape(-1, 3).astype(np.int32)
        v = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        x = v.astype(np.float32) / 8388608.0
    else:
        raise ValueError(f"{path}: unsupported WAV format tag {tag} bits {bits}")
    n = len(x) // nch
    return x[: n * nch].reshape(n, nch), rate


def write_wav(path: str, x: np.ndarray, rate: int) -> None:
    """Write mono float32 WAV (format tag 3)."""
    x = np.ascontiguousarray(x, dtype="<f4").reshape(-1)
    pcm = x.tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    fact = struct.pack("<I", len(x))
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" +
            struct.pack("<I", 4) + fact + b"data" + struct.pack("<I", len(pcm)) + pcm)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def render(mid: str, wav: str, rate: int = MODEL_RATE, soundfont: str = SOUNDFONT,
           stereo: bool = False) -> np.ndarray:
    """Render a MIDI file with FluidSynth (reverb and chorus off), mix to mono
    float32 (or keep FluidSynth's stereo when `stereo`) and write it to `wav`.
    Returns the written signal."""
    with tempfile.TemporaryDirectory() as td:
        tmp = os.path.join(td, "st.wav")
        cmd = ["fluidsynth", "-ni", "-q", "-g", "1.0", "-R", "0", "-C", "0", "-r", str(rate),
               "-T", "wav", "-O", "float", "-F", tmp, soundfont, mid]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x, r = read_wav(tmp)
    if r != rate:
        raise RuntimeError(f"fluidsynth rendered at {r} Hz, wanted {rate}")
    if stereo and x.shape[1] == 2:
        write_wav_channels(wav, x, rate)
        return x
    mono = x.mean(axis=1).astype(np.float32)
    write_wav(wav, mono, rate)
    return mono


def write_wav_channels(path: str, x: np.ndarray, rate: int) -> None:
    """Write [frames][channels] as 16-bit PCM WAV (the common recorder format)."""
    x = np.asarray(x, np.float32)
    nch = x.shape[1]
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, nch, rate, rate * 2 * nch, 2 * nch, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def make_set(outprefix: str, seed: int, files: int, seconds: float, inst: Instrument,
             rate: int = MODEL_RATE, stereo: bool = False, soundfont: str = SOUNDFONT) -> List[str]:
    """Write OUTPREFIX_NN.mid/.wav for NN < files (seeds seed*1000 + NN)."""
    paths = []
    for i in range(files):
        base = f"{outprefix}_{i:02d}"
        write_midi(base + ".mid", seed * 1000 + i, seconds, inst)
        y = render(base + ".mid", base + ".wav", rate=rate, soundfont=soundfont, stereo=stereo)
        peak = float(np.max(np.abs(y))) if len(y) else 0.0
        print(f"{base}.wav: {len(y) / rate:.1f} s, peak {peak:.3f}", file=sys.stderr)
        paths.append(base + ".wav")
    return paths


def pick_instrument(a) -> Instrument:
    if a.program is not None:
        return by_program(a.program)
    return lookup(a.instrument)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def inst_args(p) -> None:
        p.add_argument("--instrument", default="violin",
                       help="instrument name from train/instruments.py: " + ", ".join(INSTRUMENTS))
        p.add_argument("--program", type=int, default=None,
                       help="GM program 0..127 (overrides --instrument; table entry if listed)")

    m = sub.add_parser("midi")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--seconds", type=float, default=60.0)
    inst_args(m)
    m.add_argument("out")
    r = sub.add_parser("render")
    r.add_argument("--rate", type=int, default=MODEL_RATE)
    r.add_argument("--stereo", action="store_true", help="keep stereo (16-bit PCM)")
    r.add_argument("--soundfont", default=SOUNDFONT, help="SF2 to render with (default FluidR3)")
    r.add_argument("mid")
    r.add_argument("wav")
    k = sub.add_parser("make")
    k.add_argument("--seed", type=int, default=1)
    k.add_argument("--files", type=int, default=12)
    k.add_argument("--seconds", type=float, default=60.0)
    k.add_argument("--rate", type=int, default=MODEL_RATE, help="render rate (default 24000)")
    k.add_argument("--stereo", action="store_true", help="keep stereo (16-bit PCM)")
    k.add_argument("--soundfont", default=SOUNDFONT, help="SF2 to render with (default FluidR3)")
    inst_args(k)
    k.add_argument("outprefix")
    sub.add_parser("list", help="print the instrument table (markdown)")
    a = ap.parse_args()
    try:
        inst = pick_instrument(a) if a.cmd in ("midi", "make") else None
    except (KeyError, ValueError) as e:
        ap.error(str(e).strip('"'))
    if a.cmd == "midi":
        write_midi(a.out, a.seed, a.seconds, inst)
    elif a.cmd == "render":
        render(a.mid, a.wav, rate=a.rate, soundfont=a.soundfont, stereo=a.stereo)
    elif a.cmd == "list":
        from instruments import table_markdown
        print(table_markdown())
    else:
        os.makedirs(os.path.dirname(os.path.abspath(a.outprefix)), exist_ok=True)
        make_set(a.outprefix, a.seed, a.files, a.seconds, inst, rate=a.rate, stereo=a.stereo,
                 soundfont=a.soundfont)


if __name__ == "__main__":
    main()
