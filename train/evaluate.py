#!/usr/bin/python3
"""Resynthesis check of a trained model on held-out clips.

    evaluate.py MODEL.hsm PREFIX [--style 0] [--out DIR]

For every PREFIX*.wav (features in PREFIX*.tsv from heist-analyze) the model
is run over the whole clip from a zero state, the harmonic + noise synthesis
is written to DIR/NAME.resynth.wav, analysed again with heist-analyze, and
compared with the original: pitch error in cents over frames confident in
both (median and 95th percentile), loudness correlation and mean absolute
difference over frames where the original is above -70 dB, and the
multi-scale spectral loss over 2 s chunks.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import write_wav  # noqa: E402
from export import load_net  # noqa: E402
from features import analyze, load_dir, midi, read_tsv  # noqa: E402
from heist_model import scale_features  # noqa: E402
from heist_synth import harmonic_amplitudes, harmonic_render, noise_render  # noqa: E402
from train import spectral_loss  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("prefix")
    ap.add_argument("--style", type=int, default=0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(1)
    net, _ = load_net(a.model)
    cfg = net.cfg
    hop, sr = cfg.hop, int(cfg.sample_rate)
    out = a.out or os.path.dirname(os.path.abspath(a.prefix))
    os.makedirs(out, exist_ok=True)
    for c in load_dir(a.prefix, a.style, hop, sr):
        f0 = torch.from_numpy(c.f0)[None]
        with torch.no_grad():
            feats = scale_features(cfg, f0, torch.from_numpy(c.loudness)[None],
                                   torch.from_numpy(c.confidence)[None])
            amp, dist, noise = net.controls(feats, torch.tensor([a.style]))
            amps = harmonic_amplitudes(amp, dist, f0, cfg.sample_rate / 2)
            y = harmonic_render(f0, amps, hop, cfg.sample_rate, cfg.sample_rate / 2)
            g = torch.Generator().manual_seed(0)
            y = y + noise_render(noise, cfg.frame_rate, cfg.sample_rate, cfg.sample_rate, y.shape[1], g)
        y = y[0].numpy()
        n = len(y)
        chunk = 2 * sr
        losses = [float(spectral_loss(torch.from_numpy(y[i:i + chunk])[None],
                                      torch.from_numpy(c.audio[i:i + chunk])[None]))
                  for i in range(0, n - chunk + 1, chunk)]
        base = os.path.join(out, os.path.splitext(c.name)[0] + ".resynth")
        write_wav(base + ".wav", y, sr)
        analyze(base + ".wav", base + ".tsv")
        r = read_tsv(base + ".tsv")
        K = min(len(r["f0"]), len(c.f0))
        m = ((c.confidence[:K] >= c.hold_confidence) & (r["confidence"][:K] >= r["hold_confidence"]) &
             (c.f0_raw[:K] > 0) & (r["f0_raw"][:K] > 0))
        cents = 100 * np.abs(midi(r["f0_raw"][:K][m]) - midi(c.f0_raw[:K][m]))
        lm = c.loudness[:K] > -70
        lc = float(np.corrcoef(c.loudness[:K][lm], r["loudness"][:K][lm])[0, 1])
        ld = float(np.mean(np.abs(c.loudness[:K][lm] - r["loudness"][:K][lm])))
        print(f"{c.name}: spectral loss {np.mean(losses):.3f} over {len(losses)} x 2 s; "
              f"pitch error median {np.median(cents):.1f} cents, 95% {np.percentile(cents, 95):.1f} "
              f"cents ({m.mean() * 100:.0f}% of frames confident in both); loudness corr {lc:.3f}, "
              f"mean |diff| {ld:.1f} dB; wrote {base}.wav")


if __name__ == "__main__":
    main()
