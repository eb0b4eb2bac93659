#!/usr/bin/python3
"""The network through the PyTorch reference (train/heist_model.py), one frame
at a time as a plugin would run it, on the frames heist-bench recorded.

    torch_net.py TRAIN_DIR MODEL.hsm FRAMES.bin N_FRAMES N_INPUTS

FRAMES.bin holds float32 inputs[N_FRAMES][N_INPUTS] (scaled features and
embedding, exactly what heist_net_step() is given). Prints one line:
    <median us per frame> <BLAS> <torch threads>
or "n/a <reason>" when PyTorch cannot run.
"""
import os
import sys
import time


def main() -> int:
    train, model, frames, T, I = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(
        sys.argv[5])
    try:
        import numpy as np
        import torch
    except ImportError as e:
        print(f"n/a PyTorch/numpy missing for {sys.executable} ({e.name})")
        return 0
    sys.path.insert(0, train)
    from export import load_net  # noqa: E402

    torch.set_num_threads(1)  # the plugin runs on one thread too
    net, _ = load_net(model)
    x = torch.from_numpy(np.fromfile(frames, dtype="<f4").reshape(1, T, I).copy())
    cfg = torch.__config__.show()
    blas = "unknown"
    for line in cfg.splitlines():
        if "BLAS_INFO" in line:
            blas = line.split("BLAS_INFO=")[1].split(",")[0]
    # Which libblas.so.3 the dynamic linker resolves (Debian alternatives).
    alt = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    if os.path.exists(alt):
        target = os.path.realpath(alt)
        blas += "->" + ("openblas" if "openblas" in target else
                        "atlas" if "atlas" in target else "netlib" if "blas/" in target
                        else os.path.basename(os.path.dirname(target)))
    best = []
    with torch.inference_mode():
        for rep in range(3):
            h = None
            t0 = time.perf_counter()
            for t in range(T):
                _, h = net.forward(x[:, t:t + 1, :], h)
            best.append((time.perf_counter() - t0) / T)
    best.sort()
    print(f"{best[len(best) // 2] * 1e6:.2f} {blas} {torch.get_num_threads()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
