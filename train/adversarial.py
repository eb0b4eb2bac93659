#!/usr/bin/python3
"""Optional adversarial fine-tuning of a trained Heist model.

    adversarial.py --ckpt RUN/best.pt --style NAME:PREFIX ... --heldout NAME:PREFIX ... \\
        --out RUN-gan --minutes 15

The generator is the Heist network with its DDSP synthesiser, started from a
checkpoint of train.py. The discriminator is a multi-resolution spectrogram
discriminator (the UnivNet / RAVE family): for each of three STFT
resolutions a small 2-D convolution stack over the log-magnitude spectrogram
gives a map of real/fake scores. Losses: hinge for the discriminator; for the
generator, the multi-scale spectral loss of train.py plus weighted hinge and
feature-matching terms (L1 between the discriminator's activations on real
and generated audio).

The run directory gets ckpt.pt (resumable, like train.py's), best.pt (lowest
held-out spectral loss, evaluated every --eval-every steps) and log.tsv. Both
best.pt and the starting checkpoint export with export.py; keep the
adversarial one only if quality.py says its held-out numbers are better.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from features import Clip, load_dir  # noqa: E402
from heist_model import HeistNet, ModelConfig  # noqa: E402
from train import (Crops, augment, batch, evaluate, parse_style, reexec_with_malloc_env, save,  # noqa: E402
                   spectral_loss, synthesize)

RESOLUTIONS = ((1024, 256), (512, 128), (256, 64))  # (n_fft, hop) at the model rate


class SpecDisc(nn.Module):
    """One resolution: log-magnitude spectrogram -> conv stack -> score map."""

    def __init__(self, n_fft: int, hop: int, ch: int = 16) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.convs = nn.ModuleList([
            nn.Conv2d(1, ch, (3, 9), padding=(1, 4)),
            nn.Conv2d(ch, ch, (3, 9), stride=(2, 1), padding=(1, 4)),
            nn.Conv2d(ch, ch, (3, 9), stride=(2, 1), padding=(1, 4)),
            nn.Conv2d(ch, ch, (3, 3), padding=(1, 1)),
        ])
        self.out = nn.Conv2d(ch, 1, (3, 3), padding=(1, 1))

    def forward(self, x: torch.Tensor):
        s = torch.stft(x, self.n_fft, hop_length=self.hop, window=self.window, center=True,
                       return_complex=True).abs()
        h = torch.log(s.clamp_min(1e-5)).unsqueeze(1)  # [B, 1, F, T]
        feats = []
        for c in self.convs:
            h = F.leaky_relu(c(h), 0.2)
            feats.append(h)
        return self.out(h), feats


class MultiResDisc(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.discs = nn.ModuleList([SpecDisc(n, h) for n, h in RESOLUTIONS])

    def forward(self, x: torch.Tensor):
        return [d(x) for d in self.discs]


def d_loss(disc: MultiResDisc, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    loss = real.new_zeros(())
    for (sr, _), (sf, _) in zip(disc(real), disc(fake.detach())):
        loss = loss + F.relu(1 - sr).mean() + F.relu(1 + sf).mean()
    return loss


def g_adv_losses(disc: MultiResDisc, real: torch.Tensor, fake: torch.Tensor):
    adv = real.new_zeros(())
    fm = real.new_zeros(())
    with torch.no_grad():
        real_out = disc(real)
    for (sf, ff), (_, fr) in zip(disc(fake), real_out):
        adv = adv - sf.mean()
        for a, b in zip(ff, fr):
            fm = fm + (a - b).abs().mean()
    return adv, fm


def main() -> None:
    reexec_with_malloc_env()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True, help="train.py checkpoint to start from")
    ap.add_argument("--style", type=parse_style, action="append", required=True,
                    help="NAME:PREFIX, in the checkpoint's style order")
    ap.add_argument("--heldout", type=parse_style, action="append", default=[])
    ap.add_argument("--out", required=True, help="run directory")
    ap.add_argument("--minutes", type=float, default=15.0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=1.0, help="crop length")
    ap.add_argument("--lr-g", type=float, default=1e-4)
    ap.add_argument("--lr-d", type=float, default=2e-4)
    ap.add_argument("--w-adv", type=float, default=0.1, help="weight of the hinge term")
    ap.add_argument("--w-fm", type=float, default=1.0, help="weight of feature matching")
    ap.add_argument("--d-warmup", type=int, default=100, help="discriminator-only steps first")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-crops", type=int, default=28)
    ap.add_argument("--eval-seconds", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--augment", action="store_true",
                    help="train.py's voice-like level/confidence augmentation (as the plain run had)")
    ap.add_argument("--keep-every", type=int, default=0,
                    help="also keep step_NNNNN.pt every N steps (to choose one by timbre.py)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    start = torch.load(a.ckpt)
    cfg = ModelConfig(**start["config"])
    names = [n for n, _ in a.style]
    if names != cfg.style_names:
        raise SystemExit(f"--style order {names} differs from the checkpoint's {cfg.style_names}")
    hop, sr = cfg.hop, int(cfg.sample_rate)
    train_clips: List[Clip] = []
    for i, (_, prefix) in enumerate(a.style):
        train_clips += load_dir(prefix, i, hop, sr)
    held_clips: List[Clip] = []
    for n, prefix in a.heldout:
        held_clips += load_dir(prefix, names.index(n), hop, sr)
    tr = Crops(train_clips, int(round(a.seconds * cfg.frame_rate)), hop)
    ho = Crops(held_clips, int(round(a.eval_seconds * cfg.frame_rate)), hop).fixed(a.eval_crops) \
        if held_clips else []

    torch.manual_seed(a.seed)
    net = HeistNet(cfg)
    net.load_state_dict(start["model"])
    disc = MultiResDisc()
    opt_g = torch.optim.Adam(net.parameters(), lr=a.lr_g, betas=(0.8, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=a.lr_d, betas=(0.8, 0.99))
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    step, elapsed = 0, 0.0
    best = evaluate(net, ho, a.batch) if ho else math.inf
    start_loss = best
    rng = np.random.default_rng(a.seed)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        net.load_state_dict(ck["model"])
        disc.load_state_dict(ck["disc"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        step, elapsed, best, start_loss = ck["step"], ck["elapsed"], ck["best"], ck["start_loss"]
        rng = np.random.default_rng(a.seed + step)
        print(f"resumed at step {step}, {elapsed / 60:.1f} min", flush=True)
    print(f"start: held-out spectral loss {start_loss:.3f}", flush=True)

    def checkpoint(path: str, with_train_state: bool) -> None:
        obj = {"model": net.state_dict(), "config": cfg.to_dict(), "stats": start["stats"],
               "step": step, "elapsed": elapsed, "best": best, "start_loss": start_loss,
               "adversarial": vars(a)}
        if with_train_state:
            obj.update(disc=disc.state_dict(), opt_g=opt_g.state_dict(), opt_d=opt_d.state_dict())
        save(path, obj)

    if not os.path.exists(os.path.join(a.out, "best.pt")):
        checkpoint(os.path.join(a.out, "best.pt"), False)
    log = open(os.path.join(a.out, "log.tsv"), "a")
    if step == 0:
        log.write("step\telapsed_s\td_loss\tspectral\tadv\tfm\theldout\n")
    budget = a.minutes * 60
    last_ho = float("nan")
    while elapsed < budget:
        t0 = time.time()
        items = [tr.random(rng) for _ in range(a.batch)]
        if a.augment:
            items = augment(items, rng)
        f0, loud, conf, audio, style = batch(items)
        y = synthesize(net, f0, loud, conf, style)
        ld = d_loss(disc, audio, y)
        opt_d.zero_grad()
        ld.backward()
        opt_d.step()
        spec = spectral_loss(y, audio)
        adv, fm = g_adv_losses(disc, audio, y)
        if step >= a.d_warmup:
            lg = spec + a.w_adv * adv + a.w_fm * fm
            opt_g.zero_grad()
            lg.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 3.0)
            opt_g.step()
        step += 1
        elapsed += time.time() - t0
        done = elapsed >= budget
        if ho and step > a.d_warmup and (step % a.eval_every == 0 or done):
            last_ho = evaluate(net, ho, a.batch)
            if last_ho < best:
                best = last_ho
                checkpoint(os.path.join(a.out, "best.pt"), False)
        if step % 10 == 0 or done:
            print(f"step {step} {elapsed / 60:.2f} min d {float(ld):.3f} spectral {float(spec):.3f} "
                  f"adv {float(adv):.3f} fm {float(fm):.3f} held-out {last_ho:.3f}", flush=True)
            log.write(f"{step}\t{elapsed:.1f}\t{float(ld):.5f}\t{float(spec):.5f}\t{float(adv):.5f}\t"
                      f"{float(fm):.5f}\t{last_ho:.5f}\n")
            log.flush()
        if step % 50 == 0 or done:
            checkpoint(ckpt_path, True)
        if a.keep_every and step % a.keep_every == 0:
            checkpoint(os.path.join(a.out, f"step_{step:05d}.pt"), False)
    checkpoint(os.path.join(a.out, "last.pt"), False)
    print(f"done: {step} steps, held-out spectral loss {start_loss:.3f} -> best {best:.3f}, "
          f"last {last_ho:.3f}", flush=True)


if __name__ == "__main__":
    main()
