"""The layer sweep's output folder, written whole or not at all (a staging folder renamed over ``out``).

Files (the CSV columns are those of :mod:`vgprobe.analysis.layer_sweep`):

- ``report.md``: the summary (best layer per measure against the paper's choices), the tables and the plots;
- ``abx.csv`` (``ABX_COLUMNS``), ``semantic.csv`` (``SEMANTIC_COLUMNS``), ``probes.csv`` (``PROBE_COLUMNS``): every
  score, one row per (model, layer, condition); layers that could not be scored have ``status`` "not scorable",
  a ``reason`` and an empty score;
- ``measures.csv`` (``MEASURE_COLUMNS``): every score as (measure, model, layer, value), what the plots draw;
- ``best_layers.csv`` (``BEST_COLUMNS``): per measure and model, the best layer and the paper's layer;
- ``features.csv`` (``FEATURE_COLUMNS``): where each layer's features are in the cache, and what was computed;
- ``abx.png``, ``semantic.png``, ``probes.png``: one panel per measure (those of the measures that ran);
- ``commands.sh``: the per-layer CLI calls that give the same ABX and sSIMI numbers;
- ``sweep.json``: settings, models, cache entries, stage times (what :func:`~vgprobe.analysis.layer_sweep.read_sweep`
  reads back).
"""

from __future__ import annotations

import json
import math
import shlex
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vgprobe import __version__
from vgprobe.analysis.layer_sweep import (
    FAILED,
    NOT_SCORABLE,
    PAPER_LAYERS,
    PAPER_SSIMI_POOL,
    measure_table,
    plot_measures,
)
from vgprobe.atomic import atomic_folder
from vgprobe.pipelines import sweep_scoring as scoring

if TYPE_CHECKING:
    from vgprobe.pipelines.sweep import SweepConfig, SweepResult

PLOTS = {"abx": ("abx.png", "ABX error per layer (ZR2021 protocol: cosine, context within)"),
         "ssimi": ("semantic.png", "sSIMI per layer (pair-weighted mean over datasets)"),
         "probe": ("probes.png", "Layer-wise probes (speaker-grouped cross-validation)")}


def write_report(result: SweepResult, cfg: SweepConfig, *, cache: Path, item_kind: str, started: float) -> Path:
    out = Path(cfg.out)
    t = result.tables
    with atomic_folder(out) as tmp:
        for name in ("abx", "semantic", "probes", "measures", "best_layers", "features"):
            t[name].to_csv(tmp / f"{name}.csv", index=False)
        plots = {}
        for family, (file, title) in PLOTS.items():
            if (t["measures"]["family"] == family).any():
                plot_measures(t["measures"], tmp / file, family=family, title=title)
                plots[family] = file
        (tmp / "commands.sh").write_text(_commands(result, cfg), encoding="utf-8")
        (tmp / "report.md").write_text(_markdown(result, cfg, plots, item_kind), encoding="utf-8")
        meta = {
            "vgprobe_version": __version__,
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
            "cache": str(cache),
            "models": [asdict(m) for m in result.models],
            "entries": {k: str(v) for k, v in result.entries.items()},
            "extracted": {k: {"computed": c, "reused": r} for k, (c, r) in result.extracted.items()},
            "scores": {"computed": result.scores_computed, "reused": result.scores_reused},
            "stages": [{"stage": n, "seconds": s} for n, s in result.stages],
            "abx_options": scoring.abx_options() if "abx" in cfg.measures else None,
            "probe_items": item_kind if cfg.probes else None,
            "paper_layers": {**PAPER_LAYERS, "semantic_pool": PAPER_SSIMI_POOL},
            "plots": plots,
        }
        (tmp / "sweep.json").write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return out


