#!/usr/bin/python3
"""Screen for a loudness-dependent spectral correction (issue 13): the
shipped fit of style_eq.py (3 pitch anchors) against 3 pitch x 2 loudness
anchors (the style's 20/80 % loudness quantiles, curves interpolated
bilinearly, the same least squares and refinement), on style_eq.py's own
measure: in-sample, on the held-out FluidR3 performance, and on its louder
half (frames at or above the style's median loudness).

    speq_loudness_screen.py MODEL.hsm "trumpet,alto sax" [--data DIR]

DIR as style_eq.py's --data (default train/work/default14/data: training
sound sets only, never TimGM6mb nor MuseScore_General). Writes nothing; the
numbers are in train/README.md ("A loudness-dependent correction").
"""
import argparse
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import style_eq as se  # noqa: E402
from data import read_wav  # noqa: E402


def weights2(p, pa, la):
    """[frame][pitch anchor x loudness anchor] bilinear weights."""
    wp = se.hat_weights(p.midi, pa)
    wl = se.hat_weights(p.loud, la)
    return (wp[:, :, None] * wl[:, None, :]).reshape(len(wp), -1)


def fit2(grid, pairs, pa, la, iters=3):
    """style_eq.fit_style with pitch x loudness anchors."""
    px = np.concatenate([p.px for p in pairs])
    py = np.concatenate([p.py for p in pairs])
    w = np.concatenate([weights2(p, pa, la) for p in pairs])
    target = se.shape(px, grid.fit)
    curves = np.zeros((w.shape[1], len(grid.centres)))
    for _ in range(iters):
        d = target - se.shape(py * se.bin_gains(grid, curves, w), grid.fit)
        curves = curves + se.lsq_curves(w, d - d.mean(axis=1, keepdims=True))
        curves = np.clip(curves - curves.mean(), -se.SPEQ_MAX_DB, se.SPEQ_MAX_DB)
    return curves


def dist2(grid, pairs, pa, la, curves):
    px = np.concatenate([p.px for p in pairs])
    py = np.concatenate([p.py for p in pairs])
    w = np.concatenate([weights2(p, pa, la) for p in pairs])
    return se.frame_dist(se.shape(px, grid.timbre),
                         se.shape(py * se.bin_gains(grid, curves, w), grid.timbre))


def louder(pairs, lo):
    """The pairs' frames at or above loudness lo."""
    out = []
    for p in pairs:
        q = se.Pair.__new__(se.Pair)
        m = p.loud >= lo
        q.px, q.py, q.midi, q.loud = p.px[m], p.py[m], p.midi[m], p.loud[m]
        out.append(q)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("styles", help="comma-separated style names")
    ap.add_argument("--data", default=se.DEFAULT_DATA)
    a = ap.parse_args()
    data, hdr, names, net_end, secs = se.read_model(a.model)
    centres = se.fit_centres(0.5 * hdr["sample_rate"], 32)
    grids = {}

    def grid_for(rate):
        if rate not in grids:
            grids[rate] = se.Grid(rate, centres)
        return grids[rate]

    files = se.style_files(names, a.data, None)
    print(f"{'style':<12} fitted: none pitch pitch x loud | held out | held out, louder half")
    with tempfile.TemporaryDirectory() as work:
        plain = os.path.join(work, "plain.hsm")
        with open(plain, "wb") as f:  # the network's own envelope: no SPEQ
            f.write(se.with_sections(data, net_end, [s for s in secs if s[0] != se.SPEQ_TAG]))
        for name in a.styles.split(","):
            s = names.index(name)
            tr, ho = files[name]
            pairs = se.load_pairs(grid_for, plain, s, tr, work)
            held = se.load_pairs(grid_for, plain, s, ho, work)
            grid = grid_for(read_wav(tr[0])[1])
            midi = np.concatenate([p.midi for p in pairs])
            loud = np.concatenate([p.loud for p in pairs])
            pa = [float(v) for v in np.percentile(midi, [10, 50, 90])]
            for k in range(1, 3):  # as style_eq.py: 1 semitone apart at least
                pa[k] = max(pa[k], pa[k - 1] + 1.0)
            la = [float(v) for v in np.percentile(loud, [20, 80])]
            c1 = se.fit_style(grid, pairs, pa)
            c2 = fit2(grid, pairs, pa, la)
            row = []
            for ps in (pairs, held, louder(held, float(np.median(loud)))):
                row.append((se.timbre_dist(grid, ps, pa, None), se.timbre_dist(grid, ps, pa, c1),
                            dist2(grid, ps, pa, la, c2)))
            print(f"{name:<12} " + " | ".join(" / ".join(f"{v:.2f}" for v in r) for r in row),
                  flush=True)


if __name__ == "__main__":
    main()
