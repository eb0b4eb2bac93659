#!/usr/bin/python3
"""Write and read .hsm v1 model files (dsp/model.h), with or without the
styles' profile section (PROF, written by train/style_profile.py).

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
FLAG_SECTIONS = 1
SECTION_HDR = "<4sII"  # tag, section version, payload size
PROFILE_TAG = b"PROF"
PROFILE_VERSION = 1
PROFILE_MAX_BANDS = 8
# Per style after the band levels (dsp/model.h: the bounds the parser checks).
PROFILE_FIELDS = ("vibrato_hz", "vibrato_cents", "attack_s", "attack_depth_db", "release_db_s",
                  "release_tail_db_s", "loud_p5", "loud_p50", "loud_p95", "band_pitch",
                  "band_pitch_db_oct")
PROFILE_BOUNDS = ((0, 20), (0, 300), (0.001, 2), (0, 80), (1, 10000), (1, 10000),
                  (-120, 20), (-120, 20), (-120, 20), (0, 127), (-48, 48))


class Profile:
    """Section PROF: band edges (Hz, NB + 1) and per style NB band levels
    (dB) followed by PROFILE_FIELDS."""

    def __init__(self, edges: Sequence[float], rows: Sequence[Sequence[float]]) -> None:
        self.edges = [float(v) for v in edges]
        self.rows = [[float(v) for v in r] for r in rows]

    @property
    def n_bands(self) -> int:
        return len(self.edges) - 1

    def style(self, s: int) -> dict:
        r = self.rows[s]
        d = dict(zip(PROFILE_FIELDS, r[self.n_bands:]))
        d["band_db"] = r[:self.n_bands]
        return d

    def check(self, n_styles: int) -> None:
        nb = self.n_bands
        if not 1 <= nb <= PROFILE_MAX_BANDS or len(self.rows) != n_styles:
            raise ValueError("profile: band count or style count out of range")
        if any(not 1000 <= e <= 96000 for e in self.edges) or any(
                b <= a for a, b in zip(self.edges, self.edges[1:])):
            raise ValueError("profile: band edges must increase within [1000, 96000] Hz")
        for s, r in enumerate(self.rows):
            if len(r) != nb + len(PROFILE_FIELDS):
                raise ValueError(f"profile: style {s} has {len(r)} values")
            for v in r[:nb]:
                if not -160 <= v <= 0:
                    raise ValueError(f"profile: style {s} band_db {v} out of [-160, 0]")
            for name, v, (lo, hi) in zip(PROFILE_FIELDS, r[nb:], PROFILE_BOUNDS):
                if not lo <= v <= hi:
                    raise ValueError(f"profile: style {s} {name} {v} out of [{lo}, {hi}]")
            if not r[nb + 6] <= r[nb + 7] <= r[nb + 8]:
                raise ValueError(f"profile: style {s} loudness percentiles not in order")

    def section(self) -> bytes:
        payload = struct.pack("<II", len(self.rows), self.n_bands)
        payload += struct.pack(f"<{len(self.edges)}f", *self.edges)
        for r in self.rows:
            payload += struct.pack(f"<{len(r)}f", *r)
        return struct.pack(SECTION_HDR, PROFILE_TAG, PROFILE_VERSION, len(payload)) + payload

    @staticmethod
    def parse(payload: bytes) -> "Profile":
        S, nb = struct.unpack("<II", payload[:8])
        edges = struct.unpack(f"<{nb + 1}f", payload[8:12 + 4 * nb])
        per = nb + len(PROFILE_FIELDS)
        off = 12 + 4 * nb
        rows = [struct.unpack(f"<{per}f", payload[off + 4 * per * s:off + 4 * per * (s + 1)])
                for s in range(S)]
        return Profile(edges, rows)


def _name(s: str, size: int) -> bytes:
    b = s.encode("utf-8")[: size - 1]
    # do not cut a UTF-8 sequence in half
    while b and (b[-1] & 0xC0) == 0x80:
        b = b[:-1]
    if b and b[-1] >= 0xC0:
        b = b[:-1]
    return b + b"\0" * (size - len(b))


def hsm_bytes(cfg: ModelConfig, tensors: dict, stats: Sequence[Sequence[float]],
              profile: "Profile | None" = None) -> bytes:
    """Serialize a model. tensors: name -> float32 array (heist_model layout);
    stats[s] = pitch_lo, pitch_hi, pitch_median, loud_lo, loud_hi, loud_median;
    profile: the PROF section, or None for a file without sections."""
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
    if profile is not None:
        profile.check(S)
        body += profile.section()
    total = HEADER_SIZE + len(body) + 4
    flags = FLAG_SECTIONS if profile is not None else 0
    hdr = struct.pack(HEADER_FMT, MAGIC, VERSION, flags, total, cfg.frame_rate, cfg.sample_rate,
                      S, cfg.embed_dim, cfg.gru_hidden, cfg.dense_hidden, cfg.n_harmonics,
                      cfg.n_noise, cfg.pitch_center, cfg.pitch_scale, cfg.loud_center,
                      cfg.loud_scale, _name(cfg.name, NAME_SIZE))
    assert len(hdr) == HEADER_SIZE
    data = hdr + bytes(body)
    return data + struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF)


def write_hsm(path: str, cfg: ModelConfig, tensors: dict, stats, profile=None) -> None:
    write_bytes(path, hsm_bytes(cfg, tensors, stats, profile))


def write_bytes(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_hsm(path: str) -> Tuple[ModelConfig, dict, List[List[float]]]:
    """Parse a .hsm file (checks magic, version, size and CRC); its sections
    are checked for size but not returned (read_hsm_profile)."""
    cfg, tensors, stats, _ = read_hsm_full(path)
    return cfg, tensors, stats


def read_hsm_profile(path: str) -> "Profile | None":
    """The PROF section of a .hsm file, or None."""
    return read_hsm_full(path)[3]


def read_hsm_full(path: str):
    """(cfg, tensors, stats, profile or None) of a .hsm file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER_SIZE + 4:
        raise ValueError(f"{path}: too short")
    (magic, version, flags, total, frame_rate, sample_rate, S, E, H, D, NH, NN, pc, ps, lc, ls,
     name) = struct.unpack(HEADER_FMT, data[:HEADER_SIZE])
    if magic != MAGIC or version != VERSION or flags & ~FLAG_SECTIONS:
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
    profile = None
    for tag, version, payload in sections(data, off) if flags & FLAG_SECTIONS else ():
        if tag == PROFILE_TAG:
            if version != PROFILE_VERSION:
                raise ValueError(f"{path}: profile version {version} (this reads 1)")
            profile = Profile.parse(payload)
    if not flags & FLAG_SECTIONS and off != len(data) - 4:
        raise ValueError(f"{path}: {len(data) - 4 - off} trailing bytes before the CRC")
    return cfg, tensors, stats, profile


