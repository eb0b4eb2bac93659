#!/usr/bin/env python3
"""Ardour 7.3 (Debian's `ardour`), driven headless by its Lua session tool
ardour7-lua (no display), on the installed bundle: a new session on the
dummy backend, a WAV on a mono track, Heist inserted by URI, an automation
curve on pitch_shift, the session exported; the export must equal
heist-render --automation with the same points. The Ardour steps are in
test_ardour.lua; this script drives them and edits the session XML where
the Lua API cannot (HOSTS.md, "Ardour 7.3 headless").

Steps: (1) create the session (256-sample cycles, 48 kHz) with a mono track
"voice" wired to the stereo master by hand; (2) put the WAV on it by
editing the session XML (a Source in interchange/, a whole-file region and
a playlist region, positions in superclock ticks, region fades off); (3)
export the master as it is (float WAV, no dither/normalization through a
private ARDOUR_EXPORT_FORMATS_PATH), insert Heist by URI, write the points
with ARDOUR.LuaAPI.plugin_automation (parameter index found by LV2 port:
it counts all control ports, outputs too), state Play, save; (4) move the
saved list from BeatTime to AudioTime in the XML (see to_audio_time: 7.3
keeps plugin automation on beat ticks, 12.5 samples here, and evaluates it
there); (5) reload and export.

What is compared:
  - the export without the plugin against the WAV times the pan law:
    Ardour's mono-to-stereo panner at the centre gives exactly -3 dB
    (0.70794578, not 1/sqrt 2) to each side; measured bit-exact;
  - the export with Heist (left channel; right == left) against
    heist-render on the same WAV and points times that gain, with the block
    size of Ardour's cycle. Ardour runs the plugin on silence from its
    insertion on and does not reset it for an export, so the samples it had
    taken before the export (N, whole cycles) are found from the export's
    silent lead, as test_jalv.py does; the points are not part of that fit.
    Ardour compensates the plugin latency in the export (output aligned with
    the timeline) and evaluates plugin automation at the time of the output
    (the transport position): heist-render does the same since this test
    (tools/automation.h);
  - that the automation mattered: heist-render without it differs a lot.

Tolerance 1e-5 (-100 dBFS): same engine code and FP mode (heist-render
flushes denormals like run()), same cycle boundaries, same split points
and the same float curve values, the pan gain applied by the same float
multiply. Measured: bit-identical. What a real mismatch gives (measured):
automation taken at input time instead of output time (the renderer before
this test) 0.17; values at Ardour's beat ticks (list left in BeatTime) 3e-3
on a ramp and 0.1 after the step; a wrong N or block size, full scale.
"""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import soundfile as sf

import hostlib

RATE = 48000
BLOCK = 256  # the dummy backend's period: Ardour's (and heist-render's) cycle
LEAD_S = 0.5  # silence before the voice in the WAV
TAIL_S = 1.0  # silence after it
SESSION = "heist"
# Ardour's export format (float WAV, no dither, no normalization) and the
# preset that selects it, found through ARDOUR_EXPORT_FORMATS_PATH.
FORMAT_ID = "3f8a2c1e-6b7d-4e59-9a10-5c2d8e7f4b21"
PRESET_ID = "8d0c6b52-2f4e-4a7b-b3c9-1e6f0a9d7c35"
# Automation of pitch_shift, (second, semitones): flat, a rising ramp, a
# falling one, a jump between two close points, flat to the end. Every
# point is on a sample (seconds * RATE is an integer), where Ardour's
# Lua API puts it (timepos_t of a sample position).
POINTS = [(0.0, 0.0), (1.0, 0.0), (1.75, 7.0), (2.5, -5.0), (2.9, -5.0), (2.9125, 3.0),
          (3.2, 3.0)]
