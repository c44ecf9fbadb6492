"""The files of a ``vgprobe heads`` report: CSVs, figures, segments, ``commands.sh`` and ``report.md``."""

from __future__ import annotations

import json
import shlex
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

STACK_ORDER = ("encoder", "trm1", "trm2", "image", "cross")
LAYER_STATISTICS = ("entropy_bits", "distance_ms", "cls_mass", "self_mass", "neighbour_mass", "silence_mass")
WORDSEG_SHOWN = {"boundary_precision": "P %", "boundary_recall": "R %", "boundary_f1": "F1 %", "r_value": "R-val %",
                 "word_coverage": "WC %", "a_score": "A %", "wd": "WD", "top250_f1": "top-250 F1 %",
                 "purity": "purity %", "nmi": "NMI %", "n_segments": "segments"}
PERCENT = ("boundary_precision", "boundary_recall", "boundary_f1", "r_value", "word_coverage", "a_score", "purity",
           "nmi")
ABLATION_METRICS = {"abx": "ABX error (%), mean of subsets and speaker modes",
                    "ssimi.synthetic": "sSIMI synthetic (Spearman x 100)",
                    "ssimi.librispeech": "sSIMI librispeech (Spearman x 100)",
                    "r1": "coarse R@1 (%), mean of both directions"}


def write_report(folder: Path, *, cfg, result, data, gold, files: list[Path]) -> Path:
    """Write everything into ``folder`` (a staging folder the caller moves into place)."""
    t = result.tables
    t["statistics"].to_csv(folder / "statistics.csv", index=False)
    figures: dict[str, str] = {}
    figures.update(_statistics_figures(t["statistics"], folder))
    segments: dict[str, str] = {}
    if "wordseg" in t:
        wordseg = t["wordseg"]
        wordseg.to_csv(folder / "wordseg.csv", index=False)
        _write_gold(gold, files, folder / "gold.json")
        segments = _write_segments(data.found, folder / "segments")
        from vgprobe.analysis.heads.plots import plot_discovery_layers

        plot_discovery_layers(wordseg, folder / "wordseg_layers.png")
        figures["wordseg"] = "wordseg_layers.png"
        view = _cls_views(cfg, data, gold, files, wordseg)
        if view:
            from vgprobe.analysis.heads.plots import plot_cls_attention

            layer, views = view
            plot_cls_attention(views, folder / "cls_attention.png",
                               title=f"CLS attention of {layer} (trained model, its best layer), each head")
            figures["cls"] = "cls_attention.png"
            figures["cls_layer"] = layer
    if "ablation" in t:
        t["ablation"].to_csv(folder / "ablation.csv", index=False)
        from vgprobe.analysis.heads.plots import plot_ablation

        for metric in ABLATION_METRICS:
            if metric in set(t["ablation"]["metric"]):
                name = f"ablation_{metric.replace('.', '_')}.png"
                plot_ablation(t["ablation"], folder / name, metric=metric, top=20)
                figures[f"ablation_{metric}"] = name
    (folder / "commands.sh").write_text(_commands(cfg, segments), encoding="utf-8")
    n_captions = None if data.captions is None else len(data.captions.wav)
    (folder / "report.md").write_text(_markdown(cfg, result, figures, files, gold, n_captions), encoding="utf-8")
    return folder / "report.md"


def _statistics_figures(stats: pd.DataFrame, folder: Path) -> dict[str, str]:
    from vgprobe.analysis.heads.plots import plot_head_heatmaps, plot_head_similarity

    out = {}
    models = [m for m in ("trained", "random") if m in set(stats["model"])]
    difference = ("trained", "random") if len(models) == 2 else None
    for stack in dict.fromkeys(stats["stack"]):
        plot_head_heatmaps(stats, folder / f"heads_{stack}.png", stack=stack, models=models, difference=difference)
        out[f"heads_{stack}"] = f"heads_{stack}.png"
    first = next(iter(dict.fromkeys(stats["stack"])))
    plot_head_similarity(stats, folder / f"similarity_{first}.png", stack=first, model="trained")
    out["similarity"] = f"similarity_{first}.png"
    return out


def _write_gold(gold, files: list[Path], path: Path) -> None:
    utts = [f.stem for f in files]
    data = {u: [[w.onset, w.offset, w.label] for w in gold.words[u]] for u in utts}
    path.write_text(json.dumps(data), encoding="utf-8")


def _write_segments(found: dict, folder: Path) -> dict[str, str]:
    """``segments/<model>/<layer>.json`` (prediction JSON) and ``.feats.npz`` (pooled features) per layer."""
    from vgprobe.analysis.wordseg import write_pred

    written = {}
    for model, layers in found.items():
        for layer, d in layers.items():
            base = folder / model / layer
            write_pred(base.parent / f"{layer}.json", d.preds)
            np.savez(base.parent / f"{layer}.feats.npz", **d.features)
            written[f"{model}/{layer}"] = f"segments/{model}/{layer}"
    return written


