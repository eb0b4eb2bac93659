#!/usr/bin/python3
"""The command-line tools as a user (and an attacker) meets them (issue 15):

heist-render
  - an unknown option, an unknown --param control, a missing option value:
    an error naming the culprit, exit status 2;
  - out-of-range values are warned about (and play clamped);
  - style names and unique prefixes (style_a=choir), ambiguous ones refused;
  - the output format follows the name through libsndfile (.flac is FLAC,
    .ogg Vorbis); an unknown extension is refused before rendering and
    nothing is written;
  - --model naming a FIFO, a directory: refused at once, never a hang.
heist-inspect
  - names with escape sequences and a newline print as '?': no control byte
    but the line ends reaches the terminal;
  - a FIFO is refused at once.

usage: test_tools.py HEIST_RENDER HEIST_INSPECT WRITE_MODEL WORKDIR
"""
import os
import subprocess
import sys
import time

import numpy as np
import soundfile as sf

failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print(f"FAIL: {what}")
    else:
        print(f"ok: {what}")


def run(argv, timeout=60):
    p = subprocess.run(argv, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    render, inspect, write_model, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    wav = os.path.join(work, "in.wav")
    t = np.arange(24000) / 48000.0
    sf.write(wav, (0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 48000, subtype="FLOAT")
    out = os.path.join(work, "out.wav")

    rc, _, err = run([render, wav, out, "--bogus"])
    check(rc == 2 and "unknown option '--bogus'" in err, f"unknown option named: {err!r}")
    rc, _, err = run([render, wav, out, "--param", "foo=1"])
    check(rc == 2 and "unknown control 'foo'" in err, f"unknown control named: {err!r}")
    rc, _, err = run([render, wav, out, "--param", "pitch_shift=abc"])
    check(rc == 2 and "not a number" in err, f"bad value named: {err!r}")
    rc, _, err = run([render, wav, out, "--model"])
    check(rc == 2 and "--model needs a value" in err, f"missing value named: {err!r}")

    rc, _, err = run([render, wav, out, "--quiet", "--param", "pitch_shift=99"])
    check(rc == 0 and "pitch_shift=99 is outside" in err, f"out of range warned: {err!r}")
    rc, _, err = run([render, wav, out, "--quiet", "--param", "style_b=40"])
    check(rc == 0 and "style_b=40 is outside" in err and "[0, 13]" in err,
          f"style out of the model's range warned: {err!r}")

    rc, _, err = run([render, wav, out, "--quiet", "--param", "style_a=choir"])
    check(rc == 0 and err == "", f"style_a=choir (a unique prefix) accepted: {err!r}")
    rc, _, err = run([render, wav, out, "--quiet", "--param", "style_a=t"])
    check(rc == 2 and "more than one style 't'" in err, f"ambiguous prefix refused: {err!r}")

    for name, fmt, sub in [("out.flac", "FLAC", "PCM_24"), ("out.ogg", "OGG", "VORBIS"),
                           ("out.wav", "WAV", "FLOAT")]:
        path = os.path.join(work, name)
        rc, _, err = run([render, wav, path, "--quiet"])
        info = sf.info(path) if rc == 0 and os.path.exists(path) else None
        check(info is not None and info.format == fmt and info.subtype == sub,
              f"{name} written as {fmt}/{sub}: {info.format if info else None}/"
              f"{info.subtype if info else None} {err!r}")
    # The same input renders to the same bytes, whenever it runs: libsndfile's
    # PEAK chunk would carry the wall clock (1 s resolution, hence the wait).
    again = os.path.join(work, "again.wav")
    time.sleep(1.1)
    rc, _, err = run([render, wav, again, "--quiet"])
    with open(os.path.join(work, "out.wav"), "rb") as f1, open(again, "rb") as f2:
        check(rc == 0 and f1.read() == f2.read(), f"two renders byte-identical {err!r}")
    bad = os.path.join(work, "out.xyz")
    rc, _, err = run([render, wav, bad, "--quiet"])
    check(rc == 2 and "unknown output format '.xyz'" in err and not os.path.exists(bad),
          f"unknown extension refused, nothing written: {err!r}")

    fifo = os.path.join(work, "model.fifo")
    if os.path.exists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)
    try:
        rc, _, err = run([render, wav, out, "--quiet", "--model", fifo], timeout=20)
        check(rc == 1 and "not a regular file (a FIFO)" in err, f"FIFO --model refused: {err!r}")
        rc, _, err = run([inspect, fifo], timeout=20)
        check(rc == 1 and "not a regular file (a FIFO)" in err, f"FIFO inspect refused: {err!r}")
    except subprocess.TimeoutExpired:
        check(False, "a FIFO model path hangs")
    rc, _, err = run([render, wav, out, "--quiet", "--model", work])
    check(rc == 1 and "not a regular file (a directory)" in err, f"directory refused: {err!r}")

    evil = os.path.join(work, "evil\x1b[7m.hsm")
    subprocess.run([write_model, evil, "evil"], check=True)
    p = subprocess.run([inspect, evil], capture_output=True, timeout=20)
    text = p.stdout + p.stderr
    controls = sorted({b for b in text if (b < 0x20 and b != 0x0A) or b == 0x7F})
    check(p.returncode == 0 and not controls,
          f"heist-inspect prints no control bytes (found {controls})")
    check(b"?[31mred?]0;title?" in p.stdout and b"st?[2J?yle" in p.stdout,
          "names shown with '?' for control characters")

    # the spectral correction as stored: centres, then each style's anchors
    eq = os.path.join(work, "speq.hsm")
    subprocess.run([write_model, eq, "speq"], check=True)
    rc, text, err = run([inspect, eq])
    check(rc == 0 and "spectral correction (section SPEQ v1)" in text
          and "  100   251   631  1585  3981 10000" in text and "  48.0   0.0   3.9" in text,
          f"heist-inspect prints the spectral correction: {text[-600:]!r} {err!r}")

    print(f"test_tools: {'ok' if failures == 0 else f'{failures} check(s) failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
