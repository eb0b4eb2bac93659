#!/usr/bin/python3
"""Renders the test material (make_material.py) through heist-render, with
the default settings and with every factory preset, and prints what
measure.py finds: pitch follow (median cents, gross % over 50 cents, octave
%), clicks per minute (pitch excursions > 6 semitones shorter than 30 ms,
and broadband bursts the input does not have), the gate's output level in
the silences, input and output RMS over the voiced frames, and phrases in
which the octave offset changed.

    python3 tests/material/report.py --render build/tools/heist-render
    python3 tests/material/report.py --render build/tools/heist-render \\
        --presets none --material sung-low --variant clean room
    python3 tests/material/report.py --render build/tools/heist-render --no-pitch

Columns: ref = the reference trackers on the input itself (gross %: how
far the measure can be trusted on that file); med/gross/oct = the output;
exc = pitch excursions/min; burst = new broadband bursts/min; fejmp =
excursions/min of the f0 the engine synthesises (heist-analyze); gate = the
loudest 20 ms of output from 100 ms into each silence (dBFS); in/out =
RMS (dBFS) over voiced frames; phr = phrases whose octave offset changed /
phrases. The per-preset table sums all files (frame-weighted %).
"""

import argparse
import math
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "host"))
import make_material  # noqa: E402
import measure  # noqa: E402

PRESETS_DIR = os.path.join(ROOT, "presets")
DEFAULT_MODEL = os.path.join(ROOT, "models", "heist-default.hsm")


EFFECT_URI = "<http://heist.audio/plugins/heist>"


def preset_names() -> List[str]:
    """The effect's factory presets (Heist Synth's play MIDI, not audio)."""
    names = []
    for f in sorted(os.listdir(PRESETS_DIR)):
        if f.endswith(".ttl"):
            with open(os.path.join(PRESETS_DIR, f), encoding="utf-8") as fh:
                if "lv2:appliesTo " + EFFECT_URI in fh.read():
                    names.append(f[:-4])
    return names


def preset_params(name: str) -> Dict[str, float]:
    """A factory preset's port values (heist-render has no --preset: its
    values are passed as --param, read from the .ttl as hostlib does)."""
    import hostlib

    return hostlib.preset_values(PRESETS_DIR, name)


def render(render_bin: str, model: str, wav_in: str, wav_out: str,
           params: Dict[str, float]) -> None:
    cmd = [render_bin, wav_in, wav_out, "--quiet", "--model", model]
    for k, v in sorted(params.items()):
        cmd += ["--param", f"{k}={v!r}"]
    subprocess.run(cmd, check=True)


def analyze(analyze_bin: str, wav_in: str, lowest_pitch: Optional[float],
            out_tsv: str) -> np.ndarray:
    """heist-analyze's f0; without lowest_pitch at its default, which is the
    engine's (heist_config_default)."""
    floor = [] if lowest_pitch is None else ["--lowest-pitch", f"{lowest_pitch:g}"]
    subprocess.run([analyze_bin, wav_in, *floor, "-o", out_tsv],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return measure.read_analyze(out_tsv)


def evaluate(render_bin: str, model: str, wav_in: str, setting: str,
             params: Dict[str, float], work: str, cache: Optional[str],
             need_pitch: bool = True, analyze_bin: Optional[str] = None) -> Dict:
    """Renders one material file with one setting and measures it. Without
    need_pitch only the levels and the gate are measured (no tracking)."""
    base = os.path.splitext(os.path.basename(wav_in))[0]
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, f"{base}.{setting}.wav")
    render(render_bin, model, wav_in, out, params)
    truth = measure.Truth(wav_in)
    x, rate = measure.read_mono(wav_in)
    y, _ = measure.read_mono(out)
    res: Dict = {"file": base, "setting": setting, "seconds": len(x) / rate}
    res.update(measure.gate(truth, y, rate))
    res.update(measure.levels(truth, x, y, rate))
    if need_pitch:
        shift = 100.0 * params.get("pitch_shift", 0.0)
        auto = params.get("auto_octave", 0.0) >= 0.5
        ref = measure.follow(truth, measure.tracks(wav_in, cache))
        res["ref_gross"] = ref["gross"]
        tr = measure.tracks(out, cache)
        res.update(measure.follow(truth, tr, shift, per_phrase_octave=auto))
        res.update(measure.excursions(tr, res["seconds"]))
        res.update(measure.new_bursts(x, y, rate, res["seconds"]))
        if analyze_bin:
            lp = params.get("lowest_pitch")  # None: the engine's default floor
            f0 = analyze(analyze_bin, wav_in, lp, os.path.join(work, f"{base}.{setting}.tsv"))
            res.update(measure.frontend_jumps(f0, res["seconds"]))
        oc = measure.octave_changes(truth, tr, shift)
        res["phr_changed"], res["phr_total"], res["phr_detail"] = (
            oc["changed"], oc["phrases"], oc["detail"])
    return res


def _job(args: Tuple) -> Dict:
    return evaluate(*args)


def fmt(v: float, w: int = 6, p: int = 1) -> str:
    return f"{v:{w}.{p}f}" if isinstance(v, (int, float)) and math.isfinite(v) else f"{'-':>{w}}"


