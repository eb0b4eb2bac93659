#!/usr/bin/env python3
"""heist-render --midi: Standard MIDI Files played by Heist Synth's engine.

A format-0 file (running status, a tempo change mid-way, a pitch bend) and a
format-1 file (tempo map with three changes in track 0, notes split over two
tracks, a sysex and other meta events) are rendered at 48 and 44.1 kHz. The
expected note times are computed here from the tempo map, independently of
tools/smf.c. Checks: every note from silence starts within 1 ms of its time
(the latency is removed from the output); the steady part of every note is
at its equal-tempered pitch (heist-analyze, median within 5 cents, no frame
beyond 50 cents). Corrupt files (truncated, garbage, format 2, a data byte
without status, an overlong length) exit 1 with an error, never a crash.

Usage: render_midi.py HEIST_RENDER HEIST_ANALYZE WORKDIR
Pure Python (no numpy).
"""

import math
import os
import struct
import subprocess
import sys
from array import array

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "train"))
from smf import smf, track  # noqa: E402  (pure Python, as this test)

TPQ = 480


def tempo(us: int) -> bytes:
    return b"\xff\x51\x03" + us.to_bytes(3, "big")


def seconds(tick: int, tempo_map) -> float:
    """tempo_map: (tick, us per quarter) sorted, starting at 0."""
    sec, at, us = 0.0, 0, 500000
    for t, u in tempo_map:
        if t >= tick:
            break
        sec += (t - at) * us / 1e6 / TPQ
        at, us = t, u
    return sec + (tick - at) * us / 1e6 / TPQ


