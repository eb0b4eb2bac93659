#!/usr/bin/env python3
"""MIDI round trip in jalv with JACK: notes from this process go to Heist Synth
(one jalv), its audio to the Heist effect (another jalv), and the effect's
MIDI out comes back to this process. Both run under a private JACK dummy
server from the installed bundle. jalv does not compensate latency, so a
note sent at frame t comes back at t + the synth's latency + the effect's.

Checks: every note comes back once, with its pitch exactly, its note-on
within 50 ms of t + both latencies (the issue's onset tolerance) and its
note-off after it; nothing else comes back but pitch bends; both jalvs quit
cleanly.
"""

import os
import subprocess
import sys
import threading
import time

import hostlib

SYNTH = "http://heist.audio/plugins/heist-synth"
EFFECT = "http://heist.audio/plugins/heist"
RATE = 48000
PERIOD = 256
# (start_s, end_s, note): detached and legato, in the violin's range
NOTES = [(0.5, 0.9, 69), (1.3, 1.7, 76), (1.7, 2.1, 72), (2.6, 3.0, 81), (3.0, 3.4, 74),
         (3.9, 4.3, 67)]
END_S = 5.0
TOLERANCE_S = 0.05


def latency_of(a, extra_args) -> int:
    """The latency heist-render reports (synth: --midi; effect: audio)."""
    rep = subprocess.run([a.render] + extra_args, capture_output=True, text=True, check=True)
    return int(rep.stderr.split("latency ")[1].split()[0])


def main() -> int:
    a = hostlib.parse_args(__doc__)
    hostlib.need("jalv", "jackd")
    try:
        import jack  # python3-jack-client
    except ImportError:
        print("SKIP: python3-jack-client missing")
        return hostlib.SKIP
    lv2_path = hostlib.install_bundle(a)
    server = f"heist-midi-test-{os.getpid()}"
    env = hostlib.host_env(lv2_path, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER="1")
    hostlib.Background(["jackd", "-n", server, "--no-realtime", "-d", "dummy", "-r",
                        str(RATE), "-p", str(PERIOD)], log=os.path.join(a.work, "jackd.log"))
    box = {}

    def connect():
        try:
            box["c"] = jack.Client("heist-midi-driver", servername=server,
                                   no_start_server=True)
            return True
        except jack.JackError:
            return False

    hostlib.wait_for("the JACK server", connect, 20)
    client = box["c"]
    jalvs = [hostlib.Background(["jalv", "-n", name, uri], env=env, stdin=subprocess.PIPE,
                                log=os.path.join(a.work, name + ".log"))
             for name, uri in (("hsynth", SYNTH), ("hfx", EFFECT))]

    def ports(prefix, **kw):
        return [p.name for p in client.get_ports(prefix, **kw)]

    hostlib.wait_for("jalv's ports", lambda: (
        len(ports("hsynth:", is_midi=True, is_input=True)) == 1 and
        len(ports("hsynth:", is_audio=True, is_output=True)) == 1 and
        len(ports("hfx:", is_audio=True, is_input=True)) == 1 and
        len(ports("hfx:", is_midi=True, is_output=True)) == 1), 30)
    m_out = client.midi_outports.register("to-synth")
    m_in = client.midi_inports.register("from-effect")
    n_total = int(END_S * RATE)
    state = {"start": False, "pos": 0, "done": threading.Event()}
    sched = []
    for s, e, n in NOTES:
        sched.append((round(s * RATE), 1, bytes([0x90, n, 100])))
        sched.append((round(e * RATE), 0, bytes([0x80, n, 0])))
    sched.sort()
    got = []

    @client.set_process_callback
    def process(frames):
        m_out.clear_buffer()
        if not state["start"]:
            for _ in m_in.incoming_midi_events():
                pass
            return
        pos = state["pos"]
        for off, data in m_in.incoming_midi_events():
            got.append((pos + off, bytes(data)))
        for at, _, data in sched:
            if pos <= at < pos + frames:
                m_out.write_midi_event(at - pos, data)
        state["pos"] = pos + frames
        if state["pos"] >= n_total:
            state["done"].set()

    freewheeling = threading.Event()
    client.set_freewheel_callback(lambda on: freewheeling.set() if on else None)
    client.activate()
    client.connect(m_out, ports("hsynth:", is_midi=True, is_input=True)[0])
    client.connect(ports("hsynth:", is_audio=True, is_output=True)[0],
                   ports("hfx:", is_audio=True, is_input=True)[0])
    client.connect(ports("hfx:", is_midi=True, is_output=True)[0], m_in)
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
    time.sleep(0.3)
    for j in jalvs:
        j.proc.stdin.close()
        try:
            code = j.proc.wait(15)
        except subprocess.TimeoutExpired:
            code = None
        print(("ok" if code == 0 else "FAIL") + f": jalv quit with status {code}")
        ok = ok and code == 0
    client.deactivate()
    client.close()

    mid = os.path.join(a.work, "one.mid")
    with open(mid, "wb") as f:
        trk = b"\x00\x90\x45\x40\x60\x80\x45\x00\x00\xff\x2f\x00"
        f.write(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk" +
                len(trk).to_bytes(4, "big") + trk)
    lat_synth = latency_of(a, ["--midi", mid, os.path.join(a.work, "one.wav"),
                               "--rate", str(RATE)])
    lat_fx = latency_of(a, [os.path.join(a.work, "one.wav"), os.path.join(a.work, "two.wav")])
    lag = lat_synth + lat_fx
    ons = [(t, d[1]) for t, d in got if d[0] & 0xF0 == 0x90 and d[2] > 0]
    offs = [(t, d[1]) for t, d in got if d[0] & 0xF0 == 0x80 or
            (d[0] & 0xF0 == 0x90 and d[2] == 0)]
    other = [d for t, d in got if d[0] & 0xF0 not in (0x80, 0x90, 0xE0)]
    print(f"{len(ons)} notes back, {len(offs)} offs, latency {lat_synth} + {lat_fx}")
    good = len(ons) == len(NOTES) and not other
    for (s, e, n), (t, p) in zip(NOTES, ons):
        err = (t - lag) / RATE - s
        match = p == n and abs(err) <= TOLERANCE_S
        off = [u for u, q in offs if q == p and u > t]
        print(("ok" if match and off else "FAIL") + f": note {n} at {s:.2f} s back as {p}, "
              f"onset {1000 * err:+.1f} ms, off {'yes' if off else 'missing'}")
        good = good and match and bool(off)
    print(("ok" if good else "FAIL") + ": MIDI -> Heist Synth -> Heist -> MIDI in jalv")
    return 0 if ok and good else 1


if __name__ == "__main__":
    sys.exit(main())