def print_files(rows: List[Dict], title: str) -> None:
    print(f"\n## {title}\n")
    print(f"{'material':24s} {'ref':>5s} {'med':>6s} {'gross':>6s} {'oct':>6s} {'exc':>6s} "
          f"{'burst':>6s} {'fejmp':>6s} {'gate':>7s} {'in':>6s} {'out':>6s} {'phr':>5s}")
    for r in rows:
        print(f"{r['file']:24s} {fmt(r.get('ref_gross'), 5)} {fmt(r.get('median'))} "
              f"{fmt(r.get('gross'))} {fmt(r.get('octave'))} {fmt(r.get('excursions_per_min'))} "
              f"{fmt(r.get('bursts_per_min'))} {fmt(r.get('fe_jumps_per_min'))} "
              f"{fmt(r.get('gate_db'), 7)} {fmt(r['in_db'])} "
              f"{fmt(r['out_db'])} {r.get('phr_changed', 0)}/{r.get('phr_total', 0):<3d}")


def summarize(rows: List[Dict]) -> Dict:
    frames = sum(r.get("frames", 0) for r in rows)
    minutes = sum(r["seconds"] for r in rows) / 60.0
    w = lambda k: sum(r.get(k, 0) * r.get("frames", 0) for r in rows if math.isfinite(r.get(k, 0)))
    gates = [r["gate_db"] for r in rows if math.isfinite(r.get("gate_db", math.nan))
             and r["file"].split(".")[-1] in ("room", "hum")]
    diffs = [r["out_db"] - r["in_db"] for r in rows
             if math.isfinite(r["out_db"]) and math.isfinite(r["in_db"])]
    meds = [r["median"] for r in rows if math.isfinite(r.get("median", math.nan))]

    def per_min(key: str) -> float:
        have = [r for r in rows if key in r]
        return sum(r[key] for r in have) / minutes if have else math.nan
    return {
        "median": float(np.median(meds)) if meds else math.nan,
        "gross": w("gross") / frames if frames else math.nan,
        "octave": w("octave") / frames if frames else math.nan,
        "exc": per_min("excursions"),
        "burst": per_min("bursts"),
        "fejmp": per_min("fe_jumps"),
        "gate": max(gates) if gates else math.nan,
        "diff_med": float(np.median(diffs)) if diffs else math.nan,
        "diff_lo": min(diffs) if diffs else math.nan,
        "diff_hi": max(diffs) if diffs else math.nan,
        "phr": f"{sum(r.get('phr_changed', 0) for r in rows)}/"
               f"{sum(r.get('phr_total', 0) for r in rows)}",
    }


def print_settings(by_setting: Dict[str, List[Dict]]) -> None:
    print("\n## Per setting, all files (out-in: median dB [lowest, highest])\n")
    print(f"{'setting':28s} {'med':>6s} {'gross':>6s} {'oct':>6s} {'exc':>6s} {'burst':>6s} "
          f"{'fejmp':>6s} {'gate':>7s} {'out-in':>6s} {'range':>15s} {'phr':>7s}")
    for name, rows in by_setting.items():
        s = summarize(rows)
        print(f"{name:28s} {fmt(s['median'])} {fmt(s['gross'])} {fmt(s['octave'])} "
              f"{fmt(s['exc'])} {fmt(s['burst'])} {fmt(s['fejmp'])} {fmt(s['gate'], 7)} "
              f"{fmt(s['diff_med'])} "
              f"  [{fmt(s['diff_lo'])},{fmt(s['diff_hi'])}] {s['phr']:>7s}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--render", required=True, help="heist-render")
    p.add_argument("--analyze", default=None,
                   help="heist-analyze (default: next to --render)")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--material-dir",
                   default=os.path.join(ROOT, "build", "tests", "material", "material"),
                   help="where the material is made and kept (default: the tests' own)")
    p.add_argument("--work", default=None, help="renders (default MATERIAL_DIR/renders)")
    p.add_argument("--material", nargs="*", default=None, help="names (default: all)")
    p.add_argument("--variant", nargs="*", default=None, help="variants (default: all)")
    p.add_argument("--presets", nargs="*", default=None,
                   help="preset names, or 'none' (default: all in presets/)")
    p.add_argument("--full", action="store_true", help="a per-file table for every preset")
    p.add_argument("--no-pitch", action="store_true",
                   help="levels and gate only: no tracking (fast; the per-preset levels)")
    p.add_argument("--jobs", type=int, default=2)
    a = p.parse_args()
    work = a.work or os.path.join(a.material_dir, "renders")
    cache = os.path.join(a.material_dir, "tracks")
    names = a.material or list(make_material.MATERIALS)
    files = []
    for n in names:
        for f in make_material.ensure(a.material_dir, n):
            if a.variant is None or f.split(".")[-2] in a.variant:
                files.append(f)
    settings: List[Tuple[str, Dict[str, float]]] = [("default", {})]
    presets = preset_names() if a.presets is None else [x for x in a.presets if x != "none"]
    settings += [(n, preset_params(n)) for n in presets]
    analyze_bin = a.analyze or os.path.join(os.path.dirname(a.render), "heist-analyze")
    jobs = [(a.render, a.model, f, s, prm, work, cache, not a.no_pitch, analyze_bin)
            for s, prm in settings for f in files]
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        results = list(ex.map(_job, jobs))
    by_setting: Dict[str, List[Dict]] = {}
    for r in results:
        by_setting.setdefault(r["setting"], []).append(r)
    print(f"# Heist material report ({len(files)} files, {len(settings)} settings; "
          f"{a.render}, {a.model})")
    print_files(by_setting["default"], "Default settings, per file")
    if a.full:
        for s, rows in by_setting.items():
            if s != "default":
                print_files(rows, f"Preset {s}, per file")
    print_settings(by_setting)
    return 0


if __name__ == "__main__":
    sys.exit(main())
