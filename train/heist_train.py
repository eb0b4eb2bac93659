#!/usr/bin/python3
"""heist-train: a Heist style model from a folder of recordings, in one command.

    heist-train --data DIR --name "My cello" -o my.hsm [--minutes 60]
    heist-train --data DIR --name "My cello" --add-to old.hsm -o new.hsm

DIR holds monophonic recordings of one instrument (any libsndfile format:
WAV, FLAC, Ogg, AIFF, ...; any sample rate and channel count; sub-folders
are searched; other files are ignored). About 5 minutes of playing is a good
amount; at least 30 s is required. heist-train

 1. reads every file, mixes it to mono and resamples it to the model rate
    (24 kHz, band-limited), holds out ~10 % (the last tenth of each longer
    file, or whole files) for evaluation;
 2. measures pitch and loudness with heist-analyze (the plugin's analyser)
    and refuses bad material with a clear message and exit status 2, writing
    no model: an empty folder, unreadable files (named), less than 30 s of
    audio, silence or mostly silence, unpitched or polyphonic material (too
    few sounding frames with a clear single pitch);
 3. starts from the shipped model's network (--init, default the installed
    heist-default.hsm; --from-scratch to start from random weights): its
    harmonic-plus-noise rendering of pitch and loudness carries over, so a
    new instrument needs far fewer steps;
    trains for --minutes (default 60) with a progress bar and ETA; the work
    folder (--work, default OUT.work/ next to the output) keeps resumable
    checkpoints: run the same command again to continue an interrupted or
    finished run (a finished run with a larger --minutes trains on);
 4. exports OUT (.hsm; the checkpoint with the lowest held-out loss), checks
    that the C engine loads it (heist-inspect, where found), and writes a
    report folder (--report, default OUT-report/): loss.png, report.md with
    the quality numbers of train/quality.py on the held-out clips and
    spectrogram PNGs of input against resynthesis.

--add-to EXISTING.hsm adds the new style to an existing model: its weights
are loaded (export.load_net), a new embedding row (the mean of the existing
ones) is appended, and the network is fine-tuned on the new recordings with
the embedding at the full learning rate and the shared network at a lower
one (--net-lr-scale, default 0.3). The old styles' recordings are usually not
at hand, so their sound is protected by distillation: on the new material's
pitch/loudness, the network's outputs for each old style are pulled towards
the original model's (--keep-weight, default 1). This keeps old styles close
but not identical (they are only constrained on the new material's pitch and
loudness range); --keep-weight 0 lets the new style use the whole network, at
the old styles' expense. The old styles' names and range statistics are kept.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audio_in import AUDIO_EXTENSIONS, AudioError, is_audio_name, read_mono, resample  # noqa: E402
from data import write_wav  # noqa: E402

EXIT_BAD_INPUT = 2
MIN_SECONDS = 30.0
SILENCE_DB = -60.0  # analyser loudness below which a frame is silent
PITCH_CONF = 0.8  # a "clear single pitch" frame (chords: mostly 0.5..0.8; a solo line: > 0.95)
MIN_PITCHED = 0.40  # fraction of sounding frames that must have one
MIN_SOUND_SECONDS = 15.0
MIN_SOUND_FRACTION = 0.15
MODEL_RATE = 24000  # a new model's rate and frame rate (heist_model.ModelConfig's defaults)
FRAME_RATE = 250.0


class InputError(Exception):
    """Bad training material: message for the user, exit status 2."""


def say(msg: str) -> None:
    print(f"heist-train: {msg}", flush=True)


# ---------------------------------------------------------------- input

def scan(data_dir: str) -> tuple:
    if not os.path.isdir(data_dir):
        raise InputError(f"{data_dir}: not a folder")
    audio, other = [], []
    for root, dirs, files in os.walk(data_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue
            p = os.path.join(root, f)
            (audio if is_audio_name(f) else other).append(p)
    if not audio:
        exts = ", ".join(sorted(AUDIO_EXTENSIONS))
        extra = f" ({len(other)} other file(s) ignored)" if other else ""
        raise InputError(f"{data_dir}: no audio files{extra}; expected recordings ({exts})")
    return audio, other


def manifest_key(files: List[str], a) -> str:
    h = hashlib.sha1()
    for f in files:
        st = os.stat(f)
        h.update(f"{os.path.abspath(f)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    h.update(f"{a.heldout:.4f} {a.seconds:.4f}".encode())
    return h.hexdigest()


def prepare(a, work: str, sr: int) -> dict:
    """Read, mix, resample and split the recordings into work/data/."""
    files, other = scan(a.data)
    data = os.path.join(work, "data")
    key = manifest_key(files, a)
    man_path = os.path.join(work, "prepared.json")
    if os.path.exists(man_path):
        with open(man_path) as f:
            man = json.load(f)
        if man.get("key") == key:
            return man
    if other:
        say(f"ignoring {len(other)} non-audio file(s), e.g. {os.path.relpath(other[0], a.data)}")
    sigs, bad = [], []
    for i, p in enumerate(files):
        try:
            x, r = read_mono(p)
        except AudioError as e:
            bad.append(str(e))
            continue
        sigs.append((p, x, r))
        print(f"\rheist-train: reading {i + 1}/{len(files)}", end="", flush=True)
    print("", flush=True)
    if bad and not a.skip_unreadable:
        raise InputError(f"{len(bad)} file(s) could not be read (fix or remove them, or pass "
                         "--skip-unreadable):\n  " + "\n  ".join(bad))
    for b in bad:
        say(f"skipping unreadable file: {b}")
    if not sigs:
        raise InputError(f"{a.data}: none of the {len(files)} audio file(s) could be read")
    total = sum(len(x) / r for _, x, r in sigs)
    if total < a.min_seconds:
        raise InputError(f"{a.data}: only {total:.1f} s of audio; at least {a.min_seconds:.0f} s is needed "
                         "(about 5 minutes gives a good model)")
    peak = max(float(np.max(np.abs(x))) for _, x, _ in sigs)
    if peak < 1e-4:
        raise InputError(f"{a.data}: the recordings are silent (peak {20 * math.log10(max(peak, 1e-12)):.0f} dBFS)")

    # held-out split: the last tenth of every long-enough file, else whole files
    tail_min = a.seconds + 1.0
    long_files = [s for s in sigs if len(s[1]) / s[2] * a.heldout >= tail_min
                  and len(s[1]) / s[2] >= 5 * tail_min]
    if os.path.isdir(data):
        shutil.rmtree(data)
    os.makedirs(data)
    train_s = held_s = 0.0
    n_tr = n_ho = 0
    whole_held = set()
    if not long_files:
        k = max(1, int(round(len(sigs) * a.heldout)))
        if len(sigs) > k:
            whole_held = set(range(len(sigs) - k, len(sigs)))
    for i, (p, x, r) in enumerate(sigs):
        y = resample(x, r, sr)
        dur = len(y) / sr
        if i in whole_held:
            parts = [("heldout", y)]
        elif long_files and dur * a.heldout >= tail_min and dur >= 5 * tail_min:
            cut = int(len(y) * (1 - a.heldout))
            parts = [("train", y[:cut]), ("heldout", y[cut:])]
        else:
            parts = [("train", y)]
        for kind, z in parts:
            if kind == "train":
                write_wav(os.path.join(data, f"train_{n_tr:04d}.wav"), z, sr)
                n_tr += 1
                train_s += len(z) / sr
            else:
                write_wav(os.path.join(data, f"heldout_{n_ho:04d}.wav"), z, sr)
                n_ho += 1
                held_s += len(z) / sr
    rates = sorted({r for _, _, r in sigs})
    man = {"key": key, "files": len(sigs), "unreadable": bad, "seconds": total, "train_seconds": train_s,
           "heldout_seconds": held_s, "rates": rates, "train_clips": n_tr, "heldout_clips": n_ho}
    with open(man_path, "w") as f:
        json.dump(man, f, indent=1)
    return man


def validate(clips, frame_rate: float) -> dict:
    """Silence / pitch checks on the analysed training clips."""
    loud = np.concatenate([c.loudness for c in clips])
    conf = np.concatenate([c.confidence for c in clips])
    sounding = loud > SILENCE_DB
    total_s = len(loud) / frame_rate
    sound_s = float(sounding.sum()) / frame_rate
    if sound_s < MIN_SOUND_SECONDS or sound_s < MIN_SOUND_FRACTION * total_s:
        raise InputError(f"the recordings are mostly silence: only {sound_s:.1f} s of {total_s:.1f} s is "
                         f"above {SILENCE_DB:.0f} dB (need {MIN_SOUND_SECONDS:.0f} s and "
                         f"{100 * MIN_SOUND_FRACTION:.0f} %); record closer or louder, or trim silences")
    pitched = float(np.mean(conf[sounding] > PITCH_CONF))
    if pitched < MIN_PITCHED:
        raise InputError(f"the recordings do not sound like one clear pitch at a time: only "
                         f"{100 * pitched:.0f} % of the sounding frames have a pitch confidence above "
                         f"{PITCH_CONF} (need {100 * MIN_PITCHED:.0f} %). Heist learns monophonic, "
                         "pitched instruments (no chords, drums, noise or full mixes)")
    return {"sound_seconds": sound_s, "pitched_fraction": pitched}


# ------------------------------------------------------------- progress

class Progress:
    def __init__(self, stream=sys.stdout) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_print = 0.0
        self.last_decile = -1

    def update(self, frac: float, step: int, eta_s: float, loss: float, held: float, final: bool = False) -> None:
        frac = min(1.0, max(0.0, frac))
        eta = f"{int(eta_s) // 60:d}:{int(eta_s) % 60:02d}" if math.isfinite(eta_s) else "?"
        held_s = f" held-out {held:.3f}" if math.isfinite(held) else ""
        text = f"{100 * frac:5.1f}% step {step} loss {loss:.3f}{held_s} ETA {eta}"
        if self.tty:
            w = 30
            n = int(round(frac * w))
            self.stream.write("\r[" + "#" * n + "." * (w - n) + "] " + text + "\033[K")
            if final:
                self.stream.write("\n")
            self.stream.flush()
            return
        now = time.time()
        decile = int(frac * 10)
        if final or decile != self.last_decile or now - self.last_print > 60:
            self.stream.write(f"heist-train: {text}\n")
            self.stream.flush()
            self.last_print, self.last_decile = now, decile


# --------------------------------------------------------------- training

def default_model() -> Optional[str]:
    """The shipped model: HEIST_DEFAULT_MODEL (set by the installed wrapper),
    else the source tree's models/heist-default.hsm; None if neither exists."""
    for p in (os.environ.get("HEIST_DEFAULT_MODEL"),
              os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models",
                           "heist-default.hsm")):
        if p and os.path.isfile(p):
            return p
    return None


