#!/usr/bin/python3
"""Train a Heist style model.

    train.py --style violin:DATA/violin/train_ --heldout violin:DATA/violin/heldout_ \
             --out WORK/run --minutes 60

Each --style NAME:PREFIX adds a style whose clips are PREFIX*.wav (features
from heist-analyze cached next to them as .tsv); --heldout NAME:PREFIX adds
held-out clips of a named style. The run directory holds ckpt.pt (latest,
resumable: rerunning the same command continues), best.pt (lowest held-out
loss), log.tsv and summary.txt. Batch: random 2 s crops.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from typing import Callable, List, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from features import Clip, load_dir, range_stats  # noqa: E402
from heist_model import HeistNet, ModelConfig, n_params, scale_features  # noqa: E402
from heist_synth import harmonic_amplitudes, harmonic_render, noise_render  # noqa: E402

FFT_SIZES = (2048, 1024, 512, 256, 128, 64)
LOG_EPS = 1e-5  # as DDSP's safe_log


def spectral_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Multi-scale spectral loss: sum over FFT sizes of mean |S - S'| + mean
    |log S - log S'| (magnitudes, Hann window, 75 % overlap)."""
    loss = pred.new_zeros(())
    for n in FFT_SIZES:
        w = torch.hann_window(n)
        sp = torch.stft(pred, n, hop_length=n // 4, window=w, center=True, return_complex=True).abs()
        st = torch.stft(target, n, hop_length=n // 4, window=w, center=True, return_complex=True).abs()
        loss = loss + (sp - st).abs().mean()
        loss = loss + (torch.log(sp.clamp_min(LOG_EPS)) - torch.log(st.clamp_min(LOG_EPS))).abs().mean()
    return loss


def synthesize(net: HeistNet, f0: torch.Tensor, loud: torch.Tensor, conf: torch.Tensor,
               style: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Features [B, T+1] -> audio [B, T * hop] (harmonic + noise)."""
    cfg = net.cfg
    feats = scale_features(cfg, f0, loud, conf)
    amp, dist, noise = net.controls(feats, style)
    amps = harmonic_amplitudes(amp, dist, f0, cfg.sample_rate / 2)
    hop = cfg.hop
    y = harmonic_render(f0, amps, hop, cfg.sample_rate, cfg.sample_rate / 2)
    y = y + noise_render(noise, cfg.frame_rate, cfg.sample_rate, cfg.sample_rate, y.shape[1], generator)
    return y


class Crops:
    """Random crops of T frames (T + 1 feature frames, T * hop samples)."""

    def __init__(self, clips: List[Clip], frames: int, hop: int) -> None:
        self.clips = [c for c in clips if len(c.f0) > frames + 1 and len(c.audio) >= frames * hop]
        if not self.clips:
            raise ValueError("no clip is long enough for a crop")
        self.frames, self.hop = frames, hop
        self.w = np.array([len(c.f0) - frames for c in self.clips], dtype=np.float64)
        self.w /= self.w.sum()

    def crop(self, c: Clip, k0: int) -> Tuple[np.ndarray, ...]:
        T, hop = self.frames, self.hop
        sl = slice(k0, k0 + T + 1)
        return (c.f0[sl], c.loudness[sl], c.confidence[sl], c.audio[k0 * hop:(k0 + T) * hop], c.style)

    def random(self, rng: np.random.Generator):
        c = self.clips[rng.choice(len(self.clips), p=self.w)]
        kmax = min(len(c.f0) - self.frames - 1, len(c.audio) // self.hop - self.frames)
        return self.crop(c, int(rng.integers(0, kmax + 1)))

    def fixed(self, n: int):
        """n deterministic crops spread over the clips (for the held-out loss)."""
        out = []
        for i in range(n):
            c = self.clips[i % len(self.clips)]
            kmax = min(len(c.f0) - self.frames - 1, len(c.audio) // self.hop - self.frames)
            j = i // len(self.clips)
            per = (n + len(self.clips) - 1) // len(self.clips)
            out.append(self.crop(c, int(kmax * (j + 0.5) / per)))
        return out


# Voice-like augmentation (--augment): soundfont renders have steady levels
# and near-perfect confidence, voices neither (issue 12: a quiet or breathy
# voice made the network trade harmonics for noise). Per crop, with
# probability AUG_P each: a gain in AUG_GAIN_DB applied to the target audio
# and its loudness feature alike (timbre must not collapse at low levels),
# and the confidence of pitched frames (> 0.5) lowered by |N(0, s)|, s up to
# AUG_CONF_SIGMA (the target is unchanged: a voice's confidence is a
# property of the input, not of the instrument's sound).
AUG_P = 0.5
AUG_GAIN_DB = (-30.0, 6.0)
AUG_CONF_SIGMA = 0.15


def augment(items, rng: np.random.Generator):
    out = []
    for f0, loud, conf, audio, style in items:
        if rng.random() < AUG_P:
            g = float(rng.uniform(*AUG_GAIN_DB))
            audio = (audio * np.float32(10.0 ** (g / 20.0))).astype(np.float32)
            loud = np.maximum(loud + np.float32(g), np.float32(-120.0)).astype(np.float32)
        if rng.random() < AUG_P:
            s = float(rng.uniform(0.0, AUG_CONF_SIGMA))
            drop = np.abs(rng.normal(0.0, s, size=conf.shape)).astype(np.float32)
            conf = np.where(conf > 0.5, np.clip(conf - drop, 0.0, 1.0), conf).astype(np.float32)
        out.append((f0, loud, conf, audio, style))
    return out


def batch(items) -> Tuple[torch.Tensor, ...]:
    f0, loud, conf, audio, style = zip(*items)
    return (torch.from_numpy(np.stack(f0)), torch.from_numpy(np.stack(loud)),
            torch.from_numpy(np.stack(conf)), torch.from_numpy(np.stack(audio)),
            torch.tensor(style, dtype=torch.long))


def evaluate(net: HeistNet, items, bs: int) -> float:
    g = torch.Generator().manual_seed(1234)
    tot, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(items), bs):
            f0, loud, conf, audio, style = batch(items[i:i + bs])
            y = synthesize(net, f0, loud, conf, style, g)
            tot += float(spectral_loss(y, audio)) * len(style)
            n += len(style)
    return tot / max(1, n)


def parse_style(s: str) -> Tuple[str, str]:
    if ":" not in s:
        raise argparse.ArgumentTypeError("expected NAME:PREFIX")
    name, prefix = s.split(":", 1)
    return name, prefix


def lr_at(a, progress: float, step: int) -> float:
    warm = min(1.0, (step + 1) / a.warmup)
    return warm * a.lr * (a.lr_end / a.lr) ** min(1.0, progress)


def save(path: str, obj: dict) -> None:
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


class Trainer:
    """The training loop's state and step, shared by train.py and heist_train.py:
    the network, its optimiser, the range statistics and arguments that go into
    every checkpoint, and the counters: step, elapsed (training seconds), best
    (lowest held-out loss), history ((step, elapsed, mean train loss, held-out
    loss) a logged window) and the running train loss of the open window."""

    def __init__(self, a, net: HeistNet, opt: torch.optim.Optimizer, stats) -> None:
        self.a, self.net, self.opt, self.stats = a, net, opt, stats
        self.budget = a.minutes * 60
        self.step, self.elapsed, self.best = 0, 0.0, math.inf
        self.history: list = []
        self.run_loss, self.run_n = 0.0, 0

    @property
    def finished(self) -> bool:
        """The step or time budget is spent."""
        return self.step >= self.a.steps or self.elapsed >= self.budget

    def resume(self, ck: dict) -> None:
        """Continue from a checkpoint that checkpoint() wrote (torch.load'ed)."""
        self.net.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["opt"])
        self.step, self.elapsed, self.best = ck["step"], ck["elapsed"], ck["best"]
        self.history = ck.get("history", [])

    def checkpoint(self, path: str) -> None:
        save(path, {"model": self.net.state_dict(), "opt": self.opt.state_dict(), "step": self.step,
                    "elapsed": self.elapsed, "best": self.best, "config": self.net.cfg.to_dict(),
                    "stats": self.stats, "history": self.history, "args": dict(vars(self.a))})

    def train_step(self, crops: Crops, rng: np.random.Generator,
                   extra_loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None
                   ) -> Tuple[torch.Tensor, float]:
        """One Adam step on a batch of random crops: spectral loss, plus
        extra_loss(f0, loud, conf) where given; gradient norm clipped to
        --clip. The learning rate is lr_at's, times a parameter group's
        "scale" where it has one. Returns the loss and that learning rate."""
        a = self.a
        t0 = time.time()
        lr = lr_at(a, max(self.step / a.steps, self.elapsed / self.budget), self.step)
        for g in self.opt.param_groups:
            g["lr"] = lr * g.get("scale", 1.0)
        items = [crops.random(rng) for _ in range(a.batch)]
        if getattr(a, "augment", False):
            items = augment(items, rng)
        f0, loud, conf, audio, style = batch(items)
        y = synthesize(self.net, f0, loud, conf, style)
        loss = spectral_loss(y, audio)
        if extra_loss is not None:
            loss = loss + extra_loss(f0, loud, conf)
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), a.clip)
        self.opt.step()
        self.step += 1
        self.elapsed += time.time() - t0
        self.run_loss += float(loss)
        self.run_n += 1
        return loss, lr

    def keep_best(self, heldout_loss: float, path: str) -> None:
        """A held-out loss below the best so far becomes the best; the
        checkpoint goes to path (best.pt)."""
        if heldout_loss < self.best:
            self.best = heldout_loss
            self.checkpoint(path)

    def close_window(self, heldout_loss: float) -> float:
        """Ends the window of train losses since the last call: appends
        (step, elapsed, their mean, heldout_loss) to history; returns the mean."""
        mean = self.run_loss / max(1, self.run_n)
        self.history.append((self.step, self.elapsed, mean, heldout_loss))
        self.run_loss, self.run_n = 0.0, 0
        return mean


# glibc returns large blocks to the kernel and page-faults them back in on
# every step (several times the compute on these VMs); keep them in the heap.
MALLOC_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 36),
              "MALLOC_TOP_PAD_": str(1 << 28)}


