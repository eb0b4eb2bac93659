#!/usr/bin/python3
"""The two .hsm writers agree byte for byte: the tests' C writer
(tests/model/hsm_writer.c, through hsm_dump) and the training exporter
(train/export.py: hsm_bytes, half_weights).

    hsm_writer_export.py HSM_DUMP WORKDIR

For several shapes and seeds, a file from hsm_dump is read back with
export.read_hsm and serialised again with export.hsm_bytes: the bytes must
be equal (header fields, name padding, style table, tensor order, CRC). With
the weights rounded to binary16 (hsm_round_half in C, half_weights in
Python, as export.py writes models by default) the files must be equal too.
Exits 77 (skipped) without PyTorch, which train/export.py imports.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "train"))

try:
    from export import half_weights, hsm_bytes, read_hsm, read_hsm_full, with_profile  # noqa: E402
except ImportError as e:
    print(f"SKIP: train/export.py cannot be imported ({e})")
    sys.exit(77)

# (styles, embed, gru, dense, harmonics, noise, seed): the shipped shape, the
# bounds' corners and odd sizes.
SHAPES = [
    (14, 8, 192, 128, 60, 65, 1),
    (1, 1, 1, 1, 1, 2, 2),
    (3, 5, 37, 29, 17, 9, 3),
    (256, 64, 16, 8, 256, 256, 4),
]


def dump(exe: str, path: str, shape, half: bool, bands: int = 0) -> bytes:
    args = [exe, path] + [str(v) for v in shape] + (["half"] if half else [])
    args += ["profile", str(bands)] if bands else []
    subprocess.run(args, check=True)
    with open(path, "rb") as f:
        return f.read()


def main() -> int:
    exe, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failed = 0
    for shape in SHAPES:
        path = os.path.join(work, "m-" + "-".join(str(v) for v in shape) + ".hsm")
        c = dump(exe, path, shape, False)
        cfg, tensors, stats = read_hsm(path)
        py = hsm_bytes(cfg, tensors, stats)
        c_half = dump(exe, path + ".half", shape, True)
        py_half = hsm_bytes(cfg, half_weights(tensors), stats)
        # The profile section (PROF): the C writer's, written again by
        # hsm_bytes and added to the plain file by with_profile.
        bands = 1 + shape[-1] % 8
        c_prof = dump(exe, path + ".prof", shape, True, bands)
        cfg_p, t_p, stats_p, prof = read_hsm_full(path + ".prof")
        py_prof = hsm_bytes(cfg_p, t_p, stats_p, prof)
        py_added = with_profile(path + ".half", prof)
        for what, a, b in (("float32", c, py), ("binary16", c_half, py_half),
                           (f"profile {bands} bands", c_prof, py_prof),
                           ("profile added", c_prof, py_added)):
            same = a == b
            failed += not same
            at = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            print(f"{shape} {what}: {len(a)} bytes, "
                  + ("identical" if same else f"FAIL: differ from byte {at} (C {len(a)}, Python {len(b)})"))
    print("FAIL" if failed else "OK: the C and Python writers agree byte for byte")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