# ---------------------------------------------------------------------------- markdown
def md_table(df: pd.DataFrame, *, floatfmt: str = ".2f", na: str = "n/a") -> str:
    """A pipe table; floats with ``floatfmt``, NaN as ``na``."""
    if not len(df):
        return "(none)"

    def cell(v) -> str:
        if isinstance(v, float):
            return na if math.isnan(v) else f"{v:{floatfmt}}"
        return na if v is None else str(v)

    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _markdown(result: SweepResult, cfg: SweepConfig, plots: dict[str, str], item_kind: str) -> str:
    t = result.tables
    m = t["measures"]
    trained = result.models[0]
    parts = [
        f"# Layer sweep of `{cfg.checkpoint}`",
        (f"{trained.description} (sha256 `{trained.fingerprint[:16]}…`), data `{Path(cfg.data).resolve()}`, split "
         f"`{cfg.split}`, vgprobe {__version__}. Every number below comes from vgprobe's scorers (ABX equal to "
         "zerospeech-libriabx2, sSIMI equal to the ZeroSpeech 2021 scorer); `commands.sh` gives the per-layer CLI "
         "calls."),
        "## Models",
        md_table(pd.DataFrame([{"model": x.label, "checkpoint": f"`{x.checkpoint}`", "what": x.description,
                                "sha256": f"`{x.fingerprint[:12]}`", "layers": len(x.layers)}
                               for x in result.models])),
        "## Summary: best layer per measure",
        _summary(result),
    ]
    for family, heading, note in (
        ("abx", "ABX error (%, lower is better)",
         ("ZR2021 protocol: cosine (angular) distance, context within, within and across speaker, caps 10 / 5, "
          "seed 3459, Libri-Light slicing, triphone items.")),
        ("ssimi", "sSIMI (Spearman ρ × 100, higher is better)",
         ("Pair-weighted mean of the per-dataset correlations of each type; cosine distance between pooled files. "
          "`semantic.csv` has every dataset.")),
        ("probe", "Probes (higher is better)",
         f"PWCCA (speaker-grouped 5-fold), k-means NMI (50 clusters), linear probe (speaker-held-out); phone tokens "
         f"from the {item_kind} items, word tokens from the sSIMI sets"
         + (" and the given word alignments" if cfg.alignments else "") + ". `probes.csv` has the chance baselines."),
    ):
        if not (m["family"] == family).any():
            continue
        wide = measure_table(m, family).reset_index()
        parts += [f"## {heading}", note, md_table(wide, floatfmt=".2f" if family != "probe" else ".3f")]
        if family in plots:
            parts.append(f"![{heading}]({plots[family]})")
    parts += ["## Layers not scored", _not_scorable(t)]
    feats = t["features"].groupby("model", sort=False).agg(layers=("layer", "count"), files=("n_files", "first"),
                                                           computed=("n_computed", "first"),
                                                           reused=("n_reused", "first")).reset_index()
    feats["cache entry"] = [f"`{result.entries[x]}`" for x in feats["model"]]
    parts += ["## Features", ("One forward pass per file serves every layer; features are cached by model sha256, "
                              "data and settings, so a re-run computes only what is missing."), md_table(feats),
              f"Scores: {result.scores_computed} layer scores computed, {result.scores_reused} read from the cache.",
              "## Stages", md_table(pd.DataFrame(result.stages, columns=["stage", "seconds"]), floatfmt=".1f")]
    return "\n\n".join(parts) + "\n"