def reexec_with_malloc_env() -> None:
    if os.environ.get("MALLOC_MMAP_MAX_") is None:
        env = dict(os.environ, **MALLOC_ENV)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def warm_start(net: HeistNet, path: str) -> None:
    """Copy a trained model's network into net; styles the old model has by
    name keep their embedding, the others start at its first style's."""
    from export import load_net
    old, _ = load_net(path)
    if (old.cfg.gru_hidden, old.cfg.dense_hidden, old.cfg.embed_dim) != \
            (net.cfg.gru_hidden, net.cfg.dense_hidden, net.cfg.embed_dim):
        raise SystemExit(f"--init {path}: network sizes differ from this run's")
    sd = {k: v for k, v in old.state_dict().items() if not k.startswith("embedding")}
    net.load_state_dict(sd, strict=False)
    with torch.no_grad():
        for i, n in enumerate(net.cfg.style_names):
            j = old.cfg.style_names.index(n) if n in old.cfg.style_names else 0
            net.embedding.weight[i] = old.embedding.weight[j]
    print(f"warm start from {path} ({old.cfg.n_styles} style(s))", flush=True)


def main() -> None:
    reexec_with_malloc_env()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--style", action="append", type=parse_style, required=True)
    ap.add_argument("--heldout", action="append", type=parse_style, default=[])
    ap.add_argument("--out", required=True, help="run directory")
    ap.add_argument("--minutes", type=float, default=60.0, help="training time budget")
    ap.add_argument("--steps", type=int, default=1000000, help="step budget")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=2.0, help="crop length")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-end", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--clip", type=float, default=3.0, help="gradient norm clip")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--eval-crops", type=int, default=16)
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--keep-every", type=int, default=0,
                    help="also keep step_NNNNN.pt every N steps (0: never), to choose a checkpoint by "
                         "timbre.py rather than by the held-out loss alone")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="heist")
    ap.add_argument("--gru", type=int, default=192)
    ap.add_argument("--dense", type=int, default=128)
    ap.add_argument("--init", metavar="MODEL.hsm",
                    help="start from this model's network (same sizes); every new style's "
                         "embedding starts at its first style's")
    ap.add_argument("--augment", action="store_true",
                    help="voice-like augmentation of level and confidence (see augment())")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    names = [n for n, _ in a.style]
    cfg = ModelConfig(n_styles=len(names), style_names=names, name=a.name,
                      gru_hidden=a.gru, dense_hidden=a.dense)
    hop, sr = cfg.hop, int(cfg.sample_rate)

    t_load = time.time()
    train_clips: List[Clip] = []
    stats = []
    for i, (n, prefix) in enumerate(a.style):
        cl = load_dir(prefix, i, hop, sr)
        stats.append(range_stats(cl))
        train_clips += cl
    held_clips: List[Clip] = []
    for n, prefix in a.heldout:
        held_clips += load_dir(prefix, names.index(n), hop, sr)
    frames = int(round(a.seconds * cfg.frame_rate))
    tr = Crops(train_clips, frames, hop)
    ho = Crops(held_clips, frames, hop).fixed(a.eval_crops) if held_clips else []
    print(f"data: {len(train_clips)} train clips "
          f"({sum(len(c.audio) for c in train_clips) / sr / 60:.1f} min), "
          f"{len(held_clips)} held-out, loaded in {time.time() - t_load:.1f} s", flush=True)
    for n, s in zip(names, stats):
        print(f"style {n}: pitch lo/hi/med {s[0]:.1f}/{s[1]:.1f}/{s[2]:.1f}, "
              f"loud lo/hi/med {s[3]:.1f}/{s[4]:.1f}/{s[5]:.1f} dB", flush=True)

    torch.manual_seed(a.seed)
    net = HeistNet(cfg)
    if a.init:
        warm_start(net, a.init)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    trainer = Trainer(a, net, opt, stats)
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    rng = np.random.default_rng(a.seed)
    if os.path.exists(ckpt_path):
        trainer.resume(torch.load(ckpt_path))
        rng = np.random.default_rng(a.seed + trainer.step)
        torch.manual_seed(a.seed + trainer.step)
        print(f"resumed at step {trainer.step}, {trainer.elapsed / 60:.1f} min trained", flush=True)
    print(f"model: {n_params(net)} parameters", flush=True)

    log = open(os.path.join(a.out, "log.tsv"), "a")
    if trainer.step == 0:
        log.write("step\telapsed_s\ttrain_loss\theldout_loss\tlr\n")
    last_ho = float("nan")
    if ho and trainer.step == 0:
        last_ho = evaluate(net, ho, a.batch)
        print(f"step 0: held-out {last_ho:.3f}", flush=True)
        log.write(f"0\t0.0\tnan\t{last_ho:.5f}\t{a.lr:.2e}\n")
    while not trainer.finished:
        _, lr = trainer.train_step(tr, rng)
        step, elapsed = trainer.step, trainer.elapsed
        if step % 10 == 0:
            print(f"step {step} {elapsed / 60:.2f} min loss {trainer.run_loss / trainer.run_n:.3f} lr {lr:.2e} "
                  f"({elapsed / step:.2f} s/step avg)", flush=True)
        done = trainer.finished
        if ho and (step % a.eval_every == 0 or done):
            te = time.time()
            last_ho = evaluate(net, ho, a.batch)
            print(f"step {step}: held-out {last_ho:.3f} ({time.time() - te:.1f} s)", flush=True)
            trainer.keep_best(last_ho, os.path.join(a.out, "best.pt"))
        if step % 10 == 0 or done:
            mean = trainer.close_window(last_ho)
            log.write(f"{step}\t{elapsed:.1f}\t{mean:.5f}\t{last_ho:.5f}\t{lr:.2e}\n")
            log.flush()
        if step % a.ckpt_every == 0 or done:
            trainer.checkpoint(ckpt_path)
        if a.keep_every and step % a.keep_every == 0:
            trainer.checkpoint(os.path.join(a.out, f"step_{step:05d}.pt"))
    trainer.checkpoint(ckpt_path)
    step, elapsed, best, history = trainer.step, trainer.elapsed, trainer.best, trainer.history
    # final summary: train loss over the last logged windows, held-out loss of the last step
    tail = [h[2] for h in history[-5:]]
    summary = {"steps": step, "train_minutes": elapsed / 60, "train_loss_last50": float(np.mean(tail)) if tail else None,
               "heldout_loss_final": last_ho, "heldout_loss_best": best if best < math.inf else None,
               "parameters": n_params(net)}
    with open(os.path.join(a.out, "summary.txt"), "w") as f:
        f.write(json.dumps(summary, indent=1) + "\n")
    print("summary " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