def train(a, work: str, clips_tr, clips_ho, stats_new) -> dict:
    import torch
    from export import load_net
    from heist_model import HeistNet, ModelConfig, n_params, scale_features
    from train import Crops, Trainer, evaluate

    run = os.path.join(work, "run")
    os.makedirs(run, exist_ok=True)
    teacher = None
    init_sd = None  # a new model's starting weights (--init)
    if a.add_to:
        base, stats_old = load_net(a.add_to)
        # names are matched ignoring case (heist-render --param style_a=NAME does)
        if a.name.casefold() in (n.casefold() for n in base.cfg.style_names):
            raise InputError(f"{a.add_to} already has a style named {a.name!r}")
        if base.cfg.n_styles >= 256:
            raise InputError(f"{a.add_to} already has 256 styles")
        cfg = copy.deepcopy(base.cfg)
        cfg.n_styles += 1
        cfg.style_names = list(cfg.style_names) + [a.name]
        if a.model_name:
            cfg.name = a.model_name
        stats = [list(s) for s in stats_old] + [stats_new]
        new_style = cfg.n_styles - 1
        teacher = base
        for p in teacher.parameters():
            p.requires_grad_(False)
    else:
        cfg = ModelConfig(n_styles=1, style_names=[a.name], name=a.model_name or a.name,
                          gru_hidden=a.gru, dense_hidden=a.dense)
        stats = [stats_new]
        new_style = 0
        assert cfg.sample_rate == MODEL_RATE and cfg.frame_rate == FRAME_RATE
        init = None if a.from_scratch else (a.init or default_model())
        if init:
            try:
                init_net, _ = load_net(init)
            except Exception as e:  # noqa: BLE001 - any unreadable model: say which
                raise InputError(f"--init {init}: {e}")
            if (init_net.cfg.gru_hidden, init_net.cfg.dense_hidden, init_net.cfg.embed_dim) != \
                    (cfg.gru_hidden, cfg.dense_hidden, cfg.embed_dim):
                raise InputError(f"--init {init}: its network sizes differ from --gru/--dense; "
                                 "use --from-scratch")
            init_sd = init_net.state_dict()
            init_sd["embedding.weight"] = init_sd["embedding.weight"].mean(0, keepdim=True)
    for c in clips_tr + clips_ho:
        c.style = new_style

    torch.manual_seed(a.seed)
    net = HeistNet(cfg)
    if init_sd is not None:
        net.load_state_dict(init_sd)
        say(f"starting from the network of {a.init or default_model()}")
    if teacher is not None:
        with torch.no_grad():
            sd = teacher.state_dict()
            emb = sd["embedding.weight"]
            sd["embedding.weight"] = torch.cat([emb, emb.mean(0, keepdim=True)], 0)
            net.load_state_dict(sd)
    emb_params = [net.embedding.weight]
    rest = [p for n_, p in net.named_parameters() if not n_.startswith("embedding")]
    net_scale = a.net_lr_scale if teacher is not None else 1.0
    opt = torch.optim.Adam([{"params": emb_params, "scale": 1.0}, {"params": rest, "scale": net_scale}],
                           lr=a.lr)
    trainer = Trainer(a, net, opt, stats)
    ckpt_path = os.path.join(run, "ckpt.pt")
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if ck["config"] != cfg.to_dict():
            raise InputError(f"{work} holds a run of a different model ({ck['config']['style_names']}); "
                             "use another --work folder or --fresh")
        trainer.resume(ck)
        say(f"resuming at step {trainer.step} ({trainer.elapsed / 60:.1f} min trained)")
    rng = np.random.default_rng(a.seed + trainer.step)
    torch.manual_seed(a.seed + trainer.step)
    frames = int(round(a.seconds * cfg.frame_rate))
    tr = Crops(clips_tr, frames, cfg.hop)
    ho = Crops(clips_ho, frames, cfg.hop).fixed(a.eval_crops) if clips_ho else []
    say(f"model: {n_params(net)} parameters, styles {cfg.style_names}; budget {a.minutes:g} min"
        + (f" / {a.steps} steps" if a.steps < 10 ** 9 else ""))

    distill = None
    if teacher is not None and a.keep_weight > 0:
        S_old = teacher.cfg.n_styles

        def distill(f0, loud, conf):  # the old styles' outputs on the new material, pulled to the teacher's
            B, T1 = f0.shape
            old = torch.from_numpy(rng.integers(0, S_old, B)).long()
            feats = scale_features(cfg, f0, loud, conf)
            e = net.embed(old)[:, None, :].expand(B, T1, cfg.embed_dim)
            ys, _ = net.forward_raw(torch.cat([feats, e], -1))
            with torch.no_grad():
                et = teacher.embed(old)[:, None, :].expand(B, T1, cfg.embed_dim)
                yt, _ = teacher.forward_raw(torch.cat([feats, et], -1))
            return a.keep_weight * (ys - yt).abs().mean()

    stop = {"flag": False}

    def on_signal(signum, frame):  # finish the step, save, leave
        stop["flag"] = True

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    budget = trainer.budget
    bar = Progress()
    last_ho = trainer.history[-1][3] if trainer.history else float("nan")
    if ho and trainer.step == 0:
        last_ho = evaluate(net, ho, a.batch)
        trainer.best = last_ho
        trainer.history.append((0, 0.0, float("nan"), last_ho))
        trainer.checkpoint(os.path.join(run, "best.pt"))
    last_ckpt = time.time()
    while not trainer.finished and not stop["flag"]:
        loss, _ = trainer.train_step(tr, rng, distill)
        step, elapsed = trainer.step, trainer.elapsed
        done = trainer.finished or stop["flag"]
        if ho and (step % a.eval_every == 0 or done):
            last_ho = evaluate(net, ho, a.batch)
            trainer.keep_best(last_ho, os.path.join(run, "best.pt"))
        if step % 10 == 0 or done:
            trainer.close_window(last_ho)
        if step % a.ckpt_every == 0 or time.time() - last_ckpt > 120 or done:
            trainer.checkpoint(ckpt_path)
            last_ckpt = time.time()
        per_step = elapsed / max(1, step)
        eta = min(budget - elapsed, (a.steps - step) * per_step)
        shown = trainer.history[-1][2] if trainer.history else float("nan")  # the last window's mean
        bar.update(max(step / a.steps, elapsed / budget), step, eta,
                   shown if math.isfinite(shown) else float(loss), last_ho, final=done)
    trainer.checkpoint(ckpt_path)
    signal.signal(signal.SIGINT, old_int)
    signal.signal(signal.SIGTERM, old_term)
    step = trainer.step
    if stop["flag"]:
        say(f"interrupted at step {step}; checkpoint saved in {run}; run the same command to continue")
        sys.exit(130)
    return {"cfg": cfg, "run": run, "step": step, "elapsed": trainer.elapsed, "best": trainer.best,
            "history": trainer.history, "style": new_style}


