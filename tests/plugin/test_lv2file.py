#!/usr/bin/env python3
"""Render a WAV through the *installed* bundle with lv2file, an offline host.

Installs the build with `meson install --destdir` into a folder of the build
tree, points LV2_PATH at the bundle's folder there (so only that copy is
seen), renders a voiced test signal with `-p pitch_shift:12`, and checks
that the output has the input's length and is finite and not silent.

Usage: test_lv2file.py BUILD_ROOT DESTDIR BUNDLE_INSTALL_DIR PREFIX LV2FILE MESON...
Pure Python (no numpy), so any python3 runs it.
"""

import math
import os
import shutil
import struct
import subprocess
import sys
from array import array
from typing import List, Tuple

URI = "http://heist.audio/plugins/heist"
RATE = 48000
SECONDS = 2.0
F0_HZ = 220.0
PEAK = 0.5

# The input is about -11 dBFS RMS and a working render is of comparable level;
# -60 dBFS is 50 dB below that, so only a silent or broken render fails.
MIN_RMS = 1e-3

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_IEEE_FLOAT = 3
WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def saw_with_vibrato(n: int) -> array:
    """220 Hz sawtooth with a 5.5 Hz, +-0.25 semitone vibrato."""
    x = array("f", bytes(4 * n))
    phase = 0.0
    for i in range(n):
        t = i / RATE
        f = F0_HZ * 2.0 ** (0.25 * math.sin(2.0 * math.pi * 5.5 * t) / 12.0)
        x[i] = PEAK * (2.0 * phase - 1.0)
        phase = (phase + f / RATE) % 1.0
    return x


def write_float_wav(path: str, x: array) -> None:
    """Mono 32-bit float WAV, so a NaN in the output would survive the trip."""
    data = x.tobytes() if sys.byteorder == "little" else _swapped(x)
    fmt = struct.pack("<HHIIHH", WAVE_FORMAT_IEEE_FLOAT, 1, RATE, 4 * RATE, 4, 32)
    fact = struct.pack("<I", len(x))
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"fact" + struct.pack("<I", 4) + fact
            + b"data" + struct.pack("<I", len(data)) + data)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def _swapped(x: array) -> bytes:
    y = array("f", x)
    y.byteswap()
    return y.tobytes()


def read_wav(path: str) -> Tuple[int, int, List[float]]:
    """(channels, rate, samples interleaved) of a PCM or float WAV."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[0:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos = 12
    fmt = None
    data = None
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        chunk = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = chunk
        elif cid == b"data":
            data = chunk
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        tag = struct.unpack_from("<H", fmt, 24)[0]  # first two bytes of the GUID
    if tag == WAVE_FORMAT_IEEE_FLOAT and bits in (32, 64):
        a = array("f" if bits == 32 else "d", data)
        if sys.byteorder != "little":
            a.byteswap()
        return channels, rate, list(a)
    if tag == WAVE_FORMAT_PCM and bits in (16, 24, 32):
        width = bits // 8
        scale = float(1 << (bits - 1))
        samples = [int.from_bytes(data[i:i + width], "little", signed=True) / scale
                   for i in range(0, len(data) - width + 1, width)]
        return channels, rate, samples
    raise ValueError(f"{path}: unsupported WAV format {tag}/{bits} bits")


def main() -> int:
    if len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        return 2
    build_root, destdir, bundle_install_dir, prefix, lv2file = sys.argv[1:6]
    meson = sys.argv[6:]
    destdir = os.path.abspath(destdir)

    shutil.rmtree(destdir, ignore_errors=True)
    subprocess.run(meson + ["install", "-C", build_root, "--destdir", destdir,
                            "--no-rebuild", "--quiet"], check=True)

    # meson installs an absolute install_dir under DESTDIR as is; a relative
    # one is relative to the prefix.
    bundle = bundle_install_dir
    if not os.path.isabs(bundle):
        bundle = os.path.join(prefix, bundle)
    bundle = os.path.join(destdir, os.path.relpath(bundle, "/"))
    for name in ("manifest.ttl", "heist.ttl", "heist-default.hsm"):
        if not os.path.isfile(os.path.join(bundle, name)):
            print(f"FAIL: {name} not installed in {bundle}", file=sys.stderr)
            return 1

    work = os.path.join(destdir, "render")
    os.makedirs(work, exist_ok=True)
    in_wav = os.path.join(work, "in.wav")
    out_wav = os.path.join(work, "out.wav")
    n = int(SECONDS * RATE)
    write_float_wav(in_wav, saw_with_vibrato(n))

    env = dict(os.environ, LV2_PATH=os.path.dirname(bundle))
    preload = os.environ.get("HEIST_LV2FILE_PRELOAD")
    if preload:
        # An ASan build: lv2file's own leaks are not ours (the lilv tests
        # check the plugin's), so leak detection is off for it.
        env["LD_PRELOAD"] = preload
        env["ASAN_OPTIONS"] = "detect_leaks=0:" + env.get("ASAN_OPTIONS", "")
    cmd = [lv2file, "-i", in_wav, "-o", out_wav, "-p", "pitch_shift:12", URI]
    print("LV2_PATH=" + env["LV2_PATH"], " ".join(cmd))
    subprocess.run(cmd, env=env, check=True)

    if not os.path.isfile(out_wav):
        print(f"FAIL: lv2file wrote no {out_wav}", file=sys.stderr)
        return 1
    channels, rate, y = read_wav(out_wav)
    failures = []
    if channels != 1 or rate != RATE:
        failures.append(f"{channels} channels at {rate} Hz, expected 1 at {RATE}")
    if len(y) != n * channels:
        failures.append(f"{len(y) // max(channels, 1)} frames, input has {n}")
    if not all(math.isfinite(v) for v in y):
        failures.append("non-finite samples")
    rms = math.sqrt(sum(v * v for v in y) / max(len(y), 1)) if failures == [] else 0.0
    if not failures and rms <= MIN_RMS:
        failures.append(f"RMS {rms:g} is below {MIN_RMS:g}")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    if failures:
        return 1
    print(f"ok: {len(y)} frames, RMS {20 * math.log10(rms):.1f} dBFS")
    shutil.rmtree(destdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