def read_wav(path: str):
    """Mono 32-bit float WAV as written by libsndfile: (rate, samples)."""
    with open(path, "rb") as f:
        d = f.read()
    pos, rate, data = 12, None, None
    while pos + 8 <= len(d):
        cid, size = d[pos:pos + 4], struct.unpack("<I", d[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            rate = struct.unpack("<I", d[pos + 12:pos + 16])[0]
        elif cid == b"data":
            data = array("f", d[pos + 8:pos + 8 + size])
        pos += 8 + size + (size & 1)
    return rate, data


def scores():
    """(name, bytes, notes): notes = (start_s, end_s, midi_pitch_incl_bend)."""
    out = []
    # Format 0: 100 bpm, then 150 bpm from tick 1920 (a note-off's); running status for
    # the note-offs (0x90 velocity 0); a bend of +1 semitone on the 4th note.
    tm = [(0, 600000), (1920, 400000)]
    ev = [(0, tempo(600000)), (0, b"\xc0\x28")]
    notes = []
    t = 0
    # gaps of 480 ticks (0.4 s or more): longer than the release, so every
    # note starts from silence
    plan = [(67, 480, 480), (69, 480, 480), (72, 480, 480), (74, 480, 720), (71, 480, 480)]
    for i, (n, gap, dur) in enumerate(plan):
        t += gap
        ev.append((t, bytes([0x90, n, 100])))
        bent = 0.0
        if i == 3:
            ev.append((t + 240, b"\xe0\x00\x60"))  # 0x3000 = 12288: +0.5 range = +1 st
            bent = 1.0
        ev.append((t + dur, bytes([n, 0])))  # running status: note-off by velocity 0
        if i == 3:
            ev.append((t + dur + 10, b"\xe0\x00\x40"))
        notes.append((t, t + dur, n, bent, t + 240 if i == 3 else None))
        t += dur
    ev.append((1920, tempo(400000)))
    ev.sort(key=lambda e: e[0])
    # running status must follow a 0x90 of the same channel: rebuild so
    # every bare note-off comes right after its note-on's status
    fixed, last = [], None
    for tick, data in ev:
        if data[0] < 0x80 and last != 0x90:
            data = bytes([0x90]) + data
        if data[0] >= 0x80:
            last = data[0] if data[0] < 0xF0 else None
        fixed.append((tick, data))
    out.append(("format0", smf(0, [track(fixed)], TPQ), tm, notes))

    # Format 1: track 0 tempo map (120, 90, 140, 70 bpm), tracks 1 and 2
    # alternate notes, a sysex and a text event in track 1.
    tm = [(0, 500000), (960, 666667), (2400, 428571), (3600, 857143)]
    t0 = [(tk, tempo(us)) for tk, us in tm]
    t0.insert(1, (0, b"\xff\x03\x04tmp0"))
    a, b = [(0, b"\xf0\x05\x7e\x7f\x09\x01\xf7")], [(0, b"\xff\x01\x03abc")]
    notes = []
    t = 120
    for i, n in enumerate([60, 64, 67, 72, 71, 69, 65, 62]):
        dur = 360
        tr = a if i % 2 == 0 else b
        tr.append((t, bytes([0x90 | (i % 2), n, 90])))
        tr.append((t + dur, bytes([0x80 | (i % 2), n, 0])))
        notes.append((t, t + dur, n, 0.0, None))
        t += dur + 480
    out.append(("format1", smf(1, [track(t0), track(a), track(b)], TPQ), tm, notes))
    return out


def check_render(render, analyze, work, name, data, tm, notes, rate) -> int:
    fails = 0
    mid = os.path.join(work, name + ".mid")
    wav = os.path.join(work, f"{name}-{rate}.wav")
    with open(mid, "wb") as f:
        f.write(data)
    subprocess.run([render, "--midi", mid, wav, "--rate", str(rate), "--quiet",
                    "--param", "style_a=violin"], check=True)
    r, x = read_wav(wav)
    assert r == rate
    # onsets: the first sample that sounds after the note's start - 2 ms
    # (each note follows a silence: the gaps are longer than the release)
    worst = 0.0
    for start, end, n, bent, bend_at in notes:
        want = seconds(start, tm) * rate
        i = int(want) - int(0.002 * rate)
        while i < len(x) and x[i] == 0.0:
            i += 1
        err_ms = (i - round(want)) / rate * 1000.0
        worst = max(worst, abs(err_ms))
        if not -0.001 <= err_ms <= 1.0:
            print(f"FAIL: {name} {rate} Hz: note {n} at {want / rate:.4f} s starts "
                  f"{err_ms:+.3f} ms off")
            fails += 1
    # pitch: heist-analyze frames inside the steady parts
    tsv = subprocess.run([analyze, wav], check=True, capture_output=True,
                         text=True).stdout
    frames = []
    for line in tsv.splitlines():
        p = line.split()
        if len(p) >= 3 and not line.startswith("#"):
            try:
                frames.append((float(p[0]), float(p[2])))
            except ValueError:
                pass
    cents = []
    for start, end, n, bent, bend_at in notes:
        segs = [(start, bend_at or end, n)]
        if bend_at:
            segs = [(start, bend_at, n), (bend_at, end, n + bent)]
        for s, e, target in segs:
            a = seconds(s, tm) + 0.08
            b = seconds(e, tm) - 0.03
            f_t = 440.0 * 2 ** ((target - 69) / 12)
            for tt, f0 in frames:
                # the analysis window (26.7 ms at 75 Hz) inside the segment
                if a + 0.014 <= tt <= b - 0.014:
                    cents.append(abs(1200 * math.log2(f0 / f_t)) if f0 > 0 else 1e9)
    cents.sort()
    med = cents[len(cents) // 2] if cents else 1e9
    gross = sum(c > 50 for c in cents)
    print(f"{name} {rate} Hz: {len(notes)} notes, onsets worst {worst:.3f} ms, "
          f"{len(cents)} steady frames, median {med:.2f} cents, {gross} beyond 50")
    if len(cents) < 20 * len(notes) or med > 5.0 or gross:
        print(f"FAIL: {name} {rate} Hz pitch")
        fails += 1
    return fails


def check_corrupt(render, work) -> int:
    good = scores()[0][1]
    bad = {
        "truncated": good[:len(good) // 2],
        "garbage": bytes(range(256)) * 4,
        "format2": good[:8] + b"\x00\x02" + good[10:],
        "no-status": smf(0, [b"MTrk" + struct.pack(">I", 4) + b"\x00\x40\x40\x00"]),
        "long-length": good[:18] + b"\x7f\xff\xff\xff" + good[22:],
        "empty": b"",
        "huge-vlq": smf(0, [b"MTrk" + struct.pack(">I", 6) + b"\xff\xff\xff\xff\xff\x90"]),
    }
    fails = 0
    for name, data in bad.items():
        mid = os.path.join(work, f"bad-{name}.mid")
        with open(mid, "wb") as f:
            f.write(data)
        p = subprocess.run([render, "--midi", mid, os.path.join(work, "bad.wav"), "--quiet"],
                           capture_output=True, text=True)
        ok = p.returncode == 1 and "error:" in p.stderr
        print(("ok" if ok else "FAIL") + f": corrupt {name}: exit {p.returncode}: "
              f"{p.stderr.strip()}")
        fails += not ok
    return fails


def main() -> int:
    render, analyze, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    fails = 0
    for name, data, tm, notes in scores():
        for rate in (48000, 44100):
            fails += check_render(render, analyze, work, name, data, tm, notes, rate)
    fails += check_corrupt(render, work)
    print("render_midi: " + ("ok" if not fails else f"{fails} failure(s)"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
