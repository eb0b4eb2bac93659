#!/usr/bin/env python3
"""Heist Synth in jalv (Debian's console LV2 host) with JACK MIDI, under a
private JACK dummy server, on the installed bundle.

A JACK client in this process sends notes to jalv's MIDI input at chosen
frames within its periods (odd offsets) and records jalv's audio output in
the same process call. Checks:
- each note from silence sounds from its frame + the plugin's latency (jalv
  does not compensate it), sample-accurately relative to the first note: the
  recording's lag behind the cycle (JACK may hand the client jalv's output of
  an earlier cycle) is found from the first note and must be whole periods;
- nothing sounds before the first note, and all is silent after all-notes-off
  and the release;
- the steady part of each note is at its equal-tempered pitch (heist-analyze:
  median within 5 cents, no frame beyond 50);
- jalv quits cleanly.
Freewheel mode, as test_jalv.py: the MIDI goes out from the process callback.
"""

import os
import subprocess
import sys
import threading
import time

import numpy as np

import hostlib

URI = "http://heist.audio/plugins/heist-synth"
RATE = 48000
PERIOD = 256
# (time_s, bytes): notes from silence at odd frames, one legato pair, a bend
EVENTS = [
    (0.5 + 37 / RATE, bytes([0x90, 69, 100])),
    (0.9, bytes([0x80, 69, 0])),
    (1.5 + 201 / RATE, bytes([0x90, 64, 70])),
    (1.9, bytes([0x90, 67, 90])),  # legato: 64 still held
    (1.95, bytes([0x80, 64, 0])),
    (2.4, bytes([0x80, 67, 0])),
    (3.0 + 5 / RATE, bytes([0x90, 72, 120])),
    (3.2, bytes([0xE0, 0x00, 0x60])),  # +1 semitone (range 2)
    (3.5, bytes([0xB0, 123, 0])),  # all notes off
    (3.51, bytes([0xE0, 0x00, 0x40])),
]
ONSETS = [(EVENTS[0][0], 69), (EVENTS[2][0], 64), (EVENTS[6][0], 72)]
# steady parts (from, to, MIDI pitch), 80 ms after a change, 30 ms before the next
STEADY = [(0.58, 0.87, 69), (1.58, 1.87, 64), (1.98, 2.37, 67), (3.08, 3.17, 72),
          (3.28, 3.47, 73)]
END_S = 4.5


