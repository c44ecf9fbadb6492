"""The quickstart's report folder: Markdown tables with their uncertainty, CSVs, a plot and ``commands.sh``.

Written whole or not at all (a staging folder renamed over ``report/``). Files::

    report.md            the tables below, with a "how to read this" note per section
    retrieval.csv        held-out recall of the trained model and of its random initialisation
    abx.csv              ABX error of every Trm1 layer (trained, random) and log-mel, with 95 % intervals
    semantic.csv         sSIMI of trm2.1 (max pooling) and log-mel, with 95 % intervals
    lm.csv               lexical and syntactic accuracy of the unit-bigram baseline
    wordseg.csv          word discovery from each layer's CLS attention (trained, random)
    ablation.csv         the change of ABX and sSIMI when each head of the trained model is switched off
    abx_layers.png       ABX error against layer
    commands.sh          the CLI calls that reproduce every table (see :mod:`.commands_script`)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import pandas as pd

SYNTHETIC_DATA_NOTE = (
    "The speech is synthetic (espeak-ng), made harder on purpose: each speaker's prosody and voice variant vary "
    "from utterance to utterance, and each sentence is recorded through a simulated room, background noise and "
    "microphone, with dev-other harder than dev-clean. This puts the log-mel baseline near what spectral features "
    "score on real LibriSpeech (about 10-15 % ABX error within speaker, 20 % across, on dev-clean). The figures "
    "show that the pipeline works end to end and how layers rank against known baselines on controlled data with "
    "exact alignments. They are not evidence of how a model does on real speech: espeak has a small vocabulary of "
    "fixed voices and no real coarticulation or speaker variety, the rooms and noise are simulated, and the model "
    "was trained for minutes on a few hundred captions. Only scores on the real ZeroSpeech 2021 sets compare with "
    "published numbers."
)
ABX_NOTE = (
    "How to read this: error in %, lower is better; 50 % is chance. Each cell is the ZR2021 score (cosine, triphone "
    "context within, caps 10/5) with its 95 % interval from a bootstrap over speakers in brackets: with two or "
    "four speakers per subset these intervals are wide, and rows whose intervals overlap are not distinguished by "
    "this data. `cells` and `triplets` say how much the score rests on."
)
SEMANTIC_NOTE = (
    "How to read this: Spearman correlation x100 between the model's distances and the human judgements of the "
    "word pairs, higher is better, 0 is chance; 95 % interval by bootstrap over pairs in brackets. With a few dozen "
    "pairs per dataset, correlations within about ±30 of each other are noise."
)


def write_report(report: Path, *, cfg, fast: bool, retrieval: pd.DataFrame, sweep, lm: pd.DataFrame,
                 submissions: dict[str, Path], data: Path, stages, script, log: Callable[[str], None],
                 heads=None) -> Path:
    """Write the report folder (see the module docstring) and return it."""
    from vgprobe.analysis.layer_sweep import plot_abx_sweep
    from vgprobe.atomic import atomic_folder

    abx = _abx_rows(sweep.tables["abx"])
    sem = _semantic_rows(sweep.tables["semantic"])

    def build() -> Path:
        with atomic_folder(report) as tmp:
            retrieval.to_csv(tmp / "retrieval.csv", index=False)
            abx.to_csv(tmp / "abx.csv", index=False)
            sem.to_csv(tmp / "semantic.csv", index=False)
            lm.to_csv(tmp / "lm.csv", index=False)
            for name in ("wordseg", "ablation"):
                if heads is not None and name in heads.tables:
                    heads.tables[name].to_csv(tmp / f"{name}.csv", index=False)
            plot_abx_sweep(abx, tmp / "abx_layers.png", title="ABX error per Trm1 layer: trained vs random init")
            (tmp / "commands.sh").write_text(script.render(), encoding="utf-8")
            (tmp / "report.md").write_text(
                markdown(cfg=cfg, fast=fast, retrieval=retrieval, abx=abx, sem=sem, lm=lm, submissions=submissions,
                         data=data, times=stages.times, heads=heads), encoding="utf-8")
        return report

    return stages.run("report", f"tables, plot, CSVs and commands -> {report}", build)


def _abx_rows(abx: pd.DataFrame) -> pd.DataFrame:
    keep = abx["status"].eq("scored") & (abx["layer"].str.startswith("trm1.") | abx["layer"].eq("logmel"))
    return abx[keep].reset_index(drop=True)


def _semantic_rows(sem: pd.DataFrame) -> pd.DataFrame:
    return sem[sem["pool"].eq("max") & sem["layer"].isin(["trm2.1", "logmel"])].reset_index(drop=True)


def _cell(score: float, lo: float, hi: float, scale: float = 100.0, digits: int = 1) -> str:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "–"
    text = f"{scale * score:.{digits}f}"
    if lo is not None and hi is not None and not (math.isnan(lo) or math.isnan(hi)):
        text += f" [{scale * lo:.{digits}f}, {scale * hi:.{digits}f}]"
    return text


def _table(rows: list[dict]) -> str:
    from vgprobe.pipelines.sweep_report import md_table

    return md_table(pd.DataFrame(rows))


def abx_table(abx: pd.DataFrame) -> str:
    """model × layer rows; columns in the field's order: dev-clean within, across, then dev-other."""
    order = [(s, m) for s in sorted(abx["subset"].unique()) for m in ("within", "across")]
    rows = []
    for (model, layer), g in abx.groupby(["model", "layer"], sort=False):
        row = {"model": model, "layer": layer}
        for subset, speaker in order:
            hit = g[(g["subset"] == subset) & (g["speaker"] == speaker)]
            r = hit.iloc[0] if len(hit) else None
            row[f"{subset} {speaker}"] = "–" if r is None else _cell(r["score"], r["ci_low"], r["ci_high"])
        row["cells / triplets"] = f"{int(g['n_cells'].sum())} / {int(g['n_triplets'].sum())}"
        rows.append(row)
    return _table(rows)


