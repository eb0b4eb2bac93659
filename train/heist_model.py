"""The Heist network in PyTorch — exactly the math of dsp/model.h.

    x  = [ (midi(f0) - pitch_center) / pitch_scale,
           (loudness_db - loud_center) / loud_scale,
           confidence,
           (1 - morph) * embedding[a] + morph * embedding[b] ]
    h  = GRU(x, h)                      (PyTorch gate order r, z, n)
    y1 = relu(dense1 [h, x])
    y  = dense2 y1
    out = exp_sigmoid(y): amplitude, NH harmonic distribution, NN noise bands

midi(f0) = 69 + 12 log2(f0 / 440); when f0 is 0 (nothing voiced yet) the
pitch feature is 0 (midi taken as pitch_center).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn

LN10 = math.log(10.0)
NOISE_BIAS = -5.0  # DDSP's FilteredNoise initial_bias, folded into dense2's bias


@dataclass
class ModelConfig:
    n_styles: int = 1
    embed_dim: int = 8
    gru_hidden: int = 192
    dense_hidden: int = 128
    n_harmonics: int = 60
    n_noise: int = 65
    frame_rate: float = 250.0
    sample_rate: float = 24000.0
    pitch_center: float = 64.0
    pitch_scale: float = 24.0
    loud_center: float = -50.0
    loud_scale: float = 30.0
    name: str = "heist"
    style_names: List[str] = field(default_factory=lambda: ["violin"])

    @property
    def n_inputs(self) -> int:
        return 3 + self.embed_dim

    @property
    def n_outputs(self) -> int:
        return 1 + self.n_harmonics + self.n_noise

    @property
    def hop(self) -> int:
        return int(round(self.sample_rate / self.frame_rate))

    def to_dict(self) -> dict:
        return asdict(self)


def exp_sigmoid(v: torch.Tensor) -> torch.Tensor:
    """2 * sigmoid(v)^ln(10) + 1e-7."""
    return 2.0 * torch.sigmoid(v) ** LN10 + 1e-7


def midi_from_hz(f0: torch.Tensor) -> torch.Tensor:
    return 69.0 + 12.0 * torch.log2(f0.clamp_min(1e-6) / 440.0)


def scale_features(cfg: ModelConfig, f0: torch.Tensor, loudness_db: torch.Tensor,
                   confidence: torch.Tensor) -> torch.Tensor:
    """[..., 3] scaled features (pitch, loudness, confidence)."""
    pitch = torch.where(f0 > 0, (midi_from_hz(f0) - cfg.pitch_center) / cfg.pitch_scale,
                        torch.zeros_like(f0))
    loud = (loudness_db - cfg.loud_center) / cfg.loud_scale
    return torch.stack([pitch, loud, confidence], dim=-1)


class HeistNet(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        I = cfg.n_inputs
        self.embedding = nn.Embedding(cfg.n_styles, cfg.embed_dim)
        self.gru = nn.GRU(I, cfg.gru_hidden, batch_first=True)
        self.dense1 = nn.Linear(cfg.gru_hidden + I, cfg.dense_hidden)
        self.dense2 = nn.Linear(cfg.dense_hidden, cfg.n_outputs)
        with torch.no_grad():
            nn.init.normal_(self.embedding.weight, std=0.5)
            self.dense2.bias[1 + cfg.n_harmonics:] += NOISE_BIAS

    def embed(self, a: torch.Tensor, b: Optional[torch.Tensor] = None,
              morph: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(1 - morph) * E[a] + morph * E[b] (morph broadcast over the last dim)."""
        ea = self.embedding(a)
        if b is None or morph is None:
            return ea
        eb = self.embedding(b)
        m = morph.unsqueeze(-1)
        return (1 - m) * ea + m * eb

    def forward_raw(self, x: torch.Tensor, h0: Optional[torch.Tensor] = None):
        """x [B, T, I] -> (y before exp_sigmoid [B, T, O], h [1, B, H])."""
        h, hn = self.gru(x, h0)
        y1 = torch.relu(self.dense1(torch.cat([h, x], dim=-1)))
        return self.dense2(y1), hn

    def forward(self, x: torch.Tensor, h0: Optional[torch.Tensor] = None):
        y, hn = self.forward_raw(x, h0)
        return exp_sigmoid(y), hn

    def controls(self, feats: torch.Tensor, style: torch.Tensor):
        """feats [B, T, 3] scaled, style [B] indices -> (amplitude [B,T],
        harmonic distribution [B,T,NH], noise magnitudes [B,T,NN])."""
        B, T, _ = feats.shape
        e = self.embed(style)[:, None, :].expand(B, T, self.cfg.embed_dim)
        out, _ = self.forward(torch.cat([feats, e], dim=-1))
        nh = self.cfg.n_harmonics
        return out[..., 0], out[..., 1:1 + nh], out[..., 1 + nh:]


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def to_numpy_tensors(net: HeistNet) -> dict:
    """The tensors in .hsm order and layout (row-major float32)."""
    g = net.gru
    t = {
        "embedding": net.embedding.weight,
        "gru_w_ih": g.weight_ih_l0,
        "gru_w_hh": g.weight_hh_l0,
        "gru_b_ih": g.bias_ih_l0,
        "gru_b_hh": g.bias_hh_l0,
        "dense1_w": net.dense1.weight,
        "dense1_b": net.dense1.bias,
        "dense2_w": net.dense2.weight,
        "dense2_b": net.dense2.bias,
    }
    return {k: np.ascontiguousarray(v.detach().cpu().numpy(), dtype=np.float32) for k, v in t.items()}


TENSOR_ORDER = ["embedding", "gru_w_ih", "gru_w_hh", "gru_b_ih", "gru_b_hh",
                "dense1_w", "dense1_b", "dense2_w", "dense2_b"]


def tensor_shapes(cfg: ModelConfig) -> dict:
    S, E, H, D, I, O = (cfg.n_styles, cfg.embed_dim, cfg.gru_hidden, cfg.dense_hidden,
                        cfg.n_inputs, cfg.n_outputs)
    return {
        "embedding": (S, E), "gru_w_ih": (3 * H, I), "gru_w_hh": (3 * H, H),
        "gru_b_ih": (3 * H,), "gru_b_hh": (3 * H,), "dense1_w": (D, H + I),
        "dense1_b": (D,), "dense2_w": (O, D), "dense2_b": (O,),
    }


def from_numpy_tensors(cfg: ModelConfig, t: dict) -> HeistNet:
    net = HeistNet(cfg)
    g = net.gru
    with torch.no_grad():
        net.embedding.weight.copy_(torch.from_numpy(t["embedding"]))
        g.weight_ih_l0.copy_(torch.from_numpy(t["gru_w_ih"]))
        g.weight_hh_l0.copy_(torch.from_numpy(t["gru_w_hh"]))
        g.bias_ih_l0.copy_(torch.from_numpy(t["gru_b_ih"]))
        g.bias_hh_l0.copy_(torch.from_numpy(t["gru_b_hh"]))
        net.dense1.weight.copy_(torch.from_numpy(t["dense1_w"]))
        net.dense1.bias.copy_(torch.from_numpy(t["dense1_b"]))
        net.dense2.weight.copy_(torch.from_numpy(t["dense2_w"]))
        net.dense2.bias.copy_(torch.from_numpy(t["dense2_b"]))
    return net