def main() -> int:
    a = hostlib.parse_args(__doc__)
    hostlib.need("jalv", "jackd")
    try:
        import jack  # python3-jack-client
    except ImportError:
        print("SKIP: python3-jack-client missing")
        return hostlib.SKIP
    lv2_path = hostlib.install_bundle(a)
    server = f"heist-synth-test-{os.getpid()}"
    env = hostlib.host_env(lv2_path, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER="1")
    hostlib.Background(["jackd", "-n", server, "--no-realtime", "-d", "dummy", "-r",
                        str(RATE), "-p", str(PERIOD)], log=os.path.join(a.work, "jackd.log"))
    box = {}

    def connect():
        try:
            box["c"] = jack.Client("heist-synth-driver", servername=server,
                                   no_start_server=True)
            return True
        except jack.JackError:
            return False

    hostlib.wait_for("the JACK server", connect, 20)
    client = box["c"]
    jalv = hostlib.Background(["jalv", "-n", "hsynth", URI], env=env, stdin=subprocess.PIPE,
                              log=os.path.join(a.work, "jalv.log"))

    def ports():
        return (client.get_ports("hsynth:", is_midi=True, is_input=True),
                client.get_ports("hsynth:", is_audio=True, is_output=True))

    hostlib.wait_for("jalv's ports", lambda: all(len(p) == 1 for p in ports()), 30)
    midi_port, audio_port = (p[0].name for p in ports())
    print(f"jalv ports: {midi_port} {audio_port}")

    m_out = client.midi_outports.register("midi")
    a_in = client.inports.register("in")
    n_total = int(END_S * RATE)
    state = {"start": None, "pos": 0, "done": threading.Event()}
    rec = np.zeros(n_total + 4 * PERIOD, np.float32)
    frames_of = [(round(t * RATE), d) for t, d in EVENTS]

    @client.set_process_callback
    def process(frames):
        m_out.clear_buffer()
        if state["start"] is None:
            return
        pos = state["pos"]
        if pos < len(rec) - frames:
            rec[pos:pos + frames] = a_in.get_array()
        for at, data in frames_of:
            if pos <= at < pos + frames:
                m_out.write_midi_event(at - pos, data)
        state["pos"] = pos + frames
        if state["pos"] >= n_total:
            state["done"].set()

    freewheeling = threading.Event()
    client.set_freewheel_callback(lambda on: freewheeling.set() if on else None)
    client.activate()
    client.connect(m_out, midi_port)
    client.connect(audio_port, a_in)
    # Freewheel (as test_jalv.py): no missed cycles when the machine is busy.
    time.sleep(1.0)
    client.set_freewheel(True)
    if not freewheeling.wait(10):
        print("FAIL: JACK did not enter freewheel mode")
        return 1
    state["start"] = True
    ok = state["done"].wait(END_S + 20)
    print(("ok" if ok else "FAIL") + ": the score played")
    client.set_freewheel(False)
    time.sleep(0.5)
    jalv.proc.stdin.close()
    try:
        code = jalv.proc.wait(15)
    except subprocess.TimeoutExpired:
        code = None
    print(("ok" if code == 0 else "FAIL") + f": jalv quit with status {code}")
    ok = ok and code == 0
    client.deactivate()
    client.close()

    # The latency as heist-render reports it for the synth at this rate.
    mid = os.path.join(a.work, "one.mid")
    with open(mid, "wb") as f:  # one note: only the report is wanted
        trk = b"\x00\x90\x45\x40\x60\x80\x45\x00\x00\xff\x2f\x00"
        f.write(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk" +
                len(trk).to_bytes(4, "big") + trk)
    rep = subprocess.run([a.render, "--midi", mid, os.path.join(a.work, "one.wav"),
                          "--rate", str(RATE)], capture_output=True, text=True, check=True)
    latency = int(rep.stderr.split("latency ")[1].split()[0])

    nz = np.flatnonzero(rec)
    if len(nz) == 0:
        print("FAIL: jalv played nothing")
        return 1
    first_on = round(ONSETS[0][0] * RATE)
    lag = int(nz[0]) - (first_on + latency)
    lag_ok = lag >= 0 and lag % PERIOD <= 1 and lag <= 3 * PERIOD
    print(("ok" if lag_ok else "FAIL") + f": first sound at {nz[0]}, note at {first_on} + "
          f"latency {latency}: recording lag {lag} (whole periods, +1 for the ramp's zero)")
    ok = ok and lag_ok
    lag -= lag % PERIOD
    for t, note in ONSETS:
        at = round(t * RATE) + latency + lag
        before = rec[at - 2 * PERIOD:at]
        after = np.flatnonzero(rec[at:at + RATE // 10])
        d = int(after[0]) if len(after) else -1
        good = not np.any(before) and 0 <= d <= RATE // 1000  # within 1 ms
        print(("ok" if good else "FAIL") + f": note {note} sounds {d} samples after its "
              f"frame + latency, silent before")
        ok = ok and good
    end = round(3.5 * RATE) + latency + lag + RATE // 2
    silent = not np.any(rec[end:n_total - PERIOD])
    print(("ok" if silent else "FAIL") + ": silent after all-notes-off and the release")
    ok = ok and silent

    wav = os.path.join(a.work, "jalv-synth.wav")
    hostlib.write_wav(wav, rec[lag:lag + n_total], RATE)
    analyze = os.path.join(a.build_root, "tools", "heist-analyze")
    rows = subprocess.run([analyze, wav], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    frames = [(float(r.split()[0]), float(r.split()[2])) for r in rows
              if r and not r.startswith("#")]
    lat_s = latency / RATE
    cents = []
    for t0, t1, note in STEADY:
        f = 440.0 * 2 ** ((note - 69) / 12)
        for t, f0 in frames:
            if t0 + lat_s + 0.014 <= t <= t1 + lat_s - 0.014:
                cents.append(abs(1200 * np.log2(f0 / f)) if f0 > 0 else 1e9)
    cents = np.array(cents)
    med = float(np.median(cents)) if len(cents) else 1e9
    gross = int(np.sum(cents > 50))
    good = len(cents) > 100 and med <= 5.0 and gross == 0
    print(("ok" if good else "FAIL") + f": pitch of {len(cents)} steady frames: median "
          f"{med:.2f} cents, {gross} beyond 50")
    ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