def semantic_table(sem: pd.DataFrame) -> str:
    rows = [{"model": r["model"], "layer": r["layer"], "type": r["type"], "dataset": r["dataset"],
             "correlation": _cell(r["correlation"], r.get("ci_low"), r.get("ci_high"), scale=1.0, digits=1),
             "pairs": int(r["n_pairs"])} for _, r in sem.iterrows()]
    return _table(rows)


def retrieval_table(ret: pd.DataFrame) -> str:
    rows = [{"model": r["model"], "mode": r["mode"], "direction": r["direction"].replace("_", " "),
             **{f"R@{k}": f"{100 * r[f'R@{k}']:.1f}" for k in (1, 5, 10)}} for _, r in ret.iterrows()]
    return _table(rows)


def lm_table(lm: pd.DataFrame) -> str:
    """Lexical: overall and in-vocabulary; syntactic: overall and per type (the official breakdowns)."""
    rows = []
    for _, r in lm.iterrows():
        wanted = ("all", "in_vocab") if r["task"] == "lexical" else ("all", "type")
        if r["breakdown"] not in wanted:
            continue
        detail = r.get("type") if r["task"] == "syntactic" else r.get("group")
        rows.append({"task": r["task"], "breakdown": r["breakdown"],
                     "group": detail if isinstance(detail, str) and detail else "–",
                     "pairs": int(r["n_pairs"]), "accuracy %": "–" if r["score"] != r["score"]
                     else f"{100 * r['score']:.1f}"})
    return _table(rows)