PARAM = "pitch_shift"
# The input gate is held off by a flat automation list (Ardour's Lua API sets
# a plugin's controls that way): with it on, the silent lead comes out exactly
# silent whatever the plugin had run, and N (see find_start) could not be
# found from it. heist-render gets the same value as a --param.
GATE_PARAM, GATE_OFF = "input_gate", -90.0
GATE_POINTS = [(0.0, GATE_OFF), (POINTS[-1][0], GATE_OFF)]
# Ardour's panner for a mono track into a stereo bus: -3 dB to each side at
# the centre (measured: exactly dB_to_coefficient(-3), not 1/sqrt(2)).
PAN_GAIN = np.float32(10.0 ** (-3.0 / 20.0))
DRY_TOLERANCE = 1e-6
TOLERANCE = 1e-5
SILENCE_MATCH = 1e-6  # exact, but for the pan gain's rounding
MAX_RUN_S = 60  # the plugin runs a few seconds before the export; ample
MAX_CANDIDATES = 4

FORMAT_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<ExportFormatSpecification name="Heist test float" id="{FORMAT_ID}" with-cue="false" with-toc="false" with-mp4chaps="false" command="" analyse="false" soundcloud-upload="false">
  <Encoding id="F_WAV" type="T_Sndfile" extension="wav" name="WAV" has-sample-format="true" channel-limit="256"/>
  <SampleRate rate="{RATE}"/>
  <SRCQuality quality="SRC_SincBest"/>
  <EncodingOptions>
    <Option name="sample-format" value="SF_Float"/>
    <Option name="dithering" value="D_None"/>
    <Option name="tag-metadata" value="false"/>
    <Option name="tag-support" value="false"/>
    <Option name="broadcast-info" value="false"/>
  </EncodingOptions>
  <Processing>
    <Normalize enabled="false" loudness="false" use-tp-limiter="false" dbfs="0" lufs="-23" dbtp="-1"/>
    <Silence>
      <Start><Trim enabled="false"/><Add enabled="false"><Duration format="Timecode" hours="0" minutes="0" seconds="0" frames="0"/></Add></Start>
      <End><Trim enabled="false"/><Add enabled="false"><Duration format="Timecode" hours="0" minutes="0" seconds="0" frames="0"/></Add></End>
    </Silence>
  </Processing>
</ExportFormatSpecification>
"""

PRESET_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<ExportPreset id="{PRESET_ID}" name="Heist test float">
  <ExportFormat id="{FORMAT_ID}"/>
  <ExportFilename>
    <Folder relative="false" path=""/>
    <Field name="label" enabled="false"/>
    <Field name="session" enabled="false"/>
    <Field name="snapshot" enabled="false"/>
    <Field name="timespan" enabled="true"/>
    <Field name="revision" enabled="false"/>
    <Field name="time" enabled="false" value="T_None"/>
    <Field name="date" enabled="false" value="D_None"/>
  </ExportFilename>
</ExportPreset>
"""


# The last thing each mode of test_ardour.lua prints once its work is done
# (session saved, export file closed).
DONE_MARK = {"create": "step: saved", "plugin": "step: saved", "export": "step: exported"}
ATTEMPTS = 4


def run_lua(a, env, args, log_name, timeout, session_dir, out_dir=None, script=None,
            done_mark=None):
    """ardour7-lua on test_ardour.lua, its output in a log printed on failure.

    Ardour 7.3's ardour7-lua dies at times of heap corruption ("double free
    or corruption", "corrupted size vs. prev_size", SIGSEGV) around the end
    of an export or in the session teardown: in 2 to 5 runs of 10 here,
    also on a session that never held Heist (valgrind shows no error in
    heist.so). So: a run killed by a signal after its work was done (the
    mode's last step printed) counts, with a note; everything it made is
    checked afterwards, sample for sample. A run killed before that is
    retried on the session as it was, up to ATTEMPTS times. Any other
    failure (an error in a step, a timeout) fails at once. script and
    done_mark: another step file (test_ardour_synth.py) and its modes' last
    steps."""
    script = script or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "test_ardour.lua")
    done_mark = done_mark or DONE_MARK
    # The steps the scripts share, loaded by each with dofile (ardour7-lua
    # tells a script no path of its own).
    env = dict(env, HEIST_ARDOUR_COMMON=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "ardour_common.lua"))
    cmd = ["ardour7-lua", script] + [str(x) for x in args]
    print(" ".join(cmd))
    backup = session_dir + ".before-" + args[0]
    if os.path.isdir(session_dir):
        shutil.copytree(session_dir, backup)
    for attempt in range(1, ATTEMPTS + 1):
        if out_dir:
            shutil.rmtree(out_dir, ignore_errors=True)
        log = os.path.join(a.work, f"{log_name}-{attempt}.log")
        proc = hostlib.Background(cmd, env=env, log=log)
        try:
            code = proc.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        proc.stop()
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        steps = [ln for ln in text.splitlines() if ln.startswith(("step:", "FAIL", "Error"))]
        print("\n".join("  " + ln for ln in steps))
        if code == 0 and "step: done" in text:
            return text
        if code is not None and code < 0 and done_mark[args[0]] in text:
            print(f"note: ardour7-lua died of signal {-code} after its work (Ardour's "
                  "teardown; see run_lua)")
            return text
        if code is None or code >= 0 or attempt == ATTEMPTS:
            print(text)
            raise SystemExit(f"FAIL: ardour7-lua {args[0]} ended with status {code} "
                             "(log above)")
        print(f"note: ardour7-lua died of signal {-code} before its work was done; "
              "again on the session as it was")
        if os.path.isdir(backup):
            shutil.rmtree(session_dir)
            shutil.copytree(backup, session_dir)
        elif os.path.isdir(session_dir):
            shutil.rmtree(session_dir)
    raise AssertionError("unreachable")


