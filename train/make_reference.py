#!/usr/bin/python3
"""Parity references: what the C network and harmonic bank must compute.

    make_reference.py MODEL.hsm OUTDIR
    make_reference.py --random OUTDIR      (writes OUTDIR/random.hsm first: random
                                            weights, 3 styles, unusual sizes)
    make_reference.py --random-half OUTDIR (the same with the weights rounded to
                                            binary16, as export.py writes them)

Runs the model (loaded from the .hsm with export.load_net) in float64 on a
deterministic feature sequence — silence before anything is voiced, steady
notes with vibrato, glides over three octaves, unvoiced gaps with a held
pitch, loud and quiet passages, a high note above the band limit for most
harmonics, a random walk, and style changes and morphs when S > 1 — and
writes little-endian binary files (tests/parity/test_parity.c reads them):

net_ref.bin
    0   8  magic "HSTREFN1"
    8   4  u32 T (frames)     12  4  u32 I (inputs)     16  4  u32 O (outputs)
    20  4  u32 0 (reserved)
    24     f32 inputs[T][I]   scaled features + embedding, exactly the values
                              heist_net_step() is given
           u32 style_a[T], u32 style_b[T], f32 morph[T]
                              the embedding part of inputs[t] is
                              (1 - morph) E[a] + morph E[b] (heist_net_embed)
           f32 outputs[T][O]  after exp_sigmoid, from one continuous run
                              starting from h = 0 (computed in float64)

harm_ref_RATE.bin (RATE = 24000, 44100, 48000)
    0   8  magic "HSTREFH1"
    8   4  u32 n_frames       12  4  u32 n_harm         16  4  u32 n_out
    20  4  u32 0 (reserved)
    24  8  f64 sample_rate    32  8  f64 frame_rate     40  8  f64 band_limit
    48     f32 f0[n_frames], f32 amps[n_frames][n_harm], f32 audio[n_out]
    f0 is the frame pitch of the sequence, amps the network's outputs after
    heist_synth.harmonic_amplitudes (limit = band_limit = 12000 Hz, the
    model's Nyquist); audio is heist_synth.harmonic_render_ref in float64,
    the definition of heist_synth_harmonic_render (frame clock
    c_k = k * sample_rate / frame_rate).

noise_ref_RATE.bin (RATE = 24000, 48000): the filtered noise is random, so
it is compared statistically (power spectral density of a long render with
constant band magnitudes)
    0   8  magic "HSTREFS1"
    8   4  u32 n_bands        12  4  u32 n_fft (PSD segment)
    16  4  u32 n_patterns     20  4  u32 n_samples (rendered per pattern)
    24  8  f64 sample_rate    32  8  f64 model_rate
    40     per pattern: f32 mags[n_bands], f32 psd[n_fft / 2 + 1]
    psd: the first 2 * hop_n samples are dropped (the grain before sample 0
    is missing in a render that starts there); segments of n_fft samples with
    a hop of n_fft / 2, periodic Hann window w; psd[i] = mean over segments of
    |rfft(w * segment)[i]|^2 / sum(w^2). Computed from heist_synth.noise_render.

The script also checks the training code against these references (torch
float32 network, torch harmonic bank at 24 kHz) and fails if they disagree.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import load_net, write_net  # noqa: E402
from heist_model import HeistNet, ModelConfig, scale_features, to_numpy_tensors  # noqa: E402
from heist_synth import (harmonic_amplitudes_np, harmonic_render, harmonic_render_ref,  # noqa: E402
                         noise_hop, noise_render)

RATES = (24000.0, 44100.0, 48000.0)
NOISE_RATES = (24000.0, 48000.0)
NOISE_SECONDS = 40.0


def random_model(path: str, seed: int = 7, half: bool = False) -> None:
    """Random weights, 3 styles and sizes unlike the default model's."""
    cfg = ModelConfig(n_styles=3, embed_dim=5, gru_hidden=40, dense_hidden=24, n_harmonics=24,
                      n_noise=17, pitch_center=60.0, pitch_scale=20.0, loud_center=-40.0,
                      loud_scale=25.0, name="parity random", style_names=["alpha", "beta", "gamma"])
    torch.manual_seed(seed)
    net = HeistNet(cfg)
    with torch.no_grad():
        for p in net.parameters():  # larger than the default init: exercise saturation
            p.mul_(2.0)
    stats = [[55.0 + s, 80.0 + s, 67.0 + s, -60.0, -20.0, -35.0] for s in range(3)]
    write_net(path, cfg, to_numpy_tensors(net), stats, half)


