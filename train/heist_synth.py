"""Heist synthesis for training and for the parity references.

This is the training side of dsp/synth.h; the two must stay equal.

* `harmonic_amplitudes` — the frame-level rule that turns the network's
  amplitude and harmonic distribution into per-harmonic amplitudes. The C
  engine applies exactly the same rule (see its docstring).
* `harmonic_render_ref` — numpy float64 reference of
  heist_synth_harmonic_render() for any sample rate (fractional frame clock).
* `harmonic_render` — the torch version used in training (integer hop, float32,
  harmonics by the Chebyshev recurrence, amplitude interpolation as a batched
  matrix product); equal to the reference within a few 1e-6.
* `noise_render` — filtered-noise grains as in synth.h (statistically equal to
  the C engine, not sample-equal: the noise source differs).
"""
from __future__ import annotations

import math

import numpy as np
import torch

# Denominator floor of the harmonic normalisation (as DDSP's safe_divide).
NORM_EPS = 1e-7


def harmonic_amplitudes(amplitude: torch.Tensor, distribution: torch.Tensor, f0: torch.Tensor,
                        limit: float) -> torch.Tensor:
    """Per-harmonic amplitudes of one frame (any leading shape).

    amplitude [...], distribution [..., NH], f0 [...] in Hz, limit in Hz.
    The rule, which the C engine must copy exactly:

        m_h = 1 if f0 > 0 and h * f0 < limit else 0      (h = 1 .. NH)
        s   = sum_h distribution_h * m_h
        a_h = amplitude * distribution_h * m_h / s        (0 if s = 0)

    (Written as / max(s, 1e-7): every distribution_h >= 1e-7 by exp_sigmoid,
    so s is either 0 or >= 1e-7 and both forms agree.) In training limit =
    model sample_rate / 2 (12000 Hz). The engine passes the limit it
    synthesises with (min of the model's and the host's Nyquist), and f0 is
    the frame's f0 after any pitch shift. f0 = 0 (nothing voiced yet) silences
    every harmonic.
    """
    nh = distribution.shape[-1]
    h = torch.arange(1, nh + 1, dtype=distribution.dtype, device=distribution.device)
    f0e = f0.unsqueeze(-1)
    mask = ((f0e > 0) & (h * f0e < limit)).to(distribution.dtype)
    d = distribution * mask
    s = d.sum(-1, keepdim=True).clamp_min(NORM_EPS)
    return amplitude.unsqueeze(-1) * d / s


def harmonic_amplitudes_np(amplitude: np.ndarray, distribution: np.ndarray, f0: np.ndarray,
                           limit: float) -> np.ndarray:
    """numpy float64 twin of harmonic_amplitudes (for the references)."""
    nh = distribution.shape[-1]
    h = np.arange(1, nh + 1, dtype=np.float64)
    f0e = np.asarray(f0, np.float64)[..., None]
    mask = ((f0e > 0) & (h * f0e < limit)).astype(np.float64)
    d = np.asarray(distribution, np.float64) * mask
    s = np.maximum(d.sum(-1, keepdims=True), NORM_EPS)
    return np.asarray(amplitude, np.float64)[..., None] * d / s


def frame_centre(k, sample_rate: float, frame_rate: float):
    """c_k = k * sample_rate / frame_rate, computed as (k * sample_rate) / frame_rate."""
    return (np.asarray(k, np.float64) * sample_rate) / frame_rate


def harmonic_render_ref(f0: np.ndarray, amps: np.ndarray, sample_rate: float, frame_rate: float,
                        band_limit: float) -> np.ndarray:
    """float64 reference of heist_synth_harmonic_render (dsp/synth.h).

    f0 [K] Hz, amps [K][NH]. Frame k sits at sample c_k; for c_k <= n < c_(k+1)
    f0(n) and a_h(n) are linear between frames k and k+1 with
    t = (n - c_k) / (c_(k+1) - c_k). Phase in cycles p(0) = 0,
    p(n + 1) = p(n) + f0(n) / sample_rate. out[n] = sum_h a_h(n) sin(2 pi h p(n)),
    harmonics with h f0(n) >= band_limit silenced (all of them where
    f0(n) <= 0). Renders n < c_(K-1).
    """
    f0 = np.asarray(f0, np.float64)
    amps = np.asarray(amps, np.float64)
    K, nh = amps.shape
    if K < 2:
        return np.zeros(0)
    n_out = int(math.ceil(frame_centre(K - 1, sample_rate, frame_rate)))
    n = np.arange(n_out, dtype=np.float64)
    c = frame_centre(np.arange(K), sample_rate, frame_rate)
    # segment k of sample n: the largest k with c_k <= n
    k = np.searchsorted(c, n, side="right") - 1
    k = np.clip(k, 0, K - 2)
    t = (n - c[k]) / (c[k + 1] - c[k])
    f0n = f0[k] + (f0[k + 1] - f0[k]) * t
    an = amps[k] + (amps[k + 1] - amps[k]) * t[:, None]
    p = np.concatenate([[0.0], np.cumsum(f0n / sample_rate)[:-1]])
    p = p - np.floor(p)
    h = np.arange(1, nh + 1, dtype=np.float64)
    mask = (f0n[:, None] > 0) & (h[None, :] * f0n[:, None] < band_limit)
    s = np.sin(2 * np.pi * p[:, None] * h[None, :])
    return (an * s * mask).sum(1)