def add_source_region(root, track: str, source: dict, region_attrs: dict) -> None:
    """[main] A Source (attributes `source`, its name the file's) in the
    session XML root, a whole-file region of it in <Regions> and a region in
    the playlist of `track`, both with region_attrs (position, length, type):
    what add_region and test_ardour_synth.add_midi_region share."""
    next_id = int(root.get("id-counter"))
    src_id, whole_id, reg_id = next_id, next_id + 1, next_id + 2
    root.set("id-counter", str(next_id + 3))
    ET.SubElement(root.find("Sources"), "Source", dict(source, id=str(src_id)))

    def region(parent, rid, whole):
        ET.SubElement(parent, "Region", dict({
            "name": os.path.splitext(source["name"])[0], "muted": "0", "opaque": "1",
            "locked": "0", "video-locked": "0", "automatic": "0",
            "whole-file": "1" if whole else "0", "import": "0", "external": "0",
            "sync-marked": "0", "left-of-split": "0", "right-of-split": "0",
            "hidden": "0", "position-locked": "0", "valid-transients": "0",
            "id": str(rid), "first-edit": "nothing", "source-0": str(src_id),
            "master-source-0": str(src_id)}, **region_attrs))

    region(root.find("Regions"), whole_id, True)
    playlist = [p for p in root.find("Playlists") if p.get("name") == track]
    if len(playlist) != 1:
        raise SystemExit(f"FAIL: no playlist for the track {track} in the new session")
    region(playlist[0], reg_id, False)


def add_region(session_file: str, wav_name: str, frames: int) -> None:
    """Put the WAV (already in the session's audiofiles folder) on the track
    "voice" at position 0, as Ardour's import would: a Source, a whole-file
    region in <Regions>, and a region in the track's playlist. Positions and
    lengths are Ardour 7 timeline values: "a" + superclock ticks (the
    session's TempoMap says how many per second: 282240000), a length
    carrying its position after '@'. Region fades off, so the region plays
    the file's samples unchanged."""
    tree = ET.parse(session_file)
    root = tree.getroot()
    per_s = int(root.find("TempoMap").get("superclocks-per-second"))
    if per_s % RATE:
        raise SystemExit(f"FAIL: {per_s} superclocks per second is not a multiple of {RATE}")
    length = f"a{frames * (per_s // RATE)}@a0"
    add_source_region(root, "voice", {
        "name": wav_name, "type": "audio", "flags": "", "captured-for": "", "take-id": "",
        "channel": "0", "origin": "", "gain": "1"}, {
        "start": "a0", "length": length, "sync-position": "a0", "stretch": "1",
        "shift": "1", "layering-index": "0", "envelope-active": "0",
        "default-fade-in": "0", "default-fade-out": "0", "fade-in-active": "0",
        "fade-out-active": "0", "scale-amplitude": "1", "type": "audio", "channels": "1"})
    tree.write(session_file, encoding="UTF-8", xml_declaration=True)