def feature_sequence(T: int, seed: int = 3):
    """f0 (held, Hz), loudness dB, confidence over T frames (T >= 400)."""
    rng = np.random.default_rng(seed)
    f0 = np.zeros(T)
    loud = np.full(T, -120.0)
    conf = np.zeros(T)
    t = np.arange(T) / 250.0

    def seg(a, b):
        return slice(a, b), np.arange(b - a)

    s, i = seg(20, 80)  # steady A3 with vibrato, medium loud
    f0[s] = 220.0 * 2 ** (0.3 / 12 * np.sin(2 * np.pi * 5.5 * t[s]))
    loud[s] = -30.0 + 3 * np.sin(2 * np.pi * 1.5 * t[s])
    conf[s] = 0.92
    s, i = seg(80, 130)  # glide up two octaves with a swell
    f0[s] = 220.0 * 4 ** (i / 50)
    loud[s] = -40.0 + 25 * i / 50
    conf[s] = 0.85
    s, i = seg(130, 160)  # unvoiced: pitch held, quiet
    f0[s] = f0[129]
    loud[s] = -70.0
    conf[s] = 0.1 + 0.2 * rng.random(30)
    s, i = seg(160, 260)  # glide down three octaves, fading
    f0[s] = 880.0 * 0.125 ** (i / 100)
    loud[s] = -15.0 - 40 * i / 100
    conf[s] = 0.95
    s, i = seg(260, 310)  # very loud high note: most harmonics above the band limit
    f0[s] = 1500.0 * 2 ** (0.2 / 12 * np.sin(2 * np.pi * 6.0 * t[s]))
    loud[s] = -8.0
    conf[s] = 0.99
    s, i = seg(310, T)  # random walk
    n = T - 310
    f0[s] = 440.0 * 2 ** (np.cumsum(rng.normal(0, 0.4, n)) / 12)
    loud[s] = np.clip(-40 + np.cumsum(rng.normal(0, 2.0, n)), -100, 0)
    conf[s] = rng.random(n)
    return f0.astype(np.float32), loud.astype(np.float32), conf.astype(np.float32)


def style_sequence(T: int, S: int):
    """Per-frame (a, b, morph): a fixed style when S = 1 (morph still varies:
    a = b makes it a no-op), otherwise changes and morph glides."""
    a = np.zeros(T, np.uint32)
    b = np.zeros(T, np.uint32)
    m = np.zeros(T, np.float32)
    m[:] = (np.arange(T) % 97) / 96.0
    if S > 1:
        q = T // 4
        a[:q], b[:q], m[:q] = 0, 1, np.linspace(0, 1, q)  # glide style 0 -> 1
        a[q:2 * q], b[q:2 * q], m[q:2 * q] = S - 1, 1, 0.3
        a[2 * q:3 * q], b[2 * q:3 * q], m[2 * q:3 * q] = 1, 1, 0.0
        a[3 * q:], b[3 * q:] = 0, S - 1
        m[3 * q:] = 0.5 + 0.5 * np.sin(np.arange(T - 3 * q) / 7.0)
    return a, b, m


