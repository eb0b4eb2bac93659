#!/usr/bin/python3
"""Quality report of a Heist style model, per style, on held-out material.

    quality.py MODEL.hsm --style NAME=DIR_OR_PREFIX [--style ...] \
               [--transfer DIR_OR_FILE ...] --out DIR [--engine c|torch]

--style NAME=X: held-out recordings of style NAME (a style name or index in
the model): X is a folder (every audio file in it), a single file, or a
PREFIX (PREFIX*.wav). Each is resynthesised (the style's own pitch and
loudness through the model) by the C engine (`heist-render --param
style_a=N`, the plugin's code; default) or by the torch model (--engine
torch), and compared with the original:

* spectral distance: the training loss (train.spectral_loss, multi-scale FFT
  2048..64, L1 of magnitudes + L1 of log magnitudes), mean over 2 s chunks.
  Baseline: a band-limited sawtooth (harmonic h at 1/h) on the analyser's f0
  with the original's loudness envelope (per-frame RMS matched over 40 ms),
  i.e. "right pitch and dynamics, no timbre"; a model should be well below it.
* loudness L1 (dB): mean |loudness(resynth) - loudness(original)| of the
  A-weighted loudness from heist-analyze, over frames where the original is
  above -70 dB (silence floors excluded).
* F0 L1 (cents): mean |1200 log2(f0_resynth / f0_original)| over frames where
  the original's pitch confidence >= 0.85 (the DDSP paper's CREPE threshold)
  and the resynthesis is voiced; F0 outliers: the fraction of those confident
  frames whose error is > 100 cents or whose resynthesis has no pitch.

--transfer X (another instrument's line): rendered into every style; output
pitch against input pitch (median |cents| over frames confident (>= 0.85) in
the input, and the gross-error rate: > 100 cents off or unvoiced), and the
correlation of output with input loudness over frames above -70 dB.

Writes DIR/quality.md (markdown tables) and DIR/quality.json, plus the
renders (DIR/*.wav). The analyser and renderer are found as in
features.find_analyzer (HEIST_ANALYZE / HEIST_RENDER, build*/tools, PATH).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audio_in import AudioError, is_audio_name, load_for_model  # noqa: E402
from data import write_wav  # noqa: E402
from features import REPO, analyze, midi, read_tsv  # noqa: E402
from heist_model import HeistNet, scale_features  # noqa: E402
from heist_synth import harmonic_amplitudes, harmonic_render, noise_render  # noqa: E402

CONFIDENT = 0.85  # DDSP: CREPE confidence threshold for the F0 metrics
LOUD_FLOOR = -70.0  # dB: frames below are silence for the loudness metrics
OUTLIER_CENTS = 100.0


def find_tool(name: str, env: str) -> Optional[str]:
    v = os.environ.get(env)
    if v:
        return v
    cands = sorted(glob.glob(os.path.join(REPO, "build*", "tools", name)),
                   key=lambda p: -os.path.getmtime(p))
    if cands:
        return cands[0]
    return shutil.which(name)


# ------------------------------------------------------------------ rendering

def resynth_torch(net: HeistNet, style: int, f0: np.ndarray, loud: np.ndarray, conf: np.ndarray,
                  seed: int = 0) -> np.ndarray:
    """The model's resynthesis from features (zero initial state), model rate."""
    cfg = net.cfg
    f = torch.from_numpy(np.asarray(f0, np.float32))[None]
    with torch.no_grad():
        feats = scale_features(cfg, f, torch.from_numpy(np.asarray(loud, np.float32))[None],
                               torch.from_numpy(np.asarray(conf, np.float32))[None])
        amp, dist, noise = net.controls(feats, torch.tensor([style]))
        amps = harmonic_amplitudes(amp, dist, f, cfg.sample_rate / 2)
        y = harmonic_render(f, amps, cfg.hop, cfg.sample_rate, cfg.sample_rate / 2)
        g = torch.Generator().manual_seed(seed)
        y = y + noise_render(noise, cfg.frame_rate, cfg.sample_rate, cfg.sample_rate, y.shape[1], g)
    return y[0].numpy().astype(np.float32)


def render_c(model: str, wav_in: str, wav_out: str, style: int, params: Sequence[str] = ()) -> None:
    exe = find_tool("heist-render", "HEIST_RENDER")
    if exe is None:
        raise RuntimeError("heist-render not found (build it, or use --engine torch)")
    cmd = [exe, wav_in, wav_out, "--model", model, "--quiet", "--param", f"style_a={style}",
           "--param", f"style_b={style}", "--param", "morph=0"]
    for p in params:
        cmd += ["--param", p]
    subprocess.run(cmd, check=True)


