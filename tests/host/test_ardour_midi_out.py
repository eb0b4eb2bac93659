#!/usr/bin/env python3
"""The effect's MIDI out recorded onto a MIDI track in Ardour 7.3 (Debian's
`ardour`), driven headless by ardour7-lua (steps in test_ardour_midi_out.lua)
on the installed bundle.

A melody is played by Heist Synth (heist-render --midi, the synth's default
style) into a WAV; (1) a session with an audio track "voice" holding Heist
(strict I/O off, so the plugin's MIDI output leaves the track on a MIDI
port of its own) and a MIDI track "rec" fed by that port; (2) the WAV put
on "voice" by editing the session XML (test_ardour.add_region); (3) "rec"
armed, the session recording, the transport rolled over the melody in real
time on the dummy backend, stopped, saved, the recorded notes printed from
the region's model.

Checks: the recorded notes are the melody's, one for one: each pitch exact,
each note-on within 50 ms (the issue's onset tolerance) of the melody's
note-on on the timeline, so Ardour's capture compensated the latency the
plugin reports (uncompensated, they would come 1070 samples, 22 ms, late
plus the tracker's own delay); nothing else recorded; and the note-ons agree
within 8 ms with those of the same WAV through lilv (midi_out_host, which
takes the reported latency off), where an uncompensating host is 22 ms off.

Ardour (7.3 to its master of 2026) finds an LV2 plugin's MIDI output by
counting the atom output ports before it in one loop and only MIDI ones in
another (LV2Plugin::connect_and_run): with the notify port (a patch:Message
sequence) in front of midi_out, Ardour forwarded notify's buffer as the MIDI
out and dropped every note (measured: an ACE MIDI Monitor right after Heist
saw no event while the plugin wrote them). midi_out is therefore the first
atom output (port 20; plugin/ports.h).
"""

import os
import re
import struct
import subprocess
import sys

import numpy as np

import hostlib
import test_ardour

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "train"))
import smf  # noqa: E402  (the project's MIDI writer: train/smf.py)

RATE = 48000
BLOCK = 256
SESSION = "heist"
# (start_s, end_s, note): detached and legato, as test_jalv_midi.py plays.
NOTES = [(0.5, 0.9, 69), (1.3, 1.7, 76), (1.7, 2.1, 72), (2.6, 3.0, 81), (3.0, 3.4, 74),
         (3.9, 4.3, 67)]
END_S = 5.0
TOLERANCE_S = 0.05
# Ardour's recorded note-ons against the lilv host's: measured -146..+236
# samples over runs. Ardour runs the plugin on silence from its insertion on,
# so its analysis frames (250 a second, 192 samples apart) fall at another
# phase than lilv's from sample 0, and a note starts up to a hop earlier or
# later; bound two hops (8 ms), far from the 1070 samples (22 ms) of an
# uncompensating host.
COMPENSATED_S = 0.008
DONE_MARK = {"create": "step: saved", "record": "step: recorded"}


def write_smf(path: str) -> None:
    """NOTES as a format-0 SMF, 480 ticks per quarter at 120 bpm."""
    events = []
    for start, end, note in NOTES:
        events.append((round(start * 960), 1, bytes([0x90, note, 100])))
        events.append((round(end * 960), 0, bytes([0x80, note, 0])))
    events.sort()
    with open(path, "wb") as f:
        f.write(smf.smf(0, [smf.track([(tick, data) for tick, _, data in events])]))


def read_notes(path: str):
    """Note-ons (seconds from the file's start, pitch, velocity) of the SMF
    Ardour recorded: one track, its tempo (120 bpm unless a tempo event says
    otherwise, before the first note)."""
    with open(path, "rb") as f:
        data = f.read()
    _, _, ntrk, ppqn = struct.unpack(">IHHH", data[4:14])
    pos, notes, us_per_q = 14, [], 500000
    for _ in range(ntrk):
        size = struct.unpack(">I", data[pos + 4:pos + 8])[0]
        i, end, tick, status = pos + 8, pos + 8 + size, 0, 0
        while i < end:
            delta = 0
            while True:
                b = data[i]
                i += 1
                delta = (delta << 7) | (b & 0x7F)
                if b < 0x80:
                    break
            tick += delta
            if data[i] == 0xFF:
                kind, length = data[i + 1], data[i + 2]
                if kind == 0x51:
                    us_per_q = int.from_bytes(data[i + 3:i + 6], "big")
                i += 3 + length
                continue
            if data[i] in (0xF0, 0xF7):
                i += 2 + data[i + 1]
                continue
            if data[i] & 0x80:
                status = data[i]
                i += 1
            n = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
            body = data[i:i + n]
            i += n
            if status & 0xF0 == 0x90 and body[1] > 0:
                notes.append((tick * us_per_q / ppqn / 1e6, body[0], body[1]))
        pos = end
    return notes


