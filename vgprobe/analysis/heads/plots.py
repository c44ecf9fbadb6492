"""Figures for attention-head reports (matplotlib, headless).

- :func:`plot_head_heatmaps`: layer x head heat maps, one column per statistic, one row per model; every
  column shares one colour scale across models (so random-init noise is not drawn as structure), with an
  optional difference row (e.g. trained − random) on a scale centred at zero;
- :func:`plot_head_similarity`: the heads x heads Jensen–Shannon matrices of a stack, one panel per layer;
- :func:`plot_cls_attention`: per utterance, the spectrogram with gold words and predicted segments above
  each head's CLS attention;
- :func:`plot_ablation`: ranked bars of the change a metric undergoes when each head is ablated.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from vgprobe.analysis.figures import save_figure
from vgprobe.analysis.heads.stats import STATISTICS
from vgprobe.errors import ConfigError

WHY_UNDEFINED = {
    "distance_ms": "no time axis between these tokens (image regions, or the two sides of a cross-attention)",
    "neighbour_mass": "no neighbouring frames (image regions, or the two sides of a cross-attention)",
    "self_mass": "queries and keys are different tokens (cross-attention)",
    "cls_mass": "this model has no CLS token",
    "silence_mass": "no alignments given, or the keys are image regions",
}
METRIC_LABELS = {
    "abx": "ABX error (% points; up = worse)",
    "ssimi": "sSIMI (Spearman x 100; down = worse)",
    "r1": "coarse R@1 (% points; down = worse)",
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _grid(df: pd.DataFrame, model: str, stack: str, stat: str) -> pd.DataFrame:
    part = df[(df["model"] == model) & (df["stack"] == stack) & (df["statistic"] == stat)]
    return part.pivot(index="layer", columns="head", values="value").sort_index()


def _label(stat: str) -> str:
    unit = STATISTICS.get(stat, "")
    return f"{stat} ({unit})" if unit else stat


def plot_head_heatmaps(
    df: pd.DataFrame,
    path: str | Path,
    *,
    stack: str = "trm1",
    statistics: Sequence[str] = ("entropy_bits", "distance_ms", "cls_mass", "silence_mass"),
    models: Sequence[str] | None = None,
    difference: tuple[str, str] | None = None,
    zero_based: bool = True,
) -> Path:
    """Heat maps (layer x head) of ``statistics`` for ``stack``, one row per model of ``df['model']``.

    Each statistic's colour scale is shared by all model rows and, with ``zero_based``, starts at 0 (every
    statistic is non-negative), so differences that are small next to the values, such as the spread of a
    random initialisation, stay pale instead of filling the colour map. ``difference=(a, b)`` adds a row
    ``a − b`` on a diverging scale as wide as the statistic's shared scale. A statistic undefined for the stack
    is drawn as an empty panel that says why.
    """
    plt = _plt()
    models = list(models) if models is not None else sorted(df["model"].unique())
    if not models:
        raise ConfigError("the table has no model")
    part = df[df["stack"] == stack]
    if part.empty:
        raise ConfigError(f"no rows for stack {stack!r}; the table has {sorted(df['stack'].unique())}")
    rows = [(m, False) for m in models] + ([(f"{difference[0]} − {difference[1]}", True)] if difference else [])
    fig, axes = plt.subplots(len(rows), len(statistics), figsize=(3.6 * len(statistics), 2.9 * len(rows)),
                             squeeze=False)
    for c, stat in enumerate(statistics):
        grids = {m: _grid(part, m, stack, stat) for m in models}
        values = np.concatenate([g.to_numpy().ravel() for g in grids.values()])
        defined = np.isfinite(values).any()
        vmin, vmax = (np.nanmin(values), np.nanmax(values)) if defined else (0.0, 1.0)
        vmin = min(0.0, vmin) if zero_based else vmin
        for r, (name, is_diff) in enumerate(rows):
            ax = axes[r][c]
            if is_diff:
                g = grids[difference[0]] - grids[difference[1]]
                lim = (vmax - vmin) or 1.0
                kw = dict(cmap="RdBu_r", vmin=-lim, vmax=lim)
            else:
                g = grids[name]
                kw = dict(cmap="viridis", vmin=vmin, vmax=vmax)
            ax.set_title(f"{name} — {stack}", fontsize=9)
            if not defined or g.empty:
                why = textwrap.fill(WHY_UNDEFINED.get(stat, ""), 36)
                ax.text(0.5, 0.5, f"{stat}: not defined\n{why}", ha="center", va="center", fontsize=7,
                        transform=ax.transAxes)
                ax.set_axis_off()
                continue
            im = ax.imshow(g.to_numpy(), aspect="auto", origin="lower", **kw)
            ax.set_xticks(range(g.shape[1]), [str(h) for h in g.columns], fontsize=7)
            ax.set_yticks(range(g.shape[0]), [f"{stack}.{k}" if len(stack) < 6 else str(k) for k in g.index],
                          fontsize=7)
            ax.set_xlabel("head", fontsize=8)
            if c == 0:
                ax.set_ylabel("layer", fontsize=8)
            cb = fig.colorbar(im, ax=ax, fraction=0.05)
            cb.set_label(("Δ " if is_diff else "") + _label(stat), fontsize=8)
            cb.ax.tick_params(labelsize=7)
    scale = "shared colour scale per statistic" + (", from 0" if zero_based else "")
    fig.suptitle(f"Attention heads of {stack}: {', '.join(models)} ({scale})", fontsize=10)
    return save_figure(fig, path)


def plot_head_similarity(df: pd.DataFrame, path: str | Path, *, stack: str = "trm1", model: str | None = None) -> Path:
    """Heads x heads Jensen–Shannon divergence (bits, 0 = same distributions, 1 = disjoint) per layer, on one
    scale from 0 to the largest divergence of the stack (heads that all attend alike would be a uniform black on
    [0, 1]); with up to 6 heads each cell is labelled with its value."""
    from vgprobe.analysis.heads.stats import similarity_matrix

    plt = _plt()
    models = sorted(df["model"].unique())
    model = model if model is not None else models[0]
    layers = sorted(df[(df["stack"] == stack) & (df["model"] == model)]["layer"].unique())
    if not layers:
        raise ConfigError(f"no rows for stack {stack!r} of model {model!r}")
    cols = min(4, len(layers))
    nrows = -(-len(layers) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.1 * cols, 2.8 * nrows), squeeze=False)
    for ax in axes.ravel()[len(layers):]:
        ax.set_axis_off()
    matrices = {k: similarity_matrix(df, stack=stack, layer=int(k), model=model) for k in layers}
    top = max(float(np.nanmax(m)) if np.isfinite(m).any() else 0.0 for m in matrices.values())
    vmax = min(1.0, top) if top > 0 else 1.0
    for ax, k in zip(axes.ravel(), layers):
        m = matrices[k]
        im = ax.imshow(m, vmin=0.0, vmax=vmax, cmap="magma")
        if len(m) <= 6:
            for (i, j), v in np.ndenumerate(m):
                ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=6,
                        color="white" if v < 0.6 * vmax else "black")
        ax.set_title(f"{stack}.{k}", fontsize=9)
        ax.set_xticks(range(len(m)), [str(i) for i in range(len(m))], fontsize=7)
        ax.set_yticks(range(len(m)), [str(i) for i in range(len(m))], fontsize=7)
        ax.set_xlabel("head", fontsize=8)
        ax.set_ylabel("head", fontsize=8)
        cb = fig.colorbar(im, ax=ax, fraction=0.05)
        cb.set_label("JS divergence (bits)", fontsize=8)
        cb.ax.tick_params(labelsize=7)
    fig.suptitle(f"Head similarity of {stack}, {model}: Jensen–Shannon divergence between heads' attention maps "
                 f"(0 = identical, 1 = disjoint; colour scale 0 to {vmax:.2g})", fontsize=10)
    return save_figure(fig, path)


@dataclass(frozen=True)
class ClsAttentionView:
    """One utterance to draw: ``samples`` (L,) audio at ``sample_rate``; ``attention`` (heads, T) CLS attention
    (CLS column dropped), frame j covering ``[j * spf, (j + 1) * spf]`` seconds; ``words`` gold
    ``(onset_s, offset_s, word)``; ``segments`` predicted ``(start_s, end_s)``."""

    name: str
    samples: np.ndarray
    attention: np.ndarray
    spf: float
    words: Sequence[tuple[float, float, str]] = ()
    segments: Sequence[tuple[float, float]] = ()
    sample_rate: int = 16000


def plot_cls_attention(views: Sequence[ClsAttentionView], path: str | Path, *, title: str = "CLS attention") -> Path:
    """Per utterance: log spectrogram with gold words (onset lines, labels) and the predicted segments (orange
    strip under it), above each head's CLS attention on the same time axis (segments shaded)."""
    from matplotlib.transforms import blended_transform_factory
    from scipy.signal import spectrogram

    plt = _plt()
    if not views:
        raise ConfigError("no utterance to plot")
    fig, axes = plt.subplots(3 * len(views) - 1, 1, figsize=(12, 4.2 * len(views)), squeeze=False,
                             gridspec_kw={"height_ratios": ([1.1, 1, 0.25] * len(views))[:-1]})
    for i in range(len(views) - 1):
        axes[3 * i + 2][0].set_axis_off()  # spacer between utterances
    for i, v in enumerate(views):
        ax_s, ax_a = axes[3 * i][0], axes[3 * i + 1][0]
        dur = len(v.samples) / v.sample_rate
        f, t, s = spectrogram(np.asarray(v.samples, dtype=np.float64), fs=v.sample_rate, nperseg=400, noverlap=240)
        ax_s.pcolormesh(t, f / 1000, 10 * np.log10(s + 1e-10), shading="auto", cmap="Greys")
        ax_s.set_ylabel("kHz", fontsize=8)
        ax_s.set_title(f"{v.name}: spectrogram, gold words (blue), predicted segments (orange)", fontsize=9)
        strip = blended_transform_factory(ax_s.transData, ax_s.transAxes)
        for k, (a, b) in enumerate(v.segments):
            ax_s.add_patch(plt.Rectangle((a, 0.0), b - a, 0.07, transform=strip, color="tab:orange", lw=0))
            ax_a.axvspan(a, b, color="tab:orange", alpha=0.18, lw=0, label="predicted segment" if k == 0 else None)
        for k, (on, off, word) in enumerate(v.words):
            for ax in (ax_s, ax_a):
                ax.axvline(on, color="tab:blue", lw=1.0, label="gold word onset" if (k == 0 and ax is ax_a) else None)
                ax.axvline(off, color="tab:blue", lw=1.0, ls="--",
                           label="gold word offset" if (k == 0 and ax is ax_a) else None)
            ax_s.text((on + off) / 2, 0.97, word, transform=ax_s.get_xaxis_transform(), ha="center", va="top",
                      fontsize=8, color="tab:blue", bbox=dict(facecolor="white", alpha=0.8, lw=0, pad=1))
        att = np.asarray(v.attention, dtype=np.float64)
        edges = np.arange(att.shape[1] + 1) * v.spf
        for h, row in enumerate(att):
            ax_a.stairs(row, edges, label=f"head {h}", lw=1.0)
        ax_a.set_ylabel("CLS attention\n(weight)", fontsize=8)
        ax_a.set_xlabel("time (s)", fontsize=8)
        for ax in (ax_s, ax_a):
            ax.set_xlim(0, max(dur, edges[-1]))
        ax_s.tick_params(labelbottom=False, labelsize=7)
        ax_a.tick_params(labelsize=7)
        ax_a.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0), borderaxespad=0)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_ablation(df: pd.DataFrame, path: str | Path, *, metric: str = "abx", top: int = 20,
                  model: str | None = None) -> Path:
    """Horizontal bars of Δ``metric`` per ablation, most harmful first (at most ``top``), coloured by stack.

    Ablations that cannot change the metric (heads above the layer it reads, or in a branch it does not read) are
    left out and counted in the title."""
    from vgprobe.analysis.heads.ablation import rank_ablations

    plt = _plt()
    part = df if model is None else df[df["model"] == model]
    ranked = rank_ablations(part, metric)
    left_out = int((~ranked["affected"]).sum())
    ranked = ranked[ranked["affected"]].head(top)
    if ranked.empty:
        raise ConfigError(f"no ablation can change {metric!r}")
    colours = {"trm1": "tab:blue", "trm2": "tab:orange", "image": "tab:green"}
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(ranked) + 1.6))
    y = np.arange(len(ranked))[::-1]
    ax.barh(y, ranked["delta"], color=[colours.get(s, "tab:grey") for s in ranked["stack"]])
    ax.set_yticks(y, ranked["ablation"], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    family = metric.split(".")[0]
    base = ranked["baseline"].iloc[0]
    ax.set_xlabel(f"Δ {metric}: {METRIC_LABELS.get(family, '')}; baseline {base:.2f}", fontsize=8)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=s) for s, c in colours.items() if (ranked["stack"] == s).any()],
              fontsize=7, loc="best")
    lo, hi = min(0.0, float(ranked["delta"].min())), max(0.0, float(ranked["delta"].max()))
    pad = 0.08 * ((hi - lo) or 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    names = ", ".join(sorted(part["model"].unique()))
    note = f"; {left_out} ablations that cannot change it omitted" if left_out else ""
    ax.set_title(f"{names}: heads ranked by harm to {metric}{note}", fontsize=9)
    return save_figure(fig, path)


def plot_discovery_layers(df: pd.DataFrame, path: str | Path, *,
                          measures: Sequence[tuple[str, str]] = (("boundary_f1", "boundary F1"),
                                                                 ("a_score", "A-score (IoU and word coverage)"),
                                                                 ("top250_f1", "top-250 word F1"))) -> Path:
    """CLS-attention word discovery per layer (a :func:`~vgprobe.analysis.heads.discovery.discovery_table`),
    one panel per measure, one line per model (trained solid, random dashed), in percent; each model's best
    layer is ringed."""
    from vgprobe.analysis.layer_sweep import layer_sort_key

    plt = _plt()
    if df.empty:
        raise ConfigError("no word-discovery rows to plot")
    layers = sorted(df["layer"].unique(), key=layer_sort_key)
    x = {la: i for i, la in enumerate(layers)}
    styles = {"trained": ("C0", "-", "o"), "random": ("C1", "--", "s")}
    fig, axes = plt.subplots(1, len(measures), figsize=(4.3 * len(measures), 3.6), squeeze=False)
    for ax, (col, title) in zip(axes[0], measures):
        for model, part in df.groupby("model", sort=False):
            part = part.sort_values("layer", key=lambda s: s.map(x))
            scale = 1.0 if col == "top250_f1" else 100.0  # top-250 F1 is already in percent
            y = part[col].to_numpy(dtype=float) * scale
            colour, ls, marker = styles.get(model, ("0.4", ":", "^"))
            xs = [x[la] for la in part["layer"]]
            ax.plot(xs, y, color=colour, ls=ls, marker=marker, ms=4, label=model)
            if np.isfinite(y).any():
                best = int(np.nanargmax(y))
                ax.plot(xs[best], y[best], "o", ms=11, mfc="none", mec=colour, mew=1.5)
        ax.set_xticks(range(len(layers)), layers, rotation=45, ha="right", fontsize=8)
        ax.set_xlabel("layer whose CLS attention segments", fontsize=8)
        ax.set_ylabel(f"{title} (%)", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=8, title="model (ring = best layer)", title_fontsize=7)
    tol = df.attrs.get("tolerance")
    fig.suptitle("Word discovery from CLS attention, per layer" + (f" (boundary tolerance {tol * 1000:.0f} ms)"
                                                                   if tol else ""), fontsize=10)
    return save_figure(fig, path)