def port_indices(bundle: str) -> dict:
    """lv2:symbol -> lv2:index, from the installed plugin TTL."""
    with open(os.path.join(bundle, "heist.ttl"), encoding="utf-8") as f:
        text = f.read()
    return {s: int(i) for i, s in re.findall(r'lv2:index\s+(\d+)\s*;\s*lv2:symbol\s+"(\w+)"',
                                             text)}


def to_audio_time(session_file: str, port: int, points) -> None:
    """Ardour 7.3 keeps a plugin's automation list in BeatTime (music time):
    the points the Lua step wrote at sample positions are stored on ticks
    (1920 a beat: 12.5 samples at the new session's 120 bpm and 48 kHz), and
    the list is evaluated at tick times, so a ramp plays values up to a tick
    late or early (measured: 3e-3 off heist-render in a ramp). Check that
    the saved list holds our points (values exact, times within a tick), then
    store it in AudioTime at the exact sample positions, as Ardour itself
    writes audio-time lists ("a" + superclock ticks)."""
    tree = ET.parse(session_file)
    root = tree.getroot()
    tempo_map = root.find("TempoMap")
    per_s = int(tempo_map.get("superclocks-per-second"))
    tempos = tempo_map.find("Tempos").findall("Tempo")
    if len(tempos) != 1:
        raise SystemExit("FAIL: the new session's tempo map has more than one tempo")
    bpm = float(tempos[0].get("npm")) * 4.0 / float(tempos[0].get("note-type"))
    ticks_per_s = 1920.0 * bpm / 60.0  # Temporal::ticks_per_beat = 1920
    lists = [al for al in root.iter("AutomationList")
             if al.get("automation-id") == f"parameter-{port}"]
    if len(lists) != 1:
        raise SystemExit(f"FAIL: {len(lists)} automation lists for port {port} in the session")
    al = lists[0]
    events = al.find("events")
    saved = [ln.split() for ln in (events.text or "").strip().splitlines()]
    print(f"saved automation of port {port}: {al.get('time-domain')}, {al.get('state')}, "
          f"{len(saved)} points")
    ok = al.get("state") == "Play" and len(saved) == len(points)
    for (when, value), (t, v) in zip(saved, points):
        if when[0] == "b":
            err_s = abs(int(when[1:]) / ticks_per_s - t)
            ok = ok and err_s <= 1.0 / ticks_per_s
        elif when[0] == "a":
            ok = ok and int(when[1:]) == round(t * per_s)
        ok = ok and float(value) == v
    if not ok:
        raise SystemExit(f"FAIL: the session's automation {saved} is not the points {points}")
    al.set("time-domain", "AudioTime")
    events.text = "".join(f"a{round(t * RATE) * (per_s // RATE)} {v!r}\n" for t, v in points)
    tree.write(session_file, encoding="UTF-8", xml_declaration=True)


def find_start(export_lead: np.ndarray, silence_out: np.ndarray, lo: int, hi: int,
               latency: int) -> list:
    """Where the plugin stood when the export began. Ardour runs the plugin
    from its insertion on, in real time on silence while the transport is
    stopped, and does not reset it for the export; its output depends on how
    many samples it has run through (frame clock phase, noise generator).
    Found like test_jalv.py does: the export's [lo, hi) (where the plugin
    has seen only silence) against heist-render on silence started N samples
    earlier. N is the input the plugin had taken before the export's first
    sample; the plugin runs whole cycles, and the export's first sample
    leaves it at a cycle start (Ardour's cycles follow the transport
    position, the time of the output), so N + latency is a whole number of
    cycles. Returns every N that matches, best first."""
    target = export_lead[lo:hi]
    found = []
    for n in range((-latency) % BLOCK, len(silence_out) - hi + 1, BLOCK):
        d = float(np.max(np.abs(silence_out[n + lo:n + hi] - target)))
        if d <= SILENCE_MATCH:
            found.append((d, n))
    found.sort()
    return [n for _, n in found]


