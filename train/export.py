#!/usr/bin/python3
"""Write and read .hsm v1 model files (dsp/model.h).

    export.py CKPT.pt OUT.hsm [--name NAME] [--float32]
    export.py --half IN.hsm OUT.hsm

CKPT.pt is a train.py checkpoint (ckpt.pt or best.pt); the style table's
playing-range statistics come from the training features stored in it.

The weight matrices are rounded to binary16 values (still stored as float32)
unless --float32 is given: the C engine then reads them as 2-byte weights,
which makes the network about twice as fast (dsp/net.c), and the rounding
(relative 2^-11 at most) costs nothing measurable in quality (train/README.md).
--half rounds the weights of an existing model file the same way.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
import zlib
from typing import List, Sequence, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from heist_model import (TENSOR_ORDER, HeistNet, ModelConfig, from_numpy_tensors,  # noqa: E402
                         tensor_shapes, to_numpy_tensors)

MAGIC = b"HEISTHSM"
VERSION = 1
HEADER_SIZE = 132
STYLE_SIZE = 88
NAME_SIZE = 64
STYLE_NAME_SIZE = 48
HEADER_FMT = "<8sIII ff IIIIII ffff 64s"  # 132 bytes


def _name(s: str, size: int) -> bytes:
    b = s.encode("utf-8")[: size - 1]
    # do not cut a UTF-8 sequence in half
    while b and (b[-1] & 0xC0) == 0x80:
        b = b[:-1]
    if b and b[-1] >= 0xC0:
        b = b[:-1]
    return b + b"\0" * (size - len(b))


def hsm_bytes(cfg: ModelConfig, tensors: dict, stats: Sequence[Sequence[float]]) -> bytes:
    """Serialize a model. tensors: name -> float32 array (heist_model layout);
    stats[s] = pitch_lo, pitch_hi, pitch_median, loud_lo, loud_hi, loud_median."""
    S = cfg.n_styles
    if len(cfg.style_names) != S or len(stats) != S:
        raise ValueError("style names / stats do not match n_styles")
    shapes = tensor_shapes(cfg)
    body = bytearray()
    for s in range(S):
        body += _name(cfg.style_names[s], STYLE_NAME_SIZE)
        body += struct.pack("<10f", *[float(v) for v in stats[s]][:6], 0.0, 0.0, 0.0, 0.0)
    for k in TENSOR_ORDER:
        a = np.asarray(tensors[k], dtype=np.float32)
        if a.shape != shapes[k]:
            raise ValueError(f"{k}: shape {a.shape}, expected {shapes[k]}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{k}: non-finite values")
        body += np.ascontiguousarray(a, dtype="<f4").tobytes()
    total = HEADER_SIZE + len(body) + 4
    hdr = struct.pack(HEADER_FMT, MAGIC, VERSION, 0, total, cfg.frame_rate, cfg.sample_rate,
                      S, cfg.embed_dim, cfg.gru_hidden, cfg.dense_hidden, cfg.n_harmonics,
                      cfg.n_noise, cfg.pitch_center, cfg.pitch_scale, cfg.loud_center,
                      cfg.loud_scale, _name(cfg.name, NAME_SIZE))
    assert len(hdr) == HEADER_SIZE
    data = hdr + bytes(body)
    return data + struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF)


def write_hsm(path: str, cfg: ModelConfig, tensors: dict, stats) -> None:
    data = hsm_bytes(cfg, tensors, stats)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_hsm(path: str) -> Tuple[ModelConfig, dict, List[List[float]]]:
    """Parse a .hsm file (checks magic, version, size and CRC)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER_SIZE + 4:
        raise ValueError(f"{path}: too short")
    (magic, version, flags, total, frame_rate, sample_rate, S, E, H, D, NH, NN, pc, ps, lc, ls,
     name) = struct.unpack(HEADER_FMT, data[:HEADER_SIZE])
    if magic != MAGIC or version != VERSION or flags != 0:
        raise ValueError(f"{path}: not a .hsm v1 file")
    if total != len(data):
        raise ValueError(f"{path}: size {len(data)} != header {total}")
    crc = struct.unpack("<I", data[-4:])[0]
    if crc != zlib.crc32(data[:-4]) & 0xFFFFFFFF:
        raise ValueError(f"{path}: CRC mismatch")
    names, stats = [], []
    off = HEADER_SIZE
    for _ in range(S):
        names.append(data[off:off + STYLE_NAME_SIZE].split(b"\0")[0].decode("utf-8"))
        v = struct.unpack("<10f", data[off + STYLE_NAME_SIZE:off + STYLE_SIZE])
        stats.append(list(v[:6]))
        off += STYLE_SIZE
    cfg = ModelConfig(n_styles=S, embed_dim=E, gru_hidden=H, dense_hidden=D, n_harmonics=NH,
                      n_noise=NN, frame_rate=frame_rate, sample_rate=sample_rate,
                      pitch_center=pc, pitch_scale=ps, loud_center=lc, loud_scale=ls,
                      name=name.split(b"\0")[0].decode("utf-8"), style_names=names)
    tensors = {}
    for k, shape in tensor_shapes(cfg).items():
        n = int(np.prod(shape))
        tensors[k] = np.frombuffer(data, "<f4", n, off).reshape(shape).astype(np.float32)
        off += 4 * n
    if off != len(data) - 4:
        raise ValueError(f"{path}: {len(data) - 4 - off} trailing bytes before the CRC")
    return cfg, tensors, stats