def check(cond: bool, what: str) -> bool:
    print(("ok" if cond else "FAIL") + ": " + what)
    return bool(cond)


def main() -> int:
    a = hostlib.parse_args(__doc__)
    setup = test_ardour.ardour_env(a, export_formats=False)
    if setup is None:
        return hostlib.SKIP
    lv2_path, env = setup
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_ardour_midi_out.lua")

    def lua(args, log_name, timeout, session_dir):
        return test_ardour.run_lua(a, env, args, log_name, timeout, session_dir,
                                   script=script, done_mark=DONE_MARK)

    melody = os.path.join(a.work, "melody.mid")
    write_smf(melody)
    wav = os.path.join(a.work, "melody.wav")
    model = os.path.join(a.build_root, "plugin", "heist.lv2", "heist-default.hsm")
    subprocess.run([a.render, "--midi", melody, wav, "--rate", str(RATE), "--quiet", "--model",
                    model], check=True)
    x = hostlib.read_mono(wav)
    x = np.pad(x, (0, max(0, int(END_S * RATE) - len(x))))[:int(END_S * RATE)]
    hostlib.write_wav(wav, x, RATE)

    session_dir = os.path.join(a.work, "session")
    session_file = os.path.join(session_dir, SESSION + ".ardour")
    lua(["create", session_dir, SESSION, RATE, BLOCK, hostlib.URI], "ardour-create", 180,
        session_dir)
    audiofiles = os.path.join(session_dir, "interchange", os.path.basename(session_dir),
                              "audiofiles")
    os.replace(wav, os.path.join(audiofiles, "voice.wav"))
    test_ardour.add_region(session_file, "voice.wav", len(x))
    log = lua(["record", session_dir, SESSION, BLOCK, END_S], "ardour-record", 300, session_dir)

    regions = re.findall(r"^region: (-?\d+) (\d+) (\d+) (.+)$", log, re.M)
    if len(regions) != 1:
        print(f"FAIL: {len(regions)} regions recorded on rec, want 1")
        return 1
    position, start, _, name = regions[0]
    path = os.path.join(session_dir, "interchange", os.path.basename(session_dir), "midifiles",
                        name)
    got = [(int(position) - int(start) + round(t * RATE), note, vel)
           for t, note, vel in read_notes(path)]
    print(f"recorded notes (timeline sample, pitch, velocity): {got}")
    ok = check(len(got) == len(NOTES), f"{len(got)} notes recorded, {len(NOTES)} played")
    used = set()
    offsets = []
    for start, _, note in NOTES:
        at = start * RATE
        match = [i for i, g in enumerate(got) if i not in used and g[1] == note and
                 abs(g[0] - at) <= TOLERANCE_S * RATE]
        if match:
            used.add(match[0])
            offsets.append((got[match[0]][0] - at) / RATE * 1000)
        ok = check(bool(match), f"note {note} at {start} s: recorded "
                   f"{'%+.1f ms' % offsets[-1] if match else 'not within 50 ms'}") and ok
    if offsets:
        print(f"onset offsets: median {np.median(offsets):+.1f} ms, "
              f"max |{np.max(np.abs(offsets)):.1f}| ms")

    # Against the plugin run through lilv by midi_out_host, which places
    # each event at its output frame less the reported latency (as a
    # compensating host records it): Ardour's recording must agree within
    # COMPENSATED_S; a host that did not compensate would record every note
    # the latency (1070 samples) late.
    host = os.path.join(a.build_root, "tests", "plugin", "midi_out_host")
    wav_in = os.path.join(session_dir, "interchange", os.path.basename(session_dir),
                          "audiofiles", "voice.wav")
    rows = subprocess.run([host, wav_in], capture_output=True, text=True, check=True,
                          env=dict(os.environ, LV2_PATH=lv2_path)).stdout.split("\n")
    want = [(round(float(r.split()[0]) * RATE), int(r.split()[2])) for r in rows
            if r and int(r.split()[1]) == 0x90 and int(r.split()[3]) > 0]
    ok = check([n for _, n in want] == [g[1] for g in got],
               f"the same notes as through lilv: {[n for _, n in want]}") and ok
    if len(want) == len(got):
        d = [g[0] - w[0] for g, w in zip(got, want)]
        ok = check(max(abs(x) for x in d) <= COMPENSATED_S * RATE,
                   f"note-ons {d} samples from the lilv host's latency-compensated times "
                   f"(bound {COMPENSATED_S * RATE:g})") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
