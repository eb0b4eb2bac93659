#!/usr/bin/python3
"""An N-style model round-trips through the .hsm format, and morph 0 / 1 are
the pure styles (torch model and C engine).

    train_roundtrip.py OUTDIR [HEIST_RENDER]

* a random 3-style model (make_reference.random_model) is written, read back
  (export.read_hsm / load_net) and written again: the bytes must be equal,
  and so must a 5-style model with another shape;
* torch: embed(a, b, morph=0) == embed(a) and embed(a, b, morph=1) == embed(b)
  exactly, for every pair, and so are the network's outputs;
* C (when HEIST_RENDER is given): heist-render of a sung-like glide with
  style_a=a, style_b=b, morph=0 equals style_a=a alone, and morph=1 equals
  style_a=b alone, sample for sample.
"""
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "train"))

from data import read_wav, write_wav  # noqa: E402
from export import hsm_bytes, load_net, read_hsm, write_hsm  # noqa: E402
from heist_model import HeistNet, ModelConfig, to_numpy_tensors  # noqa: E402
from make_reference import random_model  # noqa: E402


def fail(msg: str) -> None:
    print("FAIL: " + msg)
    sys.exit(1)


def roundtrip(path: str) -> None:
    with open(path, "rb") as f:
        orig = f.read()
    cfg, t, stats = read_hsm(path)
    if hsm_bytes(cfg, t, stats) != orig:
        fail(f"{path}: read -> write is not byte-identical")
    net, stats2 = load_net(path)
    again = hsm_bytes(net.cfg, to_numpy_tensors(net), stats2)
    if again != orig:
        fail(f"{path}: load_net -> export is not byte-identical")
    print(f"{path}: {cfg.n_styles} styles {cfg.style_names}, {len(orig)} bytes: round trip byte-identical")


def main() -> None:
    out = sys.argv[1]
    render = sys.argv[2] if len(sys.argv) > 2 else None
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    p3 = os.path.join(out, "random3.hsm")
    random_model(p3)
    roundtrip(p3)
    # a 5-style model of another shape with names that use the full field
    cfg = ModelConfig(n_styles=5, embed_dim=3, gru_hidden=16, dense_hidden=8, n_harmonics=10, n_noise=5,
                      name="round trip " + "x" * 60,
                      style_names=["violin", "cello", "flûte à bec", "french horn", "s" * 60])
    torch.manual_seed(3)
    net = HeistNet(cfg)
    stats = [[50 + s, 80 + s, 65 + s, -60.0 - s, -20.0, -35.5] for s in range(5)]
    p5 = os.path.join(out, "random5.hsm")
    write_hsm(p5, cfg, to_numpy_tensors(net), stats)
    roundtrip(p5)
    c5, _, st5 = read_hsm(p5)
    if c5.style_names[2] != "flûte à bec" or len(c5.style_names[4].encode()) != 47:
        fail(f"style names not kept: {c5.style_names}")
    if not np.allclose(np.array(st5), np.array(stats, np.float32)):
        fail("style statistics not kept")

    # morph at 0 and 1 is the pure style (torch)
    net, _ = load_net(p3)
    S = net.cfg.n_styles
    T = 50
    rng = np.random.default_rng(1)
    feats = torch.from_numpy(rng.standard_normal((1, T, 3)).astype(np.float32))
    with torch.no_grad():
        for a in range(S):
            for b in range(S):
                ta, tb = torch.tensor([a]), torch.tensor([b])
                for m, want in ((0.0, ta), (1.0, tb)):
                    e = net.embed(ta, tb, torch.tensor([m]))
                    if not torch.equal(e, net.embed(want)):
                        fail(f"torch embed({a},{b},morph={m}) differs from the pure style")
                    y1, _ = net(torch.cat([feats, e[:, None, :].expand(1, T, -1)], -1))
                    y2, _ = net(torch.cat([feats, net.embed(want)[:, None, :].expand(1, T, -1)], -1))
                    if not torch.equal(y1, y2):
                        fail(f"torch outputs at morph {m} differ from the pure style")
    print(f"torch: morph 0 and 1 equal the pure styles for all {S * S} pairs")

    if not render:
        return
    sr = 48000
    t = np.arange(int(1.5 * sr)) / sr
    f = 220 * 2 ** (np.sin(2 * np.pi * 0.7 * t))
    x = 0.3 * np.sin(2 * np.pi * np.cumsum(f) / sr) * np.minimum(1, t / 0.05)
    wav = os.path.join(out, "glide.wav")
    write_wav(wav, x.astype(np.float32), sr)

    def run(name, params):
        o = os.path.join(out, name + ".wav")
        cmd = [render, wav, o, "--model", p3, "--quiet"]
        for k, v in params.items():
            cmd += ["--param", f"{k}={v}"]
        subprocess.run(cmd, check=True)
        return read_wav(o)[0][:, 0]

    pure = {s: run(f"pure{s}", {"style_a": s}) for s in range(S)}
    for a, b in ((0, 1), (2, 0), (1, 2)):
        for m, want in ((0, a), (1, b)):
            y = run(f"morph{a}{b}_{m}", {"style_a": a, "style_b": b, "morph": m})
            if not np.array_equal(y, pure[want]):
                d = float(np.max(np.abs(y - pure[want])))
                fail(f"C engine: style_a={a} style_b={b} morph={m} differs from style {want} (max {d:g})")
    if np.array_equal(pure[0], pure[1]):
        fail("C engine: styles 0 and 1 sound identical (the check would prove nothing)")
    print("C engine: morph 0 and 1 equal the pure styles sample for sample")


if __name__ == "__main__":
    main()