def best_layer(wordseg: pd.DataFrame, model: str, measure: str = "boundary_f1") -> tuple[str, float] | None:
    part = wordseg[(wordseg["model"] == model) & wordseg[measure].notna()]
    if part.empty:
        return None
    row = part.loc[part[measure].idxmax()]
    return str(row["layer"]), float(row[measure])


def _cls_views(cfg, data, gold, files: list[Path], wordseg: pd.DataFrame):
    from vgprobe.analysis.heads.plots import ClsAttentionView
    from vgprobe.audio import read_audio

    best = best_layer(wordseg, "trained")
    if best is None or cfg.views < 1:
        return None
    layer = best[0]
    found = data.found["trained"][layer]
    chosen = [f for f in files if len(gold.words[f.stem]) >= 3][: cfg.views] or files[: cfg.views]
    views = []
    for f in chosen:
        u = f.stem
        p = found.preds[u]
        views.append(ClsAttentionView(name=u, samples=read_audio(f).samples,
                                      attention=data.cls_rows["trained"][layer][u], spf=p["spf"], words=[(w.onset, w.offset, w.label) for w in gold.words[u]],
                                      segments=[tuple(s) for s in p["segments"]]))
    return layer, views


def _heads_command(cfg) -> list[str]:
    argv = ["vgprobe", "heads", "--checkpoint", cfg.checkpoint, "--data", str(cfg.data), "--out", str(cfg.out)]
    for a in cfg.alignments:
        argv += ["--alignments", str(a)]
    defaults = {f.name: f.default for f in fields(cfg)}
    for k in ("split", "max_files", "q", "pool", "clusters", "tolerance", "abx_layer", "corpus_split", "views", "seed"):
        v = getattr(cfg, k)
        if v != defaults[k]:
            argv += [f"--{k.replace('_', '-')}", str(v)]
    for layer, path in cfg.centroids:
        argv += ["--centroids", f"{layer}={path}"]
    if cfg.corpus is not None:
        argv += ["--corpus", str(cfg.corpus)]
    if cfg.seconds is not None:
        argv += ["--seconds", str(cfg.seconds)]
    if not cfg.baseline:
        argv.append("--no-baseline")
    if not cfg.ablation:
        argv.append("--no-ablation")
    return argv


def _commands(cfg, segments: dict[str, str]) -> str:
    lines = ["#!/usr/bin/env bash", "# What made this report, and the calls that reproduce its word-discovery rows",
             "# (wordseg.csv) from the files beside this script.", "set -euo pipefail",
             f"# {shlex.join(_heads_command(cfg))}", 'cd "$(dirname "$0")"']
    for key, base in segments.items():
        lines.append(f"vgprobe analyze wordseg --gold gold.json --pred {base}.json --feats {base}.feats.npz "
                     f"--tolerance {cfg.tolerance} --json > {base}.report.json  # {key}")
    return "\n".join(lines) + "\n"


def _table(df: pd.DataFrame, columns: dict[str, str], percent=(), floatfmt: str = ".2f") -> str:
    """``columns`` of ``df`` renamed, ``percent`` ones x 100, as a pipe table (NaN as n/a)."""
    from vgprobe.pipelines.sweep_report import md_table

    view = df[list(columns)].copy()
    for c in percent:
        view[c] = 100 * view[c].astype(float)
    return md_table(view.rename(columns=columns), floatfmt=floatfmt)


def _layer_statistics(stats: pd.DataFrame) -> pd.DataFrame:
    per_head = stats[stats["statistic"].isin(LAYER_STATISTICS)]
    view = per_head.pivot_table(index=["model", "stack", "layer"], columns="statistic", values="value",
                                aggfunc="mean", sort=False).reset_index()
    for s in LAYER_STATISTICS:
        if s not in view:
            view[s] = np.nan
    models = {"trained": 0, "random": 1}

    def key(c: pd.Series) -> pd.Series:
        if c.name == "model":
            return c.map(models)
        if c.name == "stack":  # network order: audio stacks, image encoder, cross encoder
            return c.map(lambda s: f"{STACK_ORDER.index(s.split('.')[0]) if s.split('.')[0] in STACK_ORDER else 9}{s}")
        return c

    return view.sort_values(["stack", "layer", "model"], key=key, kind="stable")