def sections(data: bytes, off: int):
    """(tag, version, payload) of each section from off up to the CRC."""
    out = []
    end = len(data) - 4
    while off < end:
        if end - off < 12:
            raise ValueError("truncated section header")
        tag, version, n = struct.unpack(SECTION_HDR, data[off:off + 12])
        off += 12
        if n % 4 or n > end - off:
            raise ValueError("section payload does not fit")
        out.append((tag, version, data[off:off + n]))
        off += n
    return out


def with_profile(src: str, profile: Profile) -> bytes:
    """The bytes of model file src with its PROF section added or replaced;
    the header (but for flags and size), style table, tensors and any other
    section are kept byte for byte."""
    with open(src, "rb") as f:
        data = f.read()
    cfg, tensors, _, _ = read_hsm_full(src)
    profile.check(cfg.n_styles)
    net_end = HEADER_SIZE + STYLE_SIZE * cfg.n_styles + 4 * sum(
        int(np.prod(v.shape)) for v in tensors.values())
    flags = struct.unpack("<I", data[12:16])[0]
    kept = b"".join(struct.pack(SECTION_HDR, t, v, len(p)) + p
                    for t, v, p in (sections(data, net_end) if flags & FLAG_SECTIONS else [])
                    if t != PROFILE_TAG)
    body = data[HEADER_SIZE:net_end] + kept + profile.section()
    total = HEADER_SIZE + len(body) + 4
    hdr = data[:12] + struct.pack("<II", flags | FLAG_SECTIONS, total) + data[20:HEADER_SIZE]
    out = hdr + body
    return out + struct.pack("<I", zlib.crc32(out) & 0xFFFFFFFF)


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