def harmonic_render(f0: torch.Tensor, amps: torch.Tensor, hop: int, sample_rate: float,
                    band_limit: float) -> torch.Tensor:
    """Torch harmonic bank for training (integer hop = sample_rate / frame_rate).

    f0 [B, K] (no gradient needed), amps [B, K, NH] -> audio [B, (K-1) * hop].
    Same definition as harmonic_render_ref.
    """
    B, K, nh = amps.shape
    with torch.no_grad():
        t = torch.arange(hop, dtype=torch.float64) / hop
        f0d = f0.to(torch.float64)
        f0n = (f0d[:, :-1, None] * (1 - t) + f0d[:, 1:, None] * t).reshape(B, -1)
        inc = f0n / sample_rate
        p = torch.cumsum(inc, dim=1) - inc  # exclusive cumsum: p(0) = 0
        p = (p - torch.floor(p)).to(torch.float32)
        s1 = torch.sin(2 * math.pi * p)
        c2 = 2 * torch.cos(2 * math.pi * p)
        # harmonic-major [NH, B, N]: sin(h w) by the Chebyshev recurrence
        # sin((h+1) w) = 2 cos(w) sin(h w) - sin((h-1) w), each harmonic silenced
        # where h * f0(n) >= band_limit or f0(n) <= 0 (compared in float64 like
        # the reference)
        S = torch.empty(nh, B, p.shape[1], dtype=torch.float32)
        s1 = s1 * (f0n > 0).to(torch.float32)
        c2 = c2 * (f0n > 0).to(torch.float32)
        torch.mul(s1, (f0n < band_limit).to(torch.float32), out=S[0])
        prev2 = torch.zeros_like(s1)
        prev1 = s1
        for i in range(1, nh):
            cur = c2 * prev1 - prev2
            torch.mul(cur, (f0n * (i + 1) < band_limit).to(torch.float32), out=S[i])
            prev2, prev1 = prev1, cur
        S = S.reshape(nh, B, K - 1, hop)
        tf = t.to(torch.float32)
    y0 = torch.einsum("hbkj,bkh->bkj", S, amps[:, :-1])
    y1 = torch.einsum("hbkj,bkh->bkj", S, amps[:, 1:])
    return (y0 * (1 - tf) + y1 * tf).reshape(B, -1)


def noise_hop(sample_rate: float) -> int:
    """hop_n = 2^round(log2(sample_rate / 375)) (64 at 24 kHz, 128 at 48 kHz)."""
    return 1 << int(round(math.log2(sample_rate / 375.0)))


def noise_band_matrix(n_noise: int, n_fft: int, sample_rate: float, model_rate: float) -> np.ndarray:
    """[NN][N/2+1]: the response at bin i (f = i fs / N) is the linear
    interpolation of NN bands at b * (model_rate / 2) / (NN - 1); zero above
    model_rate / 2."""
    nb = n_fft // 2 + 1
    f = np.arange(nb) * sample_rate / n_fft
    pos = f / ((model_rate / 2) / (n_noise - 1))
    M = np.zeros((n_noise, nb))
    for i in range(nb):
        if f[i] > model_rate / 2:
            continue
        b0 = int(math.floor(pos[i]))
        if b0 >= n_noise - 1:
            M[n_noise - 1, i] = 1.0
            continue
        w = pos[i] - b0
        M[b0, i] += 1 - w
        M[b0 + 1, i] += w
    return M


def noise_render(mags: torch.Tensor, frame_rate: float, sample_rate: float, model_rate: float,
                 n_out: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Filtered-noise grains (dsp/synth.h), vectorised.

    mags [B, K, NN] on the frame clock -> audio [B, n_out]. Grain j is
    centred at sample j * hop_n, covers [(j-1) hop_n, (j+1) hop_n), uses the
    band magnitudes interpolated at time j * hop_n, and is
    w * irfft(rfft(u) * H) with u uniform in [-1, 1), w[n] = sin(pi (n+0.5)/N).
    """
    B, K, nn_ = mags.shape
    hop = noise_hop(sample_rate)
    N = 2 * hop
    M = (n_out + hop - 1) // hop  # output segments of hop samples
    J = M + 1  # grains 0 .. M
    with torch.no_grad():
        q = torch.arange(J, dtype=torch.float64) * hop * frame_rate / sample_rate
        k0 = torch.floor(q).long().clamp(0, K - 1)
        w = (q - k0.to(torch.float64)).to(torch.float32)
        k1 = (k0 + 1).clamp(max=K - 1)
        w = torch.where(k0 == K - 1, torch.zeros_like(w), w)
        band = torch.from_numpy(noise_band_matrix(nn_, N, sample_rate, model_rate)).to(torch.float32)
        win = torch.sin(math.pi * (torch.arange(N, dtype=torch.float32) + 0.5) / N)
        u = torch.rand(B, J, N, generator=generator) * 2 - 1
        U = torch.fft.rfft(u)
    m = mags[:, k0, :] * (1 - w)[None, :, None] + mags[:, k1, :] * w[None, :, None]
    H = torch.matmul(m, band)  # [B, J, N/2+1]
    g = torch.fft.irfft(U * H, n=N) * win  # irfft divides by N
    out = g[:, :-1, hop:] + g[:, 1:, :hop]  # segment m: grain m's 2nd half + grain m+1's 1st
    out = out.reshape(B, -1)[:, :n_out]
    return out * math.sqrt(sample_rate / model_rate)