def band_margin(f0: np.ndarray, sample_rate: float, frame_rate: float, band_limit: float,
                n_harm: int) -> float:
    """Smallest relative distance of h * f0(n) to the band limit (near-ties
    would make the C and Python masks disagree for reasons of rounding only)."""
    K = len(f0)
    c = (np.arange(K, dtype=np.float64) * sample_rate) / frame_rate
    n = np.arange(int(np.ceil(c[-1])), dtype=np.float64)
    k = np.clip(np.searchsorted(c, n, side="right") - 1, 0, K - 2)
    t = (n - c[k]) / (c[k + 1] - c[k])
    f0n = f0[k].astype(np.float64) + (f0[k + 1].astype(np.float64) - f0[k]) * t
    h = np.arange(1, n_harm + 1)
    return float(np.min(np.abs(np.outer(f0n, h) - band_limit)) / band_limit)


def write_net_ref(path: str, x: np.ndarray, a, b, m, y: np.ndarray) -> None:
    T, I = x.shape
    O = y.shape[1]
    with open(path, "wb") as f:
        f.write(b"HSTREFN1" + struct.pack("<IIII", T, I, O, 0))
        f.write(np.ascontiguousarray(x, "<f4").tobytes())
        f.write(np.ascontiguousarray(a, "<u4").tobytes())
        f.write(np.ascontiguousarray(b, "<u4").tobytes())
        f.write(np.ascontiguousarray(m, "<f4").tobytes())
        f.write(np.ascontiguousarray(y, "<f4").tobytes())


def write_harm_ref(path: str, f0, amps, audio, sample_rate, frame_rate, band_limit) -> None:
    K, NH = amps.shape
    with open(path, "wb") as f:
        f.write(b"HSTREFH1" + struct.pack("<IIII", K, NH, len(audio), 0))
        f.write(struct.pack("<ddd", sample_rate, frame_rate, band_limit))
        f.write(np.ascontiguousarray(f0, "<f4").tobytes())
        f.write(np.ascontiguousarray(amps, "<f4").tobytes())
        f.write(np.ascontiguousarray(audio, "<f4").tobytes())


def psd(x: np.ndarray, n_fft: int) -> np.ndarray:
    """Welch PSD as documented above (x already trimmed)."""
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    hop = n_fft // 2
    n_seg = (len(x) - n_fft) // hop + 1
    idx = np.arange(n_seg)[:, None] * hop + np.arange(n_fft)[None, :]
    spec = np.abs(np.fft.rfft(x[idx].astype(np.float64) * w, axis=1)) ** 2
    return spec.mean(axis=0) / np.sum(w * w)


def noise_patterns(n_bands: int) -> np.ndarray:
    b = np.arange(n_bands)
    rng = np.random.default_rng(5)
    smooth = np.convolve(rng.random(n_bands + 6), np.ones(7) / 7, mode="valid")[:n_bands]
    return np.stack([np.full(n_bands, 0.05), 0.2 * np.exp(-b / (n_bands / 6)),
                     0.01 + 0.3 * smooth]).astype(np.float32)