HALF_TENSORS = ("gru_w_ih", "gru_w_hh", "dense1_w", "dense2_w")


def half_weights(tensors: dict) -> dict:
    """The weight matrices rounded to the nearest binary16 values (biases and
    the style embedding are left as they are)."""
    out = dict(tensors)
    for k in HALF_TENSORS:
        a = np.asarray(tensors[k], dtype=np.float32)
        if np.any(np.abs(a) > 65504.0):
            raise ValueError(f"{k}: weights beyond the binary16 range")
        out[k] = a.astype(np.float16).astype(np.float32)
    return out


def write_net(path: str, cfg: ModelConfig, tensors: dict, stats, half: bool = True) -> dict:
    """Write a network's tensors (binary16-rounded weights unless half is
    False), read the file back and check it holds exactly what was meant.
    Returns the tensors as written."""
    if half:
        tensors = half_weights(tensors)
    write_hsm(path, cfg, tensors, stats)
    _, back, _ = read_hsm(path)
    for k, v in tensors.items():
        if not np.array_equal(np.asarray(v, dtype=np.float32), back[k]):
            raise ValueError(f"{path}: {k} did not survive the round trip")
    return tensors


def load_net(path: str) -> Tuple[HeistNet, List[List[float]]]:
    """A .hsm file as a torch HeistNet (eval mode) and its style statistics."""
    cfg, t, stats = read_hsm(path)
    net = from_numpy_tensors(cfg, t)
    net.eval()
    return net, stats


def export_checkpoint(ckpt: str, out: str, name: str | None = None, half: bool = True) -> None:
    import torch
    ck = torch.load(ckpt)
    cfg = ModelConfig(**ck["config"])
    if name:
        cfg.name = name
    net = HeistNet(cfg)
    net.load_state_dict(ck["model"])
    write_net(out, cfg, to_numpy_tensors(net), ck["stats"], half)
    print(f"{out}: {os.path.getsize(out)} bytes, {cfg.n_styles} style(s) "
          f"{cfg.style_names}, step {ck.get('step')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="checkpoint (or, with --half, a .hsm file)")
    ap.add_argument("out")
    ap.add_argument("--name", default=None, help="model name stored in the header")
    ap.add_argument("--float32", action="store_true",
                    help="keep the weights as trained (the engine then runs float32 kernels)")
    ap.add_argument("--half", action="store_true",
                    help="round the weights of the .hsm file SRC to binary16 values into OUT")
    a = ap.parse_args()
    if a.half:
        cfg, t, stats = read_hsm(a.src)
        if a.name:
            cfg.name = a.name
        t2 = write_net(a.out, cfg, t, stats)
        worst = max(float(np.max(np.abs(t2[k] - t[k]) / np.maximum(np.abs(t[k]), 1e-30)))
                    for k in HALF_TENSORS)
        print(f"{a.out}: weights rounded to binary16 (largest relative change {worst:.2g})")
    else:
        export_checkpoint(a.src, a.out, a.name, half=not a.float32)


if __name__ == "__main__":
    main()