def _markdown(cfg, result, figures: dict[str, str], files: list[Path], gold, n_captions: int | None = None) -> str:
    t = result.tables
    out = ["# Attention heads", "",
           f"Checkpoint `{cfg.checkpoint}`" + (f", against its random initialisation `{result.models['random']}` "
                                               f"(seed {cfg.seed})" if "random" in result.models else "")
           + f"; {len(files)} phonetic files of `{cfg.data}`" + (f"; gold words from {gold.source}." if gold else "."),
           ""]
    for n in result.notes:
        out += [f"- {n}"]
    if result.notes:
        out.append("")
    out += ["## 1. Per-head statistics", "",
            "Mean over heads, per layer (`statistics.csv` has every head; `jsd_bits` there is the Jensen–Shannon "
            "divergence between two heads' maps). Entropy in bits (uniform over T frames is log2 T); distance = mean "
            "attended distance in ms; masses are fractions of each query's attention on the CLS token, on the query "
            "itself, on its ±1 neighbours and on silent frames (frames in no gold word).", ""]
    cols = {"model": "model", "stack": "stack", "layer": "layer", "entropy_bits": "entropy (bits)",
            "distance_ms": "distance (ms)", "cls_mass": "CLS", "self_mass": "self", "neighbour_mass": "±1",
            "silence_mass": "silence"}
    out += [_table(_layer_statistics(t["statistics"]), cols), ""]
    for key, name in figures.items():
        if key.startswith("heads_"):
            out += [f"![{key}]({name})", ""]
    if "similarity" in figures:
        out += [f"![head similarity]({figures['similarity']})", ""]
    out += ["How to read: a head whose entropy is near log2 T and whose masses match the random model's looks at "
            "everything; low entropy with a high ±1 mass is a local (convolution-like) head; a high CLS mass is a "
            "head that parks its attention on the summary token. The difference row (trained − random) shows what "
            "training changed, on the same colour scale.", ""]
    if "wordseg" in t:
        ws = t["wordseg"]
        out += ["## 2. Word discovery from CLS attention", "",
                f"Each layer's CLS attention segmented as VG-HuBERT does (a frame is kept when some head's weight "
                f"reaches its {cfg.q:g} quantile; runs of kept frames are segments, runs of one frame dropped), "
                f"segments {cfg.pool}-pooled from the same layer's features and clustered by k-means (at most "
                f"{cfg.clusters} codes), scored against the gold words with a {1000 * cfg.tolerance:.0f} ms boundary "
                "tolerance. P/R/F1 and R-value are boundary scores; WC word coverage, A the A-score (harmonic mean "
                "of IoU and WC); WD the number of word types whose best code has F1 ≥ 0.5; NMI the true normalised "
                "mutual information of codes and words (the reference's `nmi`, a normalised conditional entropy, is "
                "in each layer's full report).", ""]
        cols = {"model": "model", "layer": "layer", **WORDSEG_SHOWN}
        out += [_table(ws, cols, percent=PERCENT, floatfmt=".1f"), ""]
        for model in ("trained", "random"):
            b = best_layer(ws, model)
            if b:
                out.append(f"- best {model} layer by boundary F1: `{b[0]}` ({100 * b[1]:.1f} %)")
        out += ["", f"![word discovery per layer]({figures['wordseg']})", ""]
        if "cls" in figures:
            out += [f"![CLS attention]({figures['cls']})", "",
                    f"CLS attention of `{figures['cls_layer']}` over a few utterances: gold word boundaries in blue, "
                    "the predicted segments in orange.", ""]
        out += ["`commands.sh` re-scores every layer's segments (`segments/<model>/<layer>.json`) with "
                "`vgprobe analyze wordseg`; its numbers equal this table.", ""]
    if "ablation" in t:
        ab = t["ablation"]
        base = ab.attrs.get("baseline", {})
        out += ["## 3. Head ablation", "",
                f"Each head of the trained model switched off alone (its output zeroed before the output projection), "
                f"every metric re-computed; `harm` is the change signed so that positive means worse. ABX reads "
                f"`{cfg.abx_layer}`, sSIMI `trm2.1` max-pooled. Heads that cannot change a metric (above its layer, "
                "or in a branch it does not read) are left out of its ranking."
                + (f" R@1 is computed over the {n_captions} captions of `{cfg.corpus}` ({cfg.corpus_split}), so it "
                   f"moves in steps of {100 / n_captions:.2g} points." if n_captions else ""), ""]
        from vgprobe.analysis.heads import rank_ablations

        for metric, what in ABLATION_METRICS.items():
            if metric not in set(ab["metric"]):
                continue
            ranked = rank_ablations(ab, metric)
            ranked = ranked[ranked["affected"]].head(10)
            out += [f"### {what}: baseline {base.get(metric, float('nan')):.2f}", "",
                    _table(ranked, {"ablation": "head", "ablated": "ablated", "delta": "Δ", "harm": "harm"}), "",
                    f"![ablation {metric}]({figures[f'ablation_{metric}']})", ""]
    out += ["## Timing", "", "| stage | seconds |", "|---|---|"]
    out += [f"| {name} | {sec:.1f} |" for name, sec in result.times]
    return "\n".join(out) + "\n"