def write_noise_ref(outdir: str, cfg: ModelConfig) -> None:
    pats = noise_patterns(cfg.n_noise)
    for rate in NOISE_RATES:
        hop = noise_hop(rate)
        n_fft = int(round(256 * rate / 24000))  # 93.75 Hz bins at every rate
        n = int(NOISE_SECONDS * rate) // hop * hop
        K = int(np.ceil(n * cfg.frame_rate / rate)) + 2
        g = torch.Generator().manual_seed(11)
        with open(os.path.join(outdir, f"noise_ref_{int(rate)}.bin"), "wb") as f:
            f.write(b"HSTREFS1" + struct.pack("<IIII", cfg.n_noise, n_fft, len(pats), n))
            f.write(struct.pack("<dd", rate, cfg.sample_rate))
            for p in pats:
                mags = torch.from_numpy(p)[None, None, :].expand(1, K, cfg.n_noise).contiguous()
                with torch.no_grad():
                    y = noise_render(mags, cfg.frame_rate, rate, cfg.sample_rate, n, g)[0].numpy()
                f.write(np.ascontiguousarray(p, "<f4").tobytes())
                f.write(np.ascontiguousarray(psd(y[2 * hop:], n_fft), "<f4").tobytes())
        print(f"noise {rate:.0f} Hz: {len(pats)} patterns x {n} samples, PSD over {n_fft}-point segments")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help=".hsm file (omit with --random)")
    ap.add_argument("outdir")
    ap.add_argument("--random", action="store_true", help="make OUTDIR/random.hsm and use it")
    ap.add_argument("--random-half", action="store_true",
                    help="the same with binary16-rounded weights")
    ap.add_argument("--frames", type=int, default=420)
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.outdir, exist_ok=True)
    model = a.model
    if a.random or a.random_half:
        model = os.path.join(a.outdir, "random.hsm")
        random_model(model, half=a.random_half)
    if not model:
        ap.error("give MODEL.hsm or --random")
    net, _ = load_net(model)
    cfg = net.cfg
    T = max(400, a.frames)

    f0, loud, conf = feature_sequence(T)
    sa, sb, morph = style_sequence(T, cfg.n_styles)
    with torch.no_grad():
        feats = scale_features(cfg, torch.from_numpy(f0), torch.from_numpy(loud), torch.from_numpy(conf))
        emb = net.embed(torch.from_numpy(sa.astype(np.int64)), torch.from_numpy(sb.astype(np.int64)),
                        torch.from_numpy(morph))
        x = torch.cat([feats, emb], dim=-1).to(torch.float32)  # [T, I]
        y64, _ = net.double()(x.double()[None])
        net.float()
        y32, _ = net(x[None])
    x_np = x.numpy()
    y = y64[0].numpy()
    err32 = float(np.max(np.abs(y32[0].numpy() - y)))
    write_net_ref(os.path.join(a.outdir, "net_ref.bin"), x_np, sa, sb, morph, y)
    print(f"net: T={T} I={cfg.n_inputs} O={cfg.n_outputs}; torch float32 vs float64 reference: "
          f"max |diff| {err32:.2e}; outputs in [{y.min():.3g}, {y.max():.3g}]")
    if err32 > 1e-5:
        sys.exit(f"torch float32 network disagrees with its float64 reference ({err32:.2e})")

    nh = cfg.n_harmonics
    limit = cfg.sample_rate / 2
    amps = harmonic_amplitudes_np(y[:, 0], y[:, 1:1 + nh], f0, limit).astype(np.float32)
    for rate in RATES:
        f0r = f0.copy()
        margin = band_margin(f0r, rate, cfg.frame_rate, limit, nh)
        if margin < 1e-9:
            sys.exit(f"{rate:.0f} Hz: f0 comes within {margin:.1e} of the band limit; change the sequence")
        audio = harmonic_render_ref(f0r, amps, rate, cfg.frame_rate, limit)
        write_harm_ref(os.path.join(a.outdir, f"harm_ref_{int(rate)}.bin"), f0r, amps,
                       audio.astype(np.float32), rate, cfg.frame_rate, limit)
        msg = (f"harmonic {rate:.0f} Hz: {len(audio)} samples, peak {np.max(np.abs(audio)):.3f}, "
               f"band-limit margin {margin:.1e}")
        if rate == cfg.sample_rate:
            hop = cfg.hop
            yt = harmonic_render(torch.from_numpy(f0r)[None], torch.from_numpy(amps)[None], hop,
                                 rate, limit)[0].numpy()
            err = float(np.max(np.abs(yt - audio)))
            msg += f"; training synth vs reference: max |diff| {err:.2e}"
            if err > 1e-4:
                sys.exit(msg + " — training synth disagrees with the reference")
        print(msg)
    write_noise_ref(a.outdir, cfg)


if __name__ == "__main__":
    main()
