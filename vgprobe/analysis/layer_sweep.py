"""Layer sweeps: ABX, sSIMI and probe scores of every layer of one or several models, as tidy tables and plots.

Two ways in:

- a sweep output folder (what ``vgprobe sweep`` writes): :func:`read_sweep` returns its tables;
  :func:`measures` puts every score in one long table (one row per measure, model and layer);
  :func:`best_layers` picks the best layer per measure and compares it with the paper's choices;
  :func:`plot_measures` draws one panel per measure (score against layer, one line per model);
- extraction roots (one submission folder per layer, as ``vgprobe extract`` writes them), keyed by a
  model label: :func:`abx_sweep` / :func:`semantic_sweep` score them.

Example::

    tables = read_sweep(Path("runs/sweep"))
    m = measures(tables.abx, tables.semantic, tables.probes)
    best_layers(m)                        # measure, model, best_layer, best_value, paper_layer, ...
    plot_measures(m, family="abx")        # a matplotlib Figure (or save it: path=...)

This module only reads and draws: it never extracts features.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    """One panel per subset: ABX error (%) against layer; colour = model, line style = speaker mode (solid within,
    dashed across), a shaded band = the 95 % interval where the table has one. Layers without an index (``logmel``)
    are horizontal reference lines in their model's colour. The legend sits below the panels, off the data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "score" in df.columns:
        df = df[df["score"].notna()]  # layers recorded as not scorable have no point to draw
    subsets = sorted(df["subset"].unique())
    fig, axes = plt.subplots(1, len(subsets), figsize=(5.5 * len(subsets), 4.4), sharey=True, squeeze=False)
    df = df.assign(index=df["layer"].map(layer_index), error=100 * df["score"])
    models = sorted(df["model"].unique(), key=lambda m: (m not in _MODEL_STYLE, list(_MODEL_STYLE).index(m)
                                                         if m in _MODEL_STYLE else 0, m))
    colours = {m: _MODEL_STYLE[m][0] if m in _MODEL_STYLE else f"C{k + 2}" for k, m in enumerate(models)}
    dashes = {"within": "-", "across": "--"}
    handles: dict[str, object] = {}
    for ax, subset in zip(axes[0], subsets):
        part = df[df["subset"] == subset]
        for (model, speaker), g in part.groupby(["model", "speaker"], sort=True):
            style, colour = dashes.get(speaker, ":"), colours[model]
            layered = g.dropna(subset=["index"]).sort_values("index")
            label = f"{model}, {speaker} speaker"
            if len(layered):
                (line,) = ax.plot(layered["index"], layered["error"], style, color=colour, marker="o", markersize=3.5)
                handles[label] = line
                if {"ci_low", "ci_high"} <= set(layered.columns) and layered["ci_low"].notna().any():
                    ax.fill_between(layered["index"], 100 * layered["ci_low"], 100 * layered["ci_high"],
                                    color=colour, alpha=0.12, linewidth=0)
            for _, row in g[g["index"].isna()].iterrows():
                name = model if row["layer"] == model else f"{model} ({row['layer']})"
                handles[f"{name}, {speaker} speaker"] = ax.axhline(
                    row["error"], linestyle=style, color=colour, linewidth=1.2)
        ax.set_title(subset)
        ax.set_xlabel("layer")
        ticks = sorted(part.dropna(subset=["index"]).drop_duplicates("index")[["index", "layer"]].values.tolist())
        if ticks:
            ax.set_xticks([t[0] for t in ticks], [t[1] for t in ticks], rotation=45, ha="right", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("ABX error (%, lower is better)")
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=min(4, len(handles)), fontsize=8,
               frameon=False)
    fig.suptitle(title + " (shaded: 95 % interval, bootstrap over speakers)")
    fig.tight_layout(rect=(0, 0.06 + 0.035 * ((len(handles) - 1) // 4), 1, 1))
    return save_figure(fig, path, tight=False)


# ---------------------------------------------------------------------------- sweep output folders
SCORED = "scored"
NOT_SCORABLE = "not scorable"  # the layer's frames are too coarse for the measure's tokens
FAILED = "failed"  # the measure could not run on this data (the reason says why), e.g. too few tokens for a probe

ABX_COLUMNS: tuple[str, ...] = (
    "model", "layer", "frame_shift", "subset", "speaker", "context", "distance", "score", "ci_low", "ci_high",
    "n_cells", "n_triplets", "n_speakers", "n_tokens", "status", "reason",
)
SEMANTIC_COLUMNS: tuple[str, ...] = (
    "model", "layer", "pool", "metric", "type", "dataset", "correlation", "ci_low", "ci_high", "n_pairs", "status",
    "reason",
)
PROBE_COLUMNS: tuple[str, ...] = (
    "model", "layer", "subset", "target", "probe", "metric", "score", "baseline", "n_tokens", "n_labels", "n_groups",
    "n_folds", "status", "reason",
)
FEATURE_COLUMNS: tuple[str, ...] = (
    "model", "checkpoint", "model_sha256", "layer", "frame_shift", "dim", "n_files", "n_computed", "n_reused",
    "features",
)
MEASURE_COLUMNS: tuple[str, ...] = (
    "family", "task", "measure", "title", "unit", "better", "model", "layer", "value", "status", "reason",
)
BEST_COLUMNS: tuple[str, ...] = (
    "family", "task", "measure", "title", "unit", "better", "model", "best_layer", "best_value", "paper_layer",
    "paper_value", "difference", "paper_rank", "n_layers",
)
# The layers Peng & Harwath chose for FaST-VGS's ZeroSpeech 2021 submission: Trm1 layer 6 for the phonetic
# task (ABX), Trm2 max-pooled for the semantic task (sSIMI).
PAPER_LAYERS: dict[str, str] = {"phonetic": "trm1.6", "semantic": "trm2.1"}
PAPER_SSIMI_POOL = "max"
PROBE_METRICS: dict[str, str] = {
    "pwcca": "PWCCA", "normalised_mi": "k-means NMI", "accuracy": "linear-probe accuracy",
    "f1_macro": "linear-probe macro F1",
}
TABLES = {"abx": ABX_COLUMNS, "semantic": SEMANTIC_COLUMNS, "probes": PROBE_COLUMNS, "features": FEATURE_COLUMNS,
          "measures": MEASURE_COLUMNS, "best_layers": BEST_COLUMNS}
_MODEL_STYLE = {"trained": ("C0", "-", "o"), "random": ("C1", "--", "s"), "logmel": ("0.35", ":", None)}


def layer_sort_key(name: str) -> tuple:
    """Network order: ``cnn``, ``trm1.0`` … ``trm1.N``, ``conv2``, ``trm2.k``, ``audio.coarse``; ``hidden.k`` by
    k; anything else after, ``logmel`` last."""
    k = layer_index(name)
    if name == "cnn":
        return (0, 0, name)
    if name.startswith(("trm1.", "hidden.")) and k is not None:
        return (1, k, name)
    if name == "conv2":
        return (2, 0, name)
    if name.startswith("trm2.") and k is not None:
        return (3, k, name)
    if name == "audio.coarse":
        return (4, 0, name)
    return (9 if name == "logmel" else 5, 0, name)


def ordered_layers(names) -> list[str]:
    return sorted(set(names), key=layer_sort_key)


def _frame(rows: list[dict] | pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series(dtype=object)
    return df[list(columns)]


def measures(
    abx: pd.DataFrame | None = None, semantic: pd.DataFrame | None = None, probes: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every score of a sweep as one long table (columns :data:`MEASURE_COLUMNS`), one row per
    (measure, model, layer); ``value`` is NaN where the layer was not scorable (``status``, ``reason``).

    - ABX: ``abx.<speaker>.<subset>`` (``.any-context`` appended for context ``any``), error in %, lower is better;
    - sSIMI: ``ssimi.<pool>.<type>``, the pair-weighted mean over the type's datasets (×100), higher is better;
    - probes: ``<metric>.<target>.<subset>`` (PWCCA, k-means NMI, linear-probe accuracy and macro F1), higher is better.
    """
    rows: list[dict] = []
    if abx is not None:
        for r in abx.to_dict("records"):
            ctx = "" if r["context"] == "within" else f".{r['context']}-context"
            rows.append({"family": "abx", "task": "phonetic", "measure": f"abx.{r['speaker']}.{r['subset']}{ctx}",
                         "title": f"ABX {r['speaker']} speaker, {r['subset']}"
                                  + ("" if not ctx else f", {r['context']} context"),
                         "unit": "ABX error (%)", "better": "lower", "model": r["model"], "layer": r["layer"],
                         "value": 100 * float(r["score"]), "status": r["status"], "reason": r["reason"]})
    if semantic is not None:
        for r in semantic.to_dict("records"):
            if r["status"] == SCORED and r["dataset"] != "weighted_mean":
                continue
            rows.append({"family": "ssimi", "task": "semantic", "measure": f"ssimi.{r['pool']}.{r['type']}",
                         "title": f"sSIMI {r['type']}, {r['pool']} pooling", "unit": "sSIMI (Spearman ρ × 100)",
                         "better": "higher", "model": r["model"], "layer": r["layer"],
                         "value": float(r["correlation"]), "status": r["status"], "reason": r["reason"]})
    if probes is not None:
        part = probes[probes["metric"].isin(list(PROBE_METRICS))] if len(probes) else probes
        target_order = {"phone": 0, "word": 1}
        part = part.assign(_t=part["target"].map(target_order), _m=part["metric"].map(list(PROBE_METRICS).index)) \
            if len(part) else part
        if len(part):
            part = part.sort_values(["_t", "subset", "_m"], kind="stable")
        for r in part.to_dict("records"):
            name = PROBE_METRICS[r["metric"]]
            rows.append({"family": "probe", "task": "phonetic" if r["target"] == "phone" else "semantic",
                         "measure": f"{r['metric']}.{r['target']}.{r['subset']}",
                         "title": f"{name}: {r['target']}s, {r['subset']}", "unit": name, "better": "higher",
                         "model": r["model"], "layer": r["layer"], "value": float(r["score"]),
                         "status": r["status"], "reason": r["reason"]})
    return _frame(rows, MEASURE_COLUMNS)


def best_layers(m: pd.DataFrame, *, paper: Mapping[str, str] = PAPER_LAYERS) -> pd.DataFrame:
    """Per measure and model with several layers: the best scored layer, the paper's layer for the measure's task
    (``paper``: task -> layer) with its value and rank (1 = best), and ``difference`` = best − paper value
    (columns :data:`BEST_COLUMNS`)."""
    rows = []
    for (measure, model), g in m.groupby(["measure", "model"], sort=False):
        if g["layer"].nunique() < 2:
            continue
        first = g.iloc[0]
        scored = g[g["status"].eq(SCORED) & g["value"].notna()]
        if not len(scored):
            continue
        lower = first["better"] == "lower"
        ranked = scored.sort_values("value", ascending=lower, kind="stable")
        best = ranked.iloc[0]
        paper_layer = paper.get(first["task"])
        hit = ranked[ranked["layer"] == paper_layer]
        paper_value = float(hit["value"].iloc[0]) if len(hit) else float("nan")
        rank = int(ranked["layer"].tolist().index(paper_layer)) + 1 if len(hit) else None
        rows.append({
            "family": first["family"], "task": first["task"], "measure": measure, "title": first["title"],
            "unit": first["unit"], "better": first["better"], "model": model, "best_layer": best["layer"],
            "best_value": float(best["value"]), "paper_layer": paper_layer if paper_layer in set(g["layer"]) else None,
            "paper_value": paper_value, "difference": float(best["value"]) - paper_value, "paper_rank": rank,
            "n_layers": len(scored),
        })
    return _frame(rows, BEST_COLUMNS)


def measure_table(m: pd.DataFrame, family: str) -> pd.DataFrame:
    """A wide view of one family: rows (model, layer) in network order, one column per measure (its title)."""
    part = m[m["family"] == family]
    if not len(part):
        return pd.DataFrame()
    titles = list(dict.fromkeys(part["title"]))
    wide = part.drop_duplicates(["model", "layer", "title"]).set_index(["model", "layer", "title"])["value"]
    wide = wide.unstack("title").reindex(columns=titles)
    wide.columns.name = None
    models = list(dict.fromkeys(part["model"]))
    index = sorted(wide.index, key=lambda ml: (models.index(ml[0]), layer_sort_key(ml[1])))
    return wide.reindex(index)


def plot_measures(
    m: pd.DataFrame,
    path: str | Path | None = None,
    *,
    family: str,
    title: str | None = None,
    ncols: int | None = None,
    paper: Mapping[str, str] = PAPER_LAYERS,
):
    """One panel per measure of ``family`` (``abx``, ``ssimi`` or ``probe``): the value against the layer, one
    line per model with several layers, a horizontal line per single-layer model (log-mel), the paper's layer for
    the measure's task marked, layers that were not scorable shaded. The legend sits below the panels.

    With ``path`` the figure is written there (PNG) and the path returned; without, the
    :class:`matplotlib.figure.Figure` is returned (in a notebook it is drawn inline).
    """
    part = m[m["family"] == family]
    if not len(part):
        raise InputError(f"no {family} measures to plot")
    names = list(dict.fromkeys(part["measure"]))
    if ncols is None:
        units = part["unit"].nunique()
        ncols = units if units > 1 else min(2, len(names))
    nrows = -(-len(names) // ncols)
    fig = _figure((4.6 * ncols, 3.3 * nrows + 0.9), interactive=path is None)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    handles: dict[str, object] = {}
    for ax, name in zip(axes.flat, names):
        _panel(ax, part[part["measure"] == name], paper, handles)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.suptitle(title or {"abx": "ABX error per layer", "ssimi": "sSIMI per layer",
                           "probe": "Probes per layer"}.get(family, family))
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=min(len(handles), 5),
               frameon=False)
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def _figure(size: tuple[float, float], *, interactive: bool):
    if interactive:  # pyplot: drawn inline by a notebook's backend
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size, layout="constrained")
    from matplotlib.figure import Figure  # no pyplot, no backend: safe in any process

    return Figure(figsize=size, layout="constrained")


def _panel(ax, g: pd.DataFrame, paper: Mapping[str, str], handles: dict) -> None:
    per_model = {model: mg for model, mg in g.groupby("model", sort=False)}
    layered = {model: mg for model, mg in per_model.items() if mg["layer"].nunique() > 1}
    order = ordered_layers(pd.concat(list(layered.values()))["layer"]) if layered else ordered_layers(g["layer"])
    pos = {name: i for i, name in enumerate(order)}
    for name in order:
        statuses = set(g[g["layer"] == name]["status"])
        if SCORED in statuses:
            continue
        coarse = statuses == {NOT_SCORABLE}
        span = ax.axvspan(pos[name] - 0.5, pos[name] + 0.5, color="0.85" if coarse else "#f4cccc", zorder=0, lw=0)
        handles.setdefault("not scorable: frames too coarse" if coarse else "failed (see report)", span)
    for k, (model, mg) in enumerate(per_model.items()):
        colour, style, marker = _MODEL_STYLE.get(model, (f"C{k + 2}", "-", "^"))
        if model in layered:
            values = mg.groupby("layer")["value"].first()
            ys = [values.get(name, float("nan")) for name in order]
            (line,) = ax.plot(range(len(order)), ys, linestyle=style, marker=marker, color=colour, markersize=4)
            handles.setdefault(model, line)
        else:
            row = mg.iloc[0]
            if pd.notna(row["value"]):
                line = ax.axhline(row["value"], linestyle=style, color=colour)
                handles.setdefault(model if model == row["layer"] else f"{model} ({row['layer']})", line)
    if not g["value"].notna().any():
        ax.text(0.5, 0.5, "no layer scored\n(see the report)", transform=ax.transAxes, ha="center", va="center",
                fontsize=9, color="0.3")
    task = g["task"].iloc[0]
    chosen = paper.get(task)
    if chosen in pos:
        pooled = g["family"].iloc[0] == "ssimi"
        label = f"paper's layer ({chosen}" + (f", {PAPER_SSIMI_POOL} pooling)" if pooled else ")")
        mark = ax.axvline(pos[chosen], color="C3" if task == "phonetic" else "C4", linestyle="-.", linewidth=1.2,
                          alpha=0.8)
        handles.setdefault(label, mark)
    ax.set_xticks(range(len(order)), order, rotation=50, ha="right", fontsize=8)
    ax.set_xlim(-0.6, len(order) - 0.4)
    first = g.iloc[0]
    ax.set_title(first["title"], fontsize=10)
    ax.set_ylabel(f"{first['unit']}\n({first['better']} is better)", fontsize=9)
    ax.set_xlabel("layer", fontsize=9)
    ax.grid(alpha=0.3)


@dataclass(frozen=True)
class SweepTables:
    """The tables of a sweep output folder (see :func:`read_sweep`); a measure that was not run gives an empty
    table with its columns."""

    folder: Path
    abx: pd.DataFrame
    semantic: pd.DataFrame
    probes: pd.DataFrame
    features: pd.DataFrame
    measures: pd.DataFrame
    best_layers: pd.DataFrame
    meta: dict


def read_sweep(folder: str | Path) -> SweepTables:
    """Read what ``vgprobe sweep`` wrote into ``folder`` (``sweep.json`` and the CSVs)."""
    import json

    folder = Path(folder)
    meta_path = folder / "sweep.json"
    if not meta_path.is_file():
        raise InputError(f"{folder}: not a sweep output folder (no sweep.json); run `vgprobe sweep --out {folder}`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    tables = {}
    for name, columns in TABLES.items():
        path = folder / f"{name}.csv"
        if path.is_file():
            df = pd.read_csv(path, keep_default_na=False, na_values=[""])
            missing = [c for c in columns if c not in df.columns]
            if missing:
                raise InputError(f"{path}: missing columns {missing}; expected {list(columns)}")
            tables[name] = df
        else:
            tables[name] = _frame([], columns)
    return SweepTables(folder=folder, meta=meta, **tables)
