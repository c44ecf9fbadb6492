"""Layer sweeps: ABX and sSIMI of every extracted layer of one or several models, as tidy tables.

``roots`` maps a model label (``"trained"``, ``"random"``, ``"logmel"``) to an extraction output root
(one submission folder per layer, as ``vgprobe extract`` writes them).

Example::

    df = abx_sweep({"trained": Path("feats/trained"), "random": Path("feats/random")}, data, layers=trm1)
    plot_abx_sweep(df, "abx_layers.png")
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from vgprobe.analysis.figures import save_figure

from vgprobe.errors import InputError


def _folders(roots: Mapping[str, Path], layers: Sequence[str] | None) -> list[tuple[str, str, Path]]:
    out = []
    for label, root in roots.items():
        names = layers or sorted(p.name for p in Path(root).iterdir() if (p / "meta.yaml").is_file())
        for name in names:
            folder = Path(root) / name
            if (folder / "meta.yaml").is_file():
                out.append((label, name, folder))
    if not out:
        raise InputError(f"no extracted layer folders (with meta.yaml) under {[str(r) for r in roots.values()]}")
    return out


def abx_sweep(
    roots: Mapping[str, Path], data: Path, *, split: str = "dev", layers: Sequence[str] | None = None, **abx_options
) -> pd.DataFrame:
    """One row per (model, layer, subset, speaker mode, context mode); ``score`` is the ABX error (fraction).

    A layer too coarse for ABX (tokens shorter than its frames slice to nothing) gets one row with
    ``status`` "not scorable", the ``reason``, its ``frame_shift`` and ``empty_fraction``, and no score.
    """
    from dataclasses import asdict

    from vgprobe.zerospeech.abx.dataset import NotScorableError
    from vgprobe.zerospeech.abx.submission import score_abx_submission

    rows = []
    for label, name, folder in _folders(roots, layers):
        try:
            results = score_abx_submission(folder, data, split, **abx_options)
        except NotScorableError as exc:
            rows.append({"model": label, "layer": name, "status": "not scorable", "reason": str(exc),
                         "frame_shift": exc.frame_shift, "empty_fraction": exc.empty_fraction})
            continue
        rows += [{"model": label, "layer": name, **asdict(r)} for r in results]
    return pd.DataFrame(rows)


def semantic_sweep(
    roots: Mapping[str, Path], data: Path, *, split: str = "dev", layers: Sequence[str] | None = None,
    pool: str = "max", metric: str = "cosine",
) -> pd.DataFrame:
    """One row per (model, layer, type, dataset) with the sSIMI ``correlation`` (x100) and ``n_pairs``."""
    from dataclasses import asdict

    from vgprobe.zerospeech.semantic import score_semantic_submission

    rows = []
    for label, name, folder in _folders(roots, layers):
        if not (folder / "semantic").is_dir():
            continue
        for r in score_semantic_submission(folder, data, split, pool=pool, metric=metric):
            rows.append({"model": label, "layer": name, "pool": pool, "metric": metric, **asdict(r)})
    return pd.DataFrame(rows)


def layer_index(name: str) -> int | None:
    """``trm1.6`` -> 6; None for names without a trailing index."""
    m = re.search(r"\.(\d+)$", name)
    return int(m.group(1)) if m else None


def plot_abx_sweep(df: pd.DataFrame, path: str | Path, *, title: str = "ABX error per layer") -> Path:
    """One panel per subset: ABX error (%) against layer index, one line per (model, speaker mode).
    Rows whose layer has no index (e.g. ``logmel``) are drawn as horizontal reference lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "score" in df.columns:
        df = df[df["score"].notna()]  # layers recorded as not scorable have no point to draw
    subsets = sorted(df["subset"].unique())
    fig, axes = plt.subplots(1, len(subsets), figsize=(5.5 * len(subsets), 4), sharey=True, squeeze=False)
    df = df.assign(index=df["layer"].map(layer_index), error=100 * df["score"])
    for ax, subset in zip(axes[0], subsets):
        part = df[df["subset"] == subset]
        for (model, speaker), g in part.groupby(["model", "speaker"], sort=True):
            style = "-" if speaker == "within" else "--"
            layered = g.dropna(subset=["index"]).sort_values("index")
            if len(layered):
                ax.plot(layered["index"], layered["error"], style, marker="o", label=f"{model}, {speaker}")
            for _, row in g[g["index"].isna()].iterrows():
                ax.axhline(row["error"], linestyle=":" if speaker == "within" else "-.", color="grey",
                           label=f"{model} ({row['layer']}), {speaker}")
        ax.set_title(subset)
        ax.set_xlabel("layer")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("ABX error (%)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(title)
    return save_figure(fig, path)