def _summary(result: SweepResult) -> str:
    t = result.tables
    best = t["best_layers"]
    m = t["measures"]
    if not len(best):
        return "No measure has several scored layers."
    rows = []
    trained = best[best["model"] == "trained"]
    for r in trained.itertuples(index=False):
        others = {}
        for label in ("random", "logmel"):
            part = m[(m["measure"] == r.measure) & (m["model"] == label)]
            if label == "random":
                hit = best[(best["measure"] == r.measure) & (best["model"] == "random")]
                others[label] = f"{hit['best_value'].iloc[0]:.2f} ({hit['best_layer'].iloc[0]})" if len(hit) else "—"
            else:
                others[label] = f"{part['value'].iloc[0]:.2f}" if len(part) and pd.notna(part["value"].iloc[0]) else "—"
        if pd.isna(r.paper_layer):
            paper = "—"
        elif pd.isna(r.paper_value):
            paper = f"{r.paper_layer}: not scored"
        else:
            paper = (f"{r.paper_layer}: {r.paper_value:.2f} (rank {int(r.paper_rank)} of {r.n_layers}, "
                     f"{r.difference:+.2f})")
        rows.append({"measure": r.title, "best layer": f"**{r.best_layer}**", "value": r.best_value,
                     "paper's layer: value (rank, best − paper)": paper, "random init, best": others["random"],
                     "log-mel": others["logmel"]})
    table = md_table(pd.DataFrame(rows))
    text = [table, ""]
    for task, label in (("phonetic", "Phonetic measures (ABX, phone probes)"),
                        ("semantic", "Semantic measures (sSIMI, word probes)")):
        part = trained[trained["task"] == task]
        if not len(part):
            continue
        paper_layer = PAPER_LAYERS[task]
        agree = int((part["best_layer"] == paper_layer).sum())
        winners = part["best_layer"].value_counts()
        top = ", ".join(f"{name} ({n})" for name, n in winners.items())
        text.append(f"- {label}: the paper's `{paper_layer}` is the best layer of this checkpoint in "
                    f"{agree} of {len(part)}; best layers: {top}.")
    ssimi = m[(m["family"] == "ssimi") & (m["model"] == "trained") & m["value"].notna()]
    for type_, g in ssimi.groupby(ssimi["measure"].str.split(".").str[2], sort=True):
        top = g.sort_values("value", ascending=False).iloc[0]
        pool = top["measure"].split(".")[1]
        ref = g[(g["layer"] == PAPER_LAYERS["semantic"]) & (g["measure"] == f"ssimi.{PAPER_SSIMI_POOL}.{type_}")]
        ref_text = f"{ref['value'].iloc[0]:.2f}" if len(ref) else "not scored"
        text.append(f"- sSIMI {type_}, over layers and poolings: best `{top['layer']}` with {pool} pooling "
                    f"({top['value']:.2f}); the paper's `{PAPER_LAYERS['semantic']}` with {PAPER_SSIMI_POOL} pooling: "
                    f"{ref_text}.")
    return "\n".join(text)


def _not_scorable(t: dict[str, pd.DataFrame]) -> str:
    rows = []
    for name in ("abx", "semantic", "probes"):
        part = t[name][t[name]["status"].isin([NOT_SCORABLE, FAILED])]
        keys = ["status", "model", "layer", "reason"] + (["subset"] if name == "probes" else [])
        for key, g in part.groupby(keys, sort=False):
            row = dict(zip(keys, key))
            rows.append({"table": name, "status": row["status"], "model": row["model"], "layer": row["layer"],
                         "token set": row.get("subset", ""), "rows": len(g), "reason": row["reason"]})
    return md_table(pd.DataFrame(rows)) if rows else "Every layer was scored on every measure."


# ---------------------------------------------------------------------------- commands.sh
def _commands(result: SweepResult, cfg: SweepConfig) -> str:
    data, split = str(Path(cfg.data).resolve()), cfg.split
    lines = ["#!/usr/bin/env bash",
             "# Per-layer CLI calls that give the sweep's ABX and sSIMI numbers (the sweep runs the same library",
             "# code in one process, with one forward pass per file and cached features). Probes: Python only,",
             "# vgprobe.analysis.probes.probe_layer(layer_folder, data_root, split=...).",
             "set -euo pipefail"]
    for m in result.models:
        root = str(result.entries[m.label])
        lines.append(f"\n# {m.label}: {m.description}")
        lines.append(shlex.join(["vgprobe", "extract", "--checkpoint", m.checkpoint, "--data", data, "--split", split,
                                 "--out", root, "--layer", ",".join(m.layers), "--seed", str(m.seed)]))
        for layer in m.layers:
            folder = str(Path(root) / layer)
            if "abx" in cfg.measures and scoring.frame_rate_reason(layer, m.frame_shift(layer)) is None:
                lines.append(shlex.join(["vgprobe", "abx", "--submission", folder, "--data", data, "--split", split]))
            if "semantic" in cfg.measures:
                for pool in cfg.pools:
                    lines.append(shlex.join(["vgprobe", "semantic", "--submission", folder, "--data", data,
                                             "--split", split, "--pool", pool]))
    return "\n".join(lines) + "\n"