def ardour_env(a, export_formats: bool = True):
    """[main] What every Ardour test does first (test_ardour_synth.py,
    test_ardour_midi_out.py share it): the bundle installed, a private
    configuration (the backend choice, recent sessions) and, with
    export_formats, the float WAV export format: nothing read from or written
    to the user's. Returns (lv2_path, env), or None where the test skips."""
    hostlib.need("ardour7-lua")
    if os.environ.get("HEIST_HOST_PRELOAD"):
        # An instrumented bundle needs the ASan runtime in the host, and
        # ardour7-lua with it preloaded hangs at start, silent (measured:
        # no output in 180 s). The bundle's memory safety in hosts is what
        # the other host tests check under ASan.
        print("SKIP: Ardour does not start with the ASan runtime preloaded")
        return None
    lv2_path = hostlib.install_bundle(a)
    home = os.path.join(a.work, "home")
    os.makedirs(os.path.join(home, "config"))
    extra = {}
    if export_formats:
        formats = os.path.join(a.work, "export-formats")
        os.makedirs(formats)
        with open(os.path.join(formats, "heist-test-float.format"), "w", encoding="utf-8") as f:
            f.write(FORMAT_XML)
        with open(os.path.join(formats, "heist-test-float.preset"), "w", encoding="utf-8") as f:
            f.write(PRESET_XML)
        extra["ARDOUR_EXPORT_FORMATS_PATH"] = formats
    env = hostlib.host_env(lv2_path, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
                           **extra)
    env.pop("DISPLAY", None)  # headless: it must not need one
    env.pop("WAYLAND_DISPLAY", None)
    return lv2_path, env


