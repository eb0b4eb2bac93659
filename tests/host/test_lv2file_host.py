#!/usr/bin/env python3
"""lv2file (Debian's offline LV2 host) on the installed bundle, with a factory
preset (-P) and with parameter values (-p), compared with heist-render.

What is compared: lv2file's output file against heist-render --keep-latency
on the same input with the same control values (lv2file does not compensate
plugin latency, so both keep it). The preset's values are read from the
installed preset file, so the test also proves lv2file applied them.

Tolerance 1e-6: both run the same engine code in the same FP mode
(heist-render flushes denormals like run()); only the block sizes differ
(lv2file's against heist-render's), and the design bounds block-size effects
by 1e-6 (DESIGN.md, block-size invariance). The output is a 32-bit float WAV,
so no quantization enters (and --ignore-clipping keeps lv2file from clamping
it to +-1). Measured: bit-identical.
"""

import os
import subprocess
import sys

import hostlib

RATE = 48000
PRESET = "hum-to-violin-up-12"
PRESET_LABEL = "Hum to violin +12 st"  # lv2file -P takes the rdfs:label
N_PRESETS = 18
PARAMS = {"pitch_shift": -5.0, "noise_level": -12.0, "dry_wet": 0.8, "output_gain": -3.0}
TOLERANCE = 1e-6


def main() -> int:
    a = hostlib.parse_args(__doc__)
    hostlib.need("lv2file")
    lv2_path = hostlib.install_bundle(a)
    env = hostlib.host_env(lv2_path)
    bundle = os.path.join(lv2_path, "heist.lv2")

    wav_in = os.path.join(a.work, "in.wav")
    hostlib.write_wav(wav_in, hostlib.sung_line(RATE, 3.0), RATE)

    listed = subprocess.run(["lv2file", "-L", hostlib.URI], env=env, check=True,
                            capture_output=True, text=True).stdout
    ok = listed.count("Preset: ") == N_PRESETS and PRESET_LABEL in listed
    print(("ok" if ok else "FAIL") + f": lv2file -L lists {listed.count('Preset: ')} presets")

    cases = [
        ("preset " + PRESET, ["-P", PRESET_LABEL],
         hostlib.preset_values(bundle, PRESET)),
        ("parameters", sum((["-p", f"{k}:{v}"] for k, v in PARAMS.items()), []), PARAMS),
    ]
    for i, (name, args, values) in enumerate(cases):
        out = os.path.join(a.work, f"lv2file-{i}.wav")
        # --ignore-clipping: otherwise lv2file clamps samples to +-1 even in a
        # float file, and a hot preset would differ where it peaks above 0 dBFS.
        cmd = ["lv2file", "--ignore-clipping", "-i", wav_in, "-o", out] + args + [hostlib.URI]
        print("LV2_PATH=" + lv2_path, " ".join(cmd))
        subprocess.run(cmd, env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)
        want = hostlib.render(a, wav_in, os.path.join(a.work, f"render-{i}.wav"), values,
                              ["--keep-latency"])
        ok = hostlib.compare("lv2file " + name, hostlib.read_mono(out), want, TOLERANCE,
                             "same engine and FP mode; block-size invariance bound") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