def sawtooth_baseline(audio: np.ndarray, f0: np.ndarray, hop: int, sr: float, frame_rate: float
                      ) -> np.ndarray:
    """Band-limited sawtooth on the f0 track with the original's RMS envelope."""
    nh = 60
    f = torch.from_numpy(np.asarray(f0, np.float32))[None]
    dist = torch.from_numpy((1.0 / np.arange(1, nh + 1)).astype(np.float32))
    dist = dist.expand(1, len(f0), nh)
    amps = harmonic_amplitudes(torch.ones(1, len(f0)), dist, f, sr / 2)
    with torch.no_grad():
        y = harmonic_render(f, amps, hop, sr, sr / 2)[0].numpy().astype(np.float64)
    n = min(len(y), len(audio))
    y, a = y[:n], np.asarray(audio[:n], np.float64)
    w = max(1, int(0.04 * sr))
    k = np.ones(w) / w
    env_a = np.sqrt(np.convolve(a * a, k, mode="same"))
    env_y = np.sqrt(np.convolve(y * y, k, mode="same"))
    out = y * env_a / np.maximum(env_y, 1e-6)
    out[env_y < 1e-6] = 0.0
    return out.astype(np.float32)


# -------------------------------------------------------------------- metrics

def spectral_distance(y: np.ndarray, ref: np.ndarray, sr: float, chunk_s: float = 2.0) -> float:
    from train import spectral_loss
    n = min(len(y), len(ref))
    chunk = int(chunk_s * sr)
    if n < chunk:
        chunk = n
    if chunk < 2048:
        return float("nan")
    vals = []
    with torch.no_grad():
        for i in range(0, n - chunk + 1, chunk):
            vals.append(float(spectral_loss(torch.from_numpy(np.ascontiguousarray(y[i:i + chunk]))[None],
                                            torch.from_numpy(np.ascontiguousarray(ref[i:i + chunk]))[None])))
    return float(np.mean(vals))


def resynthesis_metrics(orig: dict, res: dict) -> Dict[str, float]:
    """DDSP-style loudness L1 (dB) and F0 L1 (cents) + outlier rate."""
    K = min(len(orig["f0"]), len(res["f0"]))
    lo, lr = orig["loudness"][:K], res["loudness"][:K]
    lm = lo > LOUD_FLOOR
    conf = (orig["confidence"][:K] >= CONFIDENT) & (orig["f0_raw"][:K] > 0) & lm
    voiced = res["f0_raw"][:K] > 0
    both = conf & voiced
    cents = 1200 * np.abs(np.log2(np.maximum(res["f0_raw"][:K][both], 1e-6) /
                                  np.maximum(orig["f0_raw"][:K][both], 1e-6)))
    n_conf = int(conf.sum())
    outliers = (int((cents > OUTLIER_CENTS).sum()) + int((conf & ~voiced).sum())) / max(1, n_conf)
    return {
        "loudness_l1_db": float(np.mean(np.abs(lo[lm] - lr[lm]))) if lm.any() else float("nan"),
        "f0_l1_cents": float(np.mean(cents)) if len(cents) else float("nan"),
        "f0_outliers": float(outliers) if n_conf else float("nan"),
        "confident_frames": n_conf,
    }


def transfer_metrics(inp: dict, out: dict) -> Dict[str, float]:
    K = min(len(inp["f0"]), len(out["f0"]))
    lm = inp["loudness"][:K] > LOUD_FLOOR
    conf = (inp["confidence"][:K] >= CONFIDENT) & (inp["f0_raw"][:K] > 0) & lm
    voiced = out["f0_raw"][:K] > 0
    both = conf & voiced
    cents = 1200 * np.abs(np.log2(np.maximum(out["f0_raw"][:K][both], 1e-6) /
                                  np.maximum(inp["f0_raw"][:K][both], 1e-6)))
    n = int(conf.sum())
    gross = (int((cents > OUTLIER_CENTS).sum()) + int((conf & ~voiced).sum())) / max(1, n)
    li, lo = inp["loudness"][:K][lm], out["loudness"][:K][lm]
    corr = float(np.corrcoef(li, lo)[0, 1]) if lm.sum() > 2 and np.std(lo) > 0 else float("nan")
    return {"pitch_median_cents": float(np.median(cents)) if len(cents) else float("nan"),
            "gross_error_rate": float(gross) if n else float("nan"),
            "loudness_corr": corr, "confident_frames": n}