def main() -> int:
    a = hostlib.parse_args(__doc__)
    setup = ardour_env(a)
    if setup is None:
        return hostlib.SKIP
    lv2_path, env = setup
    bundle = os.path.join(lv2_path, "heist.lv2")

    x = hostlib.sung_line(RATE, 3.0)
    n_lead = int(LEAD_S * RATE)
    signal = np.concatenate([np.zeros(n_lead, np.float32), x,
                             np.zeros(int(TAIL_S * RATE), np.float32)])
    wav_in = os.path.join(a.work, "in.wav")
    hostlib.write_wav(wav_in, signal, RATE)
    span = [0, len(signal)]

    session_dir = os.path.join(a.work, "session")
    session_file = os.path.join(session_dir, SESSION + ".ardour")
    run_lua(a, env, ["create", session_dir, SESSION, RATE, BLOCK], "ardour-create", 180,
            session_dir)
    # interchange/<session folder name>/audiofiles: where Ardour keeps the
    # audio it imported (copied) into the session.
    audiofiles = os.path.join(session_dir, "interchange", os.path.basename(session_dir),
                              "audiofiles")
    shutil.copy(wav_in, os.path.join(audiofiles, "voice.wav"))
    add_region(session_file, "voice.wav", len(signal))

    port = port_indices(bundle)[PARAM]
    gate_port = port_indices(bundle)[GATE_PARAM]
    points_file = os.path.join(a.work, "points.txt")
    with open(points_file, "w", encoding="utf-8") as f:
        for p, points in ((port, POINTS), (gate_port, GATE_POINTS)):
            for t, v in points:
                if round(t * RATE) != t * RATE:
                    raise SystemExit("FAIL: test points must sit on samples")
                f.write(f"{round(t * RATE)} {p} {v!r}\n")
    dry_dir = os.path.join(a.work, "export-dry")
    run_lua(a, env, ["plugin", session_dir, SESSION, BLOCK, hostlib.URI, points_file, dry_dir]
            + span + [PRESET_ID], "ardour-plugin", 300, session_dir, dry_dir)
    to_audio_time(session_file, port, POINTS)
    to_audio_time(session_file, gate_port, GATE_POINTS)
    out_dir = os.path.join(a.work, "export")
    log = run_lua(a, env, ["export", session_dir, SESSION, BLOCK, out_dir] + span + [PRESET_ID],
                  "ardour-export", 300, session_dir, out_dir)
    latency = int(re.search(r"latency (\d+) samples", log).group(1))

    # 1. The track alone: the region's samples through the pan law, aligned.
    ok = True
    dry = read_stereo(os.path.join(dry_dir, "heist.wav"))
    ok = check(dry is not None and dry.shape == (len(signal), 2),
               f"dry export: {None if dry is None else dry.shape} samples x channels, "
               f"expected {(len(signal), 2)}") and ok
    if not ok:
        return 1
    ok = hostlib.compare("dry export, left", dry[:, 0], PAN_GAIN * signal, DRY_TOLERANCE,
                         "the region through the -3 dB pan law, float") and ok
    ok = hostlib.compare("dry export, right", dry[:, 1], PAN_GAIN * signal, DRY_TOLERANCE,
                         "the region through the -3 dB pan law, float") and ok

    # 2. Heist with automation.
    wet = read_stereo(os.path.join(out_dir, "heist.wav"))
    ok = check(wet is not None and wet.shape == (len(signal), 2),
               f"export: {None if wet is None else wet.shape} samples x channels") and ok
    if not ok:
        return 1
    ok = check(np.array_equal(wet[:, 0], wet[:, 1]), "export: left == right (centre pan)") and ok
    got = wet[:, 0]

    # Where the plugin stood at the export's start (see find_start): the
    # lead, less the plugin's lookahead, has seen silence only.
    max_n = MAX_RUN_S * RATE
    silence_wav = os.path.join(a.work, "silence.wav")
    hostlib.write_wav(silence_wav, np.zeros(max_n + n_lead, np.float32), RATE)
    quiet = PAN_GAIN * hostlib.render(a, silence_wav, os.path.join(a.work, "silence-out.wav"),
                                      {GATE_PARAM: GATE_OFF}, ["--block", str(BLOCK)])
    lo, hi = n_lead // 4, n_lead - 2 * latency
    starts = find_start(got, quiet, lo, hi, latency)
    print(f"the plugin had run {starts[:MAX_CANDIDATES]} samples when the export began "
          f"(silence [{lo}, {hi}) matched to {SILENCE_MATCH:g})")
    if not starts:
        print("FAIL: the export's silent lead matches heist-render on silence at no start")
        return 1

    # heist-render on N samples of silence + the WAV, the points moved by N.
    # Compared: the whole export, the automated part included, unfitted.
    best = None
    for n in starts[:MAX_CANDIDATES]:
        full_wav = os.path.join(a.work, f"full-{n}.wav")
        hostlib.write_wav(full_wav, np.concatenate([np.zeros(n, np.float32), signal]), RATE)
        auto = os.path.join(a.work, "automation.txt")
        with open(auto, "w", encoding="utf-8") as f:
            for t, v in POINTS:
                f.write(f"{(round(t * RATE) + n) / RATE!r} {PARAM} {v!r}\n")
        want = PAN_GAIN * hostlib.render(a, full_wav, os.path.join(a.work, "full-out.wav"),
                                         {GATE_PARAM: GATE_OFF},
                                         ["--block", str(BLOCK), "--automation", auto])[n:]
        d = float(np.max(np.abs(got - want)))
        if best is None or d < best[0]:
            best = (d, n, want, full_wav)
    _, n, want, full_wav = best
    print(f"heist-render from {n} samples of silence on")
    ok = hostlib.compare(f"Ardour export with {PARAM} automation", got, want,
                         TOLERANCE, "same engine, blocks and automation values; see header") and ok

    # The automation did play: without it heist-render differs a lot where
    # the curve leaves 0 (so the comparison above cannot pass by ignoring it).
    flat = PAN_GAIN * hostlib.render(a, full_wav, os.path.join(a.work, "flat-out.wav"),
                                     {GATE_PARAM: GATE_OFF},
                                     ["--block", str(BLOCK)])[n:]
    moved = int(POINTS[1][0] * RATE)
    d_flat = float(np.max(np.abs(got[moved:] - flat[moved:])))
    ok = check(d_flat > 100 * TOLERANCE,
               f"without automation heist-render differs from the export by {d_flat:.3g} "
               f"after {POINTS[1][0]} s") and ok
    return 0 if ok else 1


def read_stereo(path: str):
    if not os.path.isfile(path):
        print(f"FAIL: no export {path}")
        return None
    y, rate = sf.read(path, dtype="float32", always_2d=True)
    info = sf.info(path)
    if rate != RATE or info.subtype != "FLOAT":
        print(f"FAIL: {path}: {rate} Hz {info.subtype}, expected {RATE} Hz FLOAT")
        return None
    return y


def check(cond: bool, what: str) -> bool:
    print(("ok" if cond else "FAIL") + ": " + what)
    return bool(cond)


if __name__ == "__main__":
    sys.exit(main())