# ------------------------------------------------------------ export, report

def export(result: dict, out: str) -> None:
    import torch
    from export import write_net
    from heist_model import HeistNet, ModelConfig, to_numpy_tensors
    run = result["run"]
    path = os.path.join(run, "best.pt")
    if not os.path.exists(path):
        path = os.path.join(run, "ckpt.pt")
    ck = torch.load(path)
    cfg = ModelConfig(**ck["config"])
    net = HeistNet(cfg)
    net.load_state_dict(ck["model"])
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_net(out, cfg, to_numpy_tensors(net), ck["stats"])
    result["exported_step"] = ck["step"]
    from quality import find_tool
    inspect = find_tool("heist-inspect", "HEIST_INSPECT")
    if inspect:
        r = subprocess.run([inspect, out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            os.replace(out, out + ".rejected")
            raise RuntimeError(f"the C engine rejects the exported model: {r.stdout.strip()}")


def loss_plot(history, path: str, title: str) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("matplotlib missing (apt-get install python3-matplotlib): no loss plot")
        return False
    h = np.array([(s, e, tl, hl) for s, e, tl, hl in history], dtype=np.float64).reshape(-1, 4)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    m = np.isfinite(h[:, 2])
    ax.plot(h[m, 0], h[m, 2], label="training loss (10-step mean)", lw=1)
    m = np.isfinite(h[:, 3])
    ax.plot(h[m, 0], h[m, 3], "o-", label="held-out loss", ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel("multi-scale spectral loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def spectrogram_png(x: np.ndarray, y: np.ndarray, sr: int, path: str, title: str) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    n = 1024
    hop = 256
    w = np.hanning(n)

    def spec(s):
        s = np.asarray(s[: 8 * sr], np.float64)
        if len(s) < n:
            s = np.pad(s, (0, n - len(s)))
        fr = np.lib.stride_tricks.sliding_window_view(s, n)[::hop] * w
        return 20 * np.log10(np.abs(np.fft.rfft(fr, axis=1)).T + 1e-6)

    fig, axs = plt.subplots(2, 1, figsize=(8, 5), dpi=90, sharex=True)
    for ax, s, lab in zip(axs, (x, y), ("input (held out)", "resynthesis")):
        S = spec(s)
        ax.imshow(S, origin="lower", aspect="auto", vmin=S.max() - 80, vmax=S.max(), cmap="magma",
                  extent=(0, S.shape[1] * hop / sr, 0, sr / 2000))
        ax.set_ylabel("kHz")
        ax.set_title(lab, fontsize=9)
    axs[1].set_xlabel("s")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def report(a, out: str, report_dir: str, work: str, man: dict, checks: dict, result: dict, stats) -> None:
    import quality
    from export import load_net
    from features import read_tsv  # noqa: F401
    from data import read_wav
    os.makedirs(report_dir, exist_ok=True)
    net, _ = load_net(out)
    cfg = net.cfg
    sr = int(cfg.sample_rate)
    held = sorted(os.path.join(work, "data", f) for f in os.listdir(os.path.join(work, "data"))
                  if f.startswith("heldout_") and f.endswith(".wav"))
    engine = "c" if quality.find_tool("heist-render", "HEIST_RENDER") else "torch"
    q = None
    if held:
        rdir = os.path.join(report_dir, "renders")
        os.makedirs(rdir, exist_ok=True)
        try:
            q = quality.evaluate_style(out, net, result["style"], held, rdir, engine)
        except Exception as e:  # a failed render must not lose the trained model
            say(f"quality evaluation failed: {e}")
            q = None
    has_plot = loss_plot(result["history"], os.path.join(report_dir, "loss.png"),
                         f"{a.name}: training")
    pngs = []
    if q:
        for i, base in enumerate(q["renders"][: a.report_clips]):
            x, _ = read_wav(base + ".orig.wav")
            y, _ = read_wav(base + ".resynth.wav")
            p = f"spectrogram-{i}.png"
            if spectrogram_png(x[:, 0], y[:, 0], sr, os.path.join(report_dir, p),
                               f"{a.name}: held-out clip {i} (first 8 s)"):
                pngs.append(p)
    s = stats[result["style"]]
    L = [f"# heist-train report: {a.name}", "",
         f"Model `{os.path.abspath(out)}`: {cfg.n_styles} style(s) {cfg.style_names}, "
         f"{result['step']} steps in {result['elapsed'] / 60:.1f} min "
         f"(exported step {result.get('exported_step')}, best held-out loss {result['best']:.3f}).", "",
         "## Data", "",
         f"* folder `{os.path.abspath(a.data)}`: {man['files']} file(s), {man['seconds']:.1f} s "
         f"(rates {', '.join(str(r) for r in man['rates'])} Hz), resampled to {sr} Hz mono",
         f"* training {man['train_seconds']:.1f} s, held out {man['heldout_seconds']:.1f} s",
         f"* sounding {checks['sound_seconds']:.1f} s; {100 * checks['pitched_fraction']:.0f} % of the "
         "sounding frames clearly pitched",
         f"* playing range: MIDI {s[0]:.1f}..{s[1]:.1f} (median {s[2]:.1f}), loudness "
         f"{s[3]:.1f}..{s[4]:.1f} dB (median {s[5]:.1f})", ""]
    if man.get("unreadable"):
        L += ["Skipped unreadable files:", ""] + [f"* {b}" for b in man["unreadable"]] + [""]
    if has_plot:
        L += ["## Training", "", "![loss](loss.png)", ""]
    if q:
        m = q["mean"]
        L += ["## Held-out resynthesis", "",
              f"Rendered by the {'C engine' if engine == 'c' else 'torch model'}; definitions in "
              "`train/quality.py` (baseline: a sawtooth with the same f0 and loudness envelope).", "",
              "| clips | seconds | spectral | baseline | loudness L1 dB | F0 L1 cents | F0 outliers |",
              "| --- | --- | --- | --- | --- | --- | --- |",
              f"| {len(q['files'])} | {m['seconds']:.1f} | {quality.fmt(m['spectral'])} | "
              f"{quality.fmt(m['spectral_baseline'])} | {quality.fmt(m['loudness_l1_db'])} | "
              f"{quality.fmt(m['f0_l1_cents'], 1)} | {quality.fmt(100 * m['f0_outliers'], 1)} % |", ""]
        if np.isfinite(m["spectral"]) and m["spectral"] >= m["spectral_baseline"]:
            L += ["**Warning:** the resynthesis is no closer to the recordings than the plain "
                  "sawtooth baseline: train longer (rerun with a larger --minutes) or check the material.", ""]
            say("warning: held-out resynthesis is not better than the sawtooth baseline (train longer?)")
        for p in pngs:
            L += [f"![{p}]({p})", ""]
        with open(os.path.join(report_dir, "quality.json"), "w") as f:
            json.dump(q, f, indent=1)
    with open(os.path.join(report_dir, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    say(f"report: {os.path.join(report_dir, 'report.md')}")


# ------------------------------------------------------------------- main

def reexec_with_malloc_env() -> None:
    # as train.py's (not imported from there: that would load torch before the input checks)
    MALLOC_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 36),
                  "MALLOC_TOP_PAD_": str(1 << 28)}
    if os.environ.get("MALLOC_MMAP_MAX_") is None:
        env = dict(os.environ, **MALLOC_ENV)
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(prog="heist-train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder of monophonic recordings")
    ap.add_argument("--name", required=True, help="style name (shown in the plugin; up to 47 bytes)")
    ap.add_argument("-o", "--out", required=True, help="model file to write (.hsm)")
    ap.add_argument("--add-to", metavar="EXISTING.hsm", help="add the style to this model")
    ap.add_argument("--init", metavar="MODEL.hsm",
                    help="a new model starts from this model's network (default: the shipped model)")
    ap.add_argument("--from-scratch", action="store_true", help="a new model starts from random weights")
    ap.add_argument("--model-name", help="model name in the header (default: the style name, or "
                                         "the existing model's)")
    ap.add_argument("--minutes", type=float, default=60.0, help="training time budget (default 60)")
    ap.add_argument("--steps", type=int, default=10 ** 9, help="step budget (default: none)")
    ap.add_argument("--work", help="work folder (checkpoints; default OUT.work)")
    ap.add_argument("--fresh", action="store_true", help="discard the work folder's run first")
    ap.add_argument("--report", help="report folder (default OUT-report)")
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--report-clips", type=int, default=3, help="spectrograms in the report")
    ap.add_argument("--heldout", type=float, default=0.1, help="held-out fraction (default 0.1)")
    ap.add_argument("--skip-unreadable", action="store_true", help="skip files that cannot be read")
    ap.add_argument("--min-seconds", type=float, default=MIN_SECONDS, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=2.0, help="training crop length")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-end", type=float, default=1e-4)
    ap.add_argument("--net-lr-scale", type=float, default=0.3,
                    help="--add-to: learning-rate factor of the shared network (embedding: 1)")
    ap.add_argument("--keep-weight", type=float, default=1.0,
                    help="--add-to: weight of the old styles' distillation loss")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--clip", type=float, default=3.0)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-crops", type=int, default=16)
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gru", type=int, default=192)
    ap.add_argument("--dense", type=int, default=128)
    a = ap.parse_args(argv)
    if len(a.name.encode()) > 47:
        ap.error("--name: at most 47 bytes (UTF-8)")
    if not a.name.strip():
        ap.error("--name: empty")
    out = a.out
    stem = out[:-4] if out.endswith(".hsm") else out
    work = a.work or stem + ".work"
    report_dir = a.report or stem + "-report"
    try:
        # the input checks run before torch is imported (bad material is refused fast)
        from features import load_dir, range_stats
        sr, frame_rate = MODEL_RATE, FRAME_RATE
        if a.add_to:
            from export import read_hsm
            try:
                cfg0 = read_hsm(a.add_to)[0]
            except (OSError, ValueError) as e:
                raise InputError(f"--add-to: {e}")
            sr, frame_rate = int(cfg0.sample_rate), cfg0.frame_rate
        hop = int(round(sr / frame_rate))
        if a.fresh and os.path.isdir(os.path.join(work, "run")):
            shutil.rmtree(os.path.join(work, "run"))
        os.makedirs(work, exist_ok=True)
        man = prepare(a, work, sr)
        say(f"{man['files']} file(s), {man['seconds']:.1f} s of audio: {man['train_seconds']:.1f} s "
            f"training, {man['heldout_seconds']:.1f} s held out")
        try:
            clips_tr = load_dir(os.path.join(work, "data", "train_"), 0, hop, sr)
            clips_ho = (load_dir(os.path.join(work, "data", "heldout_"), 0, hop, sr)
                        if man["heldout_clips"] else [])
        except (RuntimeError, subprocess.CalledProcessError, FileNotFoundError) as e:
            raise RuntimeError(f"feature analysis failed: {e}")
        checks = validate(clips_tr + clips_ho, frame_rate)
        stats_new = range_stats(clips_tr)
        say(f"sounding {checks['sound_seconds']:.1f} s, {100 * checks['pitched_fraction']:.0f} % pitched; "
            f"range MIDI {stats_new[0]:.1f}..{stats_new[1]:.1f}, {stats_new[3]:.1f}..{stats_new[4]:.1f} dB")
        import torch
        torch.set_num_threads(a.threads)
        result = train(a, work, clips_tr, clips_ho, stats_new)
        export(result, out)
        say(f"wrote {out} ({os.path.getsize(out)} bytes): styles {result['cfg'].style_names}")
        if not a.no_report:
            from export import read_hsm
            report(a, out, report_dir, work, man, checks, result, read_hsm(out)[2])
    except InputError as e:
        print(f"heist-train: error: {e}", file=sys.stderr)
        print("heist-train: no model written", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except (RuntimeError, OSError) as e:
        print(f"heist-train: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    reexec_with_malloc_env()
    main()
