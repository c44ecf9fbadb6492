"""Attention-head statistics of the Trm1 layers of FaST-VGS, as a tidy table.

For each file (run alone, unpadded), layer and head, over the query frames (CLS excluded):

- ``entropy``: mean entropy of the attention distribution, in bits (low = focused heads);
- ``distance``: mean attended distance in frames, ``sum_j p_ij |i - j|`` over frame keys;
- ``cls``: mean attention mass on the CLS token;
- ``self``: mean mass on the query's own frame; ``local``: mass within +-1 frame (including self);
- ``max``: mean of the largest weight of each row.

Rows are averaged over files weighted by frame count. Example::

    df = head_statistics(model, wavs)          # columns: layer, head, entropy, distance, cls, self, local, max
    plot_head_statistics(df, "heads.png")
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd
import torch

from vgprobe.analysis.figures import save_figure

STATS = ("entropy", "distance", "cls", "self", "local", "max")


def _row_stats(p: torch.Tensor) -> dict[str, torch.Tensor]:
    """p (H, Q, K) attention of queries 1..T over keys 0..T (key 0 = CLS) -> per-head sums over queries."""
    h, q, k = p.shape
    qi = torch.arange(1, q + 1, dtype=p.dtype)[:, None]  # query frame positions (1-based, CLS at 0)
    kj = torch.arange(k, dtype=p.dtype)[None, :]
    dist = (qi - kj).abs()
    dist[:, 0] = 0.0  # CLS has no position
    ent = -(p * torch.log2(p.clamp_min(1e-30))).sum(-1)
    return {
        "entropy": ent.sum(-1),
        "distance": (p * dist).sum(-1).sum(-1),
        "cls": p[..., 0].sum(-1),
        "self": torch.diagonal(p[:, :, 1:], dim1=-2, dim2=-1).sum(-1),
        "local": (p * ((dist <= 1) & (kj > 0)).to(p.dtype)).sum(-1).sum(-1),
        "max": p.max(-1).values.sum(-1),
    }


@torch.no_grad()
def head_statistics(model, wavs: Sequence[torch.Tensor], *, layers: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per (layer, head) of Trm1; ``wavs`` are 1-D z-normalised waveforms (each run alone)."""
    trm1 = model.trm1
    n_layers = len(trm1.encoder.layers)
    layers = list(range(1, n_layers + 1)) if layers is None else list(layers)
    captured: dict[int, torch.Tensor] = {}
    hooks = []
    for k in layers:
        att = trm1.encoder.layers[k - 1].attention
        hooks.append(att.register_forward_hook(
            lambda mod, args, out, k=k: captured.__setitem__(k, out[1][0].float())))  # (H, T+1, T+1)
    old = trm1.hf_config._attn_implementation
    trm1.hf_config._attn_implementation = "eager"  # sdpa does not return the weights
    sums: dict[int, dict[str, torch.Tensor]] = {}
    n_frames = 0
    try:
        for w in wavs:
            captured.clear()
            model.audio_layers(w[None], layers=[f"trm1.{max(layers)}"])
            for k in layers:
                p = captured[k][:, 1:, :]  # drop the CLS query
                st = _row_stats(p)
                acc = sums.setdefault(k, {s: torch.zeros(p.shape[0]) for s in STATS})
                for s in STATS:
                    acc[s] += st[s]
            n_frames += p.shape[1]
    finally:
        trm1.hf_config._attn_implementation = old
        for h in hooks:
            h.remove()
    rows = []
    for k in layers:
        for head in range(sums[k]["entropy"].shape[0]):
            rows.append({"layer": f"trm1.{k}", "layer_index": k, "head": head,
                         **{s: float(sums[k][s][head]) / n_frames for s in STATS}})
    return pd.DataFrame(rows)


def plot_head_statistics(df: pd.DataFrame, path: str | Path, *, stats: Sequence[str] = ("entropy", "distance", "cls")) -> Path:
    """One heat map (layer x head) per statistic."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(stats), figsize=(4.5 * len(stats), 3.8), squeeze=False)
    for ax, stat in zip(axes[0], stats):
        grid = df.pivot(index="layer_index", columns="head", values=stat).sort_index()
        im = ax.imshow(grid.values, aspect="auto", origin="lower", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), grid.columns)
        ax.set_yticks(range(grid.shape[0]), [f"trm1.{i}" for i in grid.index])
        ax.set_xlabel("head")
        ax.set_title(stat)
        fig.colorbar(im, ax=ax, fraction=0.046)
    return save_figure(fig, path)



def load_wavs(paths: Sequence[Path]) -> list[torch.Tensor]:
    """Read and z-normalise files as FaST-VGS expects them."""
    from vgprobe.audio import read_audio, znorm

    return [torch.from_numpy(znorm(read_audio(p).samples)) for p in paths]