def features_of(wav: str, tsv: str) -> dict:
    analyze(wav, tsv)
    return read_tsv(tsv)


# --------------------------------------------------------------------- driver

def collect(spec: str) -> List[str]:
    if os.path.isdir(spec):
        return sorted(os.path.join(spec, f) for f in os.listdir(spec) if is_audio_name(f))
    if os.path.isfile(spec):
        return [spec]
    return sorted(glob.glob(spec + "*.wav"))


def style_index(names: List[str], s: str) -> int:
    if s in names:
        return names.index(s)
    try:
        i = int(s)
    except ValueError:
        raise SystemExit(f"quality.py: no style {s!r} in the model (styles: {', '.join(names)})")
    if not 0 <= i < len(names):
        raise SystemExit(f"quality.py: style index {i} outside 0..{len(names) - 1}")
    return i


def evaluate_style(model: str, net: HeistNet, style: int, wavs: List[str], out: str, engine: str,
                   params: Sequence[str] = (), tag: str = "") -> dict:
    """Resynthesis metrics over the files (each as model-rate mono)."""
    cfg = net.cfg
    sr = int(cfg.sample_rate)
    per, rows = [], []
    for w in wavs:
        base = os.path.join(out, f"{tag}{os.path.splitext(os.path.basename(w))[0]}")
        x, _ = load_for_model(w, sr)
        write_wav(base + ".orig.wav", x, sr)
        fo = features_of(base + ".orig.wav", base + ".orig.tsv")
        if engine == "c":
            render_c(model, base + ".orig.wav", base + ".resynth.wav", style, params)
        else:
            K = min(len(fo["f0"]), (len(x) - 1) // cfg.hop + 1)
            y = resynth_torch(net, style, fo["f0"][:K], fo["loudness"][:K], fo["confidence"][:K])
            write_wav(base + ".resynth.wav", y, sr)
        y, _ = load_for_model(base + ".resynth.wav", sr)
        fr = features_of(base + ".resynth.wav", base + ".resynth.tsv")
        b = sawtooth_baseline(x, fo["f0"], cfg.hop, sr, cfg.frame_rate)
        write_wav(base + ".baseline.wav", b, sr)
        m = resynthesis_metrics(fo, fr)
        m["spectral"] = spectral_distance(y, x, sr)
        m["spectral_baseline"] = spectral_distance(b, x, sr)
        m["seconds"] = len(x) / sr
        m["file"] = os.path.basename(w)
        per.append(m)
        rows.append(base)
    return {"files": per, "mean": mean_metrics(per), "renders": rows}


def mean_metrics(per: List[dict]) -> dict:
    keys = ["spectral", "spectral_baseline", "loudness_l1_db", "f0_l1_cents", "f0_outliers"]
    w = np.array([p["seconds"] for p in per], np.float64)
    out = {}
    for k in keys:
        v = np.array([p[k] for p in per], np.float64)
        ok = np.isfinite(v)
        out[k] = float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")
    out["seconds"] = float(w.sum())
    return out


def evaluate_transfer(model: str, net: HeistNet, style: int, wavs: List[str], out: str, engine: str,
                      params: Sequence[str] = ()) -> dict:
    cfg = net.cfg
    sr = int(cfg.sample_rate)
    per = []
    for w in wavs:
        base = os.path.join(out, f"transfer-{style}-{os.path.splitext(os.path.basename(w))[0]}")
        x, _ = load_for_model(w, sr)
        write_wav(base + ".in.wav", x, sr)
        fi = features_of(base + ".in.wav", base + ".in.tsv")
        if engine == "c":
            render_c(model, base + ".in.wav", base + ".out.wav", style, params)
        else:
            K = min(len(fi["f0"]), (len(x) - 1) // cfg.hop + 1)
            write_wav(base + ".out.wav", resynth_torch(net, style, fi["f0"][:K], fi["loudness"][:K],
                                                       fi["confidence"][:K]), sr)
        fo = features_of(base + ".out.wav", base + ".out.tsv")
        m = transfer_metrics(fi, fo)
        m["file"] = os.path.basename(w)
        m["seconds"] = len(x) / sr
        per.append(m)
    keys = ["pitch_median_cents", "gross_error_rate", "loudness_corr"]
    mean = {k: float(np.nanmean([p[k] for p in per])) for k in keys}
    return {"files": per, "mean": mean}


def fmt(v: float, d: int = 2) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.{d}f}"


def markdown(model: str, names: List[str], res: dict, transfer: dict, engine: str) -> str:
    L = [f"# Quality report: `{os.path.basename(model)}`", "",
         f"Renders by the {'C engine (heist-render)' if engine == 'c' else 'torch model'}; "
         "definitions in `train/quality.py`. Spectral: multi-scale spectral distance "
         "(training loss, lower is better) of the resynthesis and of the sawtooth baseline "
         "(right f0 and loudness envelope, no timbre). Loudness L1 over frames above -70 dB; "
         "F0 L1 and outliers (> 100 cents or unvoiced) over frames with confidence >= 0.85.", ""]
    if res:
        L += ["## Resynthesis of held-out recordings", "",
              "| style | seconds | spectral | baseline | loudness L1 dB | F0 L1 cents | F0 outliers |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
        for s, r in res.items():
            m = r["mean"]
            L.append(f"| {s} | {m['seconds']:.1f} | {fmt(m['spectral'])} | {fmt(m['spectral_baseline'])} | "
                     f"{fmt(m['loudness_l1_db'])} | {fmt(m['f0_l1_cents'], 1)} | "
                     f"{fmt(100 * m['f0_outliers'], 1)} % |")
        L.append("")
    if transfer:
        L += ["## Transfer (another instrument's line into each style)", "",
              "| style | input pitch → output pitch, median abs cents | gross errors (> 100 cents) | loudness corr |",
              "| --- | --- | --- | --- |"]
        for s, r in transfer.items():
            m = r["mean"]
            L.append(f"| {s} | {fmt(m['pitch_median_cents'], 1)} | {fmt(100 * m['gross_error_rate'], 1)} % | "
                     f"{fmt(m['loudness_corr'], 3)} |")
        L.append("")
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--style", action="append", default=[], metavar="NAME=DIR|FILE|PREFIX",
                    help="held-out recordings of a style (name or index)")
    ap.add_argument("--transfer", action="append", default=[], metavar="DIR|FILE|PREFIX",
                    help="another instrument's line, rendered into every style of --style "
                         "(or every style of the model when no --style)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--engine", choices=["c", "torch"], default="c")
    ap.add_argument("--param", action="append", default=[], help="extra heist-render control NAME=VALUE")
    a = ap.parse_args()
    torch.set_num_threads(1)
    from export import load_net
    net, _ = load_net(a.model)
    names = net.cfg.style_names
    os.makedirs(a.out, exist_ok=True)
    res, transfer = {}, {}
    styles = []
    try:
        for spec in a.style:
            if "=" not in spec:
                ap.error(f"--style {spec!r}: expected NAME=DIR|FILE|PREFIX")
            s, path = spec.split("=", 1)
            i = style_index(names, s)
            wavs = collect(path)
            if not wavs:
                ap.error(f"--style {spec}: no audio files")
            styles.append(i)
            res[names[i]] = evaluate_style(a.model, net, i, wavs, a.out, a.engine, a.param, tag=f"s{i}-")
            m = res[names[i]]["mean"]
            print(f"{names[i]}: spectral {m['spectral']:.3f} (baseline {m['spectral_baseline']:.3f}), "
                  f"loudness L1 {m['loudness_l1_db']:.2f} dB, F0 L1 {m['f0_l1_cents']:.1f} cents, "
                  f"outliers {100 * m['f0_outliers']:.1f} %", flush=True)
        if a.transfer:
            twavs = [w for spec in a.transfer for w in collect(spec)]
            if not twavs:
                ap.error("--transfer: no audio files")
            for i in (styles or range(len(names))):
                transfer[names[i]] = evaluate_transfer(a.model, net, i, twavs, a.out, a.engine, a.param)
                m = transfer[names[i]]["mean"]
                print(f"transfer -> {names[i]}: pitch {m['pitch_median_cents']:.1f} cents median, "
                      f"gross {100 * m['gross_error_rate']:.1f} %, loudness corr {m['loudness_corr']:.3f}",
                      flush=True)
    except (AudioError, RuntimeError, subprocess.CalledProcessError) as e:
        print(f"quality.py: {e}", file=sys.stderr)
        sys.exit(1)
    md = markdown(a.model, names, res, transfer, a.engine)
    with open(os.path.join(a.out, "quality.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(a.out, "quality.json"), "w") as f:
        json.dump({"model": a.model, "engine": a.engine, "resynthesis": res, "transfer": transfer}, f,
                  indent=1)
    print(md)


if __name__ == "__main__":
    main()