def heads_section(heads) -> str:
    """Boundary F1 per layer (trained, random) and the heads whose ablation harms ABX most."""
    if heads is None:
        return ""
    parts = ["## Attention heads"]
    ws = heads.tables.get("wordseg")
    if ws is not None:
        view = ws.pivot_table(index="layer", columns="model", values="boundary_f1", sort=False)
        rows = [{"layer": layer, **{f"{m} F1 %": "–" if r[m] != r[m] else f"{100 * r[m]:.1f}" for m in view.columns}}
                for layer, r in view.iterrows()]
        tolerance = 1000 * ws.attrs["tolerance"]
        parts += ["Word boundaries found from each layer's CLS attention (VG-HuBERT's rule), against the exact "
                  f"synthetic word alignments, boundary F1 with a {tolerance:.0f} ms tolerance:", _table(rows)]
        best = [f"- best {model} layer: `{view[model].dropna().idxmax()}` ({100 * view[model].max():.1f} %)"
                for model in view.columns if view[model].notna().any()]
        parts.append("\n".join(best))
    ab = heads.tables.get("ablation")
    if ab is not None:
        from vgprobe.analysis.heads import rank_ablations

        top = rank_ablations(ab, "abx")
        top = top[top["affected"]].head(5)
        parts += ["Heads of the trained model whose removal raises ABX error most (mean of subsets and speaker "
                  "modes, % points):",
                  _table([{"head": r["ablation"], "ABX before": f"{r['baseline']:.2f}", "after": f"{r['ablated']:.2f}",
                           "Δ": f"{r['delta']:+.2f}"} for _, r in top.iterrows()])]
    parts.append("Per-head statistics, every layer's segmentation scores, CLS attention over utterances and the "
                 "full ablation (sSIMI too): [the heads report](../heads/report.md). With a model trained for "
                 "minutes on synthetic speech these are a demonstration of the analysis, not a finding.")
    return "\n\n".join(parts)


def markdown(*, cfg, fast: bool, retrieval: pd.DataFrame, abx: pd.DataFrame, sem: pd.DataFrame, lm: pd.DataFrame,
             submissions: dict[str, Path], data: Path, times, heads=None) -> str:
    from vgprobe.zerospeech.lm.baseline import BASELINE_LABEL
    from vgprobe.zerospeech.semantic.labels import subset_note

    n_test = retrieval.attrs.get("n_test_images")
    parts = [
        "# vgprobe quickstart report",
        f"Mode: {'--fast' if fast else 'full'}; recipe `{cfg.recipe}`. Every number below comes from vgprobe's own "
        "code paths; `commands.sh` lists the CLI calls that reproduce each table "
        "(`R=/tmp/again bash commands.sh --evaluation` re-runs the evaluations into a fresh folder).",
        "**What this data is.** " + SYNTHETIC_DATA_NOTE,
        "## Held-out retrieval (test split, %)",
        retrieval_table(retrieval),
        (f"Chance R@k is k / {n_test} with {n_test} test images (R@10 ≈ {100 * 10 / n_test:.1f} %). The `random` "
         "rows are the same architecture at random initialisation (same seed)." if n_test else ""),
        "## ABX error (%) per Trm1 layer",
        abx_table(abx),
        ABX_NOTE,
        "![ABX error per Trm1 layer](abx_layers.png)",
        "Every layer (Conv1 to Trm2), sSIMI with mean pooling too, the probes and the best layer per measure against "
        "the paper's choices: [the layer sweep's report](../sweep/report.md).",
        "## sSIMI (trm2.1, max pooling, cosine)",
        semantic_table(sem),
        SEMANTIC_NOTE,
        subset_note(data) or "",
        "## Lexical (sWUGGY) and syntactic (sBLIMP) accuracy (%)",
        lm_table(lm),
        f"{BASELINE_LABEL} 50 % is chance. The synthetic lexical and syntactic sets are small: a few dozen pairs.",
        "## ZeroSpeech toolkit submissions",
        "\n".join(f"- `{name}`: `{path}`" for name, path in submissions.items())
        + "\n\nBuilt by `vgprobe submission` in the layout, `meta.yaml` and `params.yaml` that zerospeech-benchmarks "
        "validates (CI checks them with the toolkit itself, in its own environment).",
        heads_section(heads),
        "## Stages",
        _table([{"stage": n, "seconds": f"{t:.1f}"} for n, t in times]),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
