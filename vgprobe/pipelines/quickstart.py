"""``vgprobe quickstart``: the whole pipeline on synthetic data, offline, in one command.

1. synthesise a mini ZeroSpeech 2021 set and an image–caption corpus (espeak-ng);
2. train the ``tiny`` FaST-VGS recipe on the corpus and report held-out retrieval (coarse, CTF);
3. sweep the layers (:mod:`vgprobe.pipelines.sweep`, into ``sweep/``): every layer of the trained model, of the
   same model at random initialisation (same seed) and a log-mel baseline, extracted once into ``features/``
   (a cache) and scored on ABX (within/across speaker), sSIMI (max and mean pooling) and, in full mode, the
   layer-wise probes; the sweep's report names the best layer per measure against the paper's choices;
4. write a report folder (Markdown tables, a plot of ABX error per Trm1 layer, raw CSVs, the commands
   behind each number) that links to the sweep's report;
5. write a ``vgprobe.toml`` so ``vgprobe extract --layer trm1.6 --split dev``, ``vgprobe abx`` and
   ``vgprobe semantic --pool max`` work as typed afterwards.

Every number comes from the library's own code paths; ``commands.sh`` gives the equivalent CLI calls.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd


@dataclass(frozen=True)
class QuickstartSizes:
    zr_speakers: int
    zr_sentences: int
    semantic_voices: int
    semantic_sentences: int
    pairs_per_dataset: int
    vg_images: int
    vg_captions: int
    train_overrides: tuple[tuple[str, object], ...]
    max_steps: int | None
    sweep_measures: tuple[str, ...] = ("abx", "semantic", "cca", "mi", "linear")


FULL = QuickstartSizes(4, 25, 4, 120, 120, 600, 2, (), None)
FAST = QuickstartSizes(2, 8, 2, 20, 40, 200, 2, (("batch_size", 16), ("epochs", 6), ("val_every_steps", 40)), None,
                       ("abx", "semantic"))


@dataclass(frozen=True)
class QuickstartConfig:
    out: Path = Path("runs/quickstart")
    fast: bool = False
    recipe: str = "tiny"
    write_cwd_config: bool = True


class _Stages:
    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.times: list[tuple[str, float]] = []

    def run(self, name: str, what: str, fn):
        self.log(f"[{len(self.times) + 1}] {name}: {what}")
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        self.times.append((name, dt))
        self.log(f"    done in {dt:.1f} s")
        return result


def quickstart(cfg: QuickstartConfig, *, log: Callable[[str], None] = print, progress: bool = True) -> Path:
    """Run the pipeline into ``cfg.out``; returns the report folder."""
    from vgprobe.analysis.layer_sweep import plot_abx_sweep
    from vgprobe.fastvgs import load as load_model
    from vgprobe.pipelines.sweep import SweepConfig, sweep
    from vgprobe.train.evaluate import evaluate_retrieval
    from vgprobe.train import resolve_config, train
    from vgprobe.project import write_project_config
    from vgprobe.synth import build_vg_corpus, build_zr2021

    sizes = FAST if cfg.fast else FULL
    out = Path(cfg.out).resolve()
    zr, vg, run, feats, report = out / "data" / "zr2021", out / "data" / "vg", out / "train", out / "features", out / "report"
    commands: list[tuple[str, list[str]]] = []
    st = _Stages(log)

    zr_args = dict(speakers=sizes.zr_speakers, sentences=sizes.zr_sentences, seed=0,
                   semantic_voices=sizes.semantic_voices, semantic_sentences=sizes.semantic_sentences,
                   pairs_per_dataset=sizes.pairs_per_dataset)
    st.run("synth zr2021", f"mini ZeroSpeech 2021 set ({sizes.zr_speakers} speakers per subset) -> {zr}",
           lambda: build_zr2021(zr, **zr_args, processes=2))
    commands.append(("data", ["vgprobe", "synth", "zr2021", "--out", str(zr), "--speakers", str(sizes.zr_speakers),
                              "--sentences", str(sizes.zr_sentences), "--seed", "0"]))
    st.run("synth vg", f"image-caption corpus ({sizes.vg_images} images x {sizes.vg_captions} spoken captions) -> {vg}",
           lambda: build_vg_corpus(vg, images=sizes.vg_images, captions_per_image=sizes.vg_captions, seed=0,
                                   processes=2))
    commands.append(("data", ["vgprobe", "synth", "vg", "--out", str(vg), "--images", str(sizes.vg_images),
                              "--captions-per-image", str(sizes.vg_captions), "--seed", "0"]))

    overrides = dict(sizes.train_overrides)
    _, tcfg, _ = resolve_config(cfg.recipe, overrides)
    best = st.run("train", f"FaST-VGS '{cfg.recipe}' recipe on the corpus -> {run}",
                  lambda: train(cfg.recipe, vg, run, overrides=overrides, max_steps=sizes.max_steps,
                                resume=(run / "last").is_dir(), progress=progress))
    commands.append(("training", ["vgprobe", "train", "--recipe", cfg.recipe, "--data", str(vg), "--out", str(run)]
                     + [f"--{k.replace('_', '-')}={v}" for k, v in overrides.items()]))

    def retrieval() -> pd.DataFrame:
        import torch

        from vgprobe.fastvgs import FaSTVGS, preset
        from vgprobe.train.data import load_split

        torch.manual_seed(tcfg.seed)
        baseline = FaSTVGS(preset(cfg.recipe)).eval()  # the same model at random initialisation
        rows = []
        for label, model in (("trained", load_model(best)), ("random", baseline)):
            r = evaluate_retrieval(model, vg, "test", modes=("coarse", "ctf"), kc=min(tcfg.topk, 100),
                                   seconds=tcfg.eval_audio_seconds)
            for mode in ("coarse", "ctf"):
                for direction in ("speech_to_image", "image_to_speech"):
                    rows.append({"model": label, "mode": mode, "direction": direction,
                                 **{f"R@{k}": r[f"{mode}.{direction}.R@{k}"] for k in (1, 5, 10)}})
        df = pd.DataFrame(rows)
        df.attrs["n_test_images"] = len(set(load_split(vg, "test").caption_image))
        return df

    ret = st.run("retrieve", "held-out (test split) retrieval, coarse and coarse-to-fine", retrieval)
    commands.append(("retrieval", ["vgprobe", "retrieve", "--checkpoint", str(best), "--data", str(vg), "--split",
                                   "test", "--mode", "coarse,ctf", "--kc", str(min(tcfg.topk, 100))]))

    swept = st.run("layer sweep", f"every layer of the trained model, of its random initialisation and log-mel: "
                   f"{', '.join(sizes.sweep_measures)} -> {out / 'sweep'} (features cached in {feats})",
                   lambda: sweep(SweepConfig(checkpoint=str(best), data=zr, out=out / "sweep", cache=feats,
                                             seed=tcfg.seed, measures=sizes.sweep_measures,
                                             progress="auto" if progress else "off"), log=log))
    commands.append(("layer sweep", ["vgprobe", "sweep", "--checkpoint", str(best), "--data", str(zr), "--out",
                                     str(out / "sweep"), "--cache", str(feats), "--seed", str(tcfg.seed),
                                     "--probes", ",".join(sizes.sweep_measures)]))
    abx, sem = swept.tables["abx"], swept.tables["semantic"]
    abx = abx[abx["status"] == "scored"]
    sem = sem[(sem["pool"] == "max") & sem["layer"].isin(["trm2.1", "logmel"])]
    trained_features = swept.entries["trained"]

    def write_report() -> Path:
        report.mkdir(parents=True, exist_ok=True)
        abx.to_csv(report / "abx.csv", index=False)
        sem.to_csv(report / "semantic.csv", index=False)
        ret.to_csv(report / "retrieval.csv", index=False)
        plot_abx_sweep(abx[abx["layer"].str.startswith("trm1.") | (abx["layer"] == "logmel")],
                       report / "abx_layers.png", title="ABX error per Trm1 layer: trained vs random init")
        (report / "commands.sh").write_text(_commands_script(commands), encoding="utf-8")
        (report / "report.md").write_text(_markdown(abx, sem, ret, st.times, cfg, sizes), encoding="utf-8")
        return report

    st.run("report", f"tables, plot, CSVs and commands -> {report}", write_report)
    write_project_config(out / "vgprobe.toml", checkpoint=str(best), data=zr, out=trained_features)
    cwd_cfg = Path.cwd() / "vgprobe.toml"
    if cfg.write_cwd_config and (not cwd_cfg.exists() or "vgprobe quickstart" in cwd_cfg.read_text(encoding="utf-8")):
        write_project_config(cwd_cfg, checkpoint=str(best), data=zr, out=trained_features)
        cwd_cfg.write_text("# written by vgprobe quickstart\n" + cwd_cfg.read_text(encoding="utf-8"), encoding="utf-8")
        log(f"wrote {cwd_cfg}: `vgprobe extract --layer trm1.6 --split dev`, `vgprobe abx` and "
            "`vgprobe semantic --pool max` now work here")
    else:
        log(f"kept the existing {cwd_cfg}; the quickstart's configuration is {out / 'vgprobe.toml'} "
            f"(use it with VGPROBE_CONFIG={out / 'vgprobe.toml'})")
    total = sum(t for _, t in st.times)
    log(f"quickstart finished in {total:.0f} s; report: {report / 'report.md'}")
    return report


def _commands_script(commands: list[tuple[str, list[str]]]) -> str:
    lines = ["#!/usr/bin/env bash", "# The CLI calls equivalent to what `vgprobe quickstart` ran (same library code).",
             "set -euo pipefail"]
    section = None
    for name, argv in commands:
        if name != section:
            lines.append(f"\n# {name}")
            section = name
        lines.append(shlex.join(argv))
    return "\n".join(lines) + "\n"


def _markdown(abx: pd.DataFrame, sem: pd.DataFrame, ret: pd.DataFrame, times, cfg: QuickstartConfig,
              sizes: QuickstartSizes) -> str:
    def table(df: pd.DataFrame, floatfmt: str = ".2f") -> str:
        cols = list(df.columns)
        out = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
        for _, row in df.iterrows():
            out.append("| " + " | ".join(f"{v:{floatfmt}}" if isinstance(v, float) else str(v) for v in row) + " |")
        return "\n".join(out)

    abx_wide = (abx.assign(error=100 * abx["score"])
                .pivot_table(index=["model", "layer"], columns=["subset", "speaker"], values="error")
                .reset_index())
    abx_wide.columns = [" ".join(c).strip() if isinstance(c, tuple) else c for c in abx_wide.columns]
    sem_view = sem[["model", "layer", "type", "dataset", "correlation", "n_pairs"]]
    ret_view = ret.copy()
    for k in (1, 5, 10):
        ret_view[f"R@{k}"] = 100 * ret_view[f"R@{k}"]
    n_test = ret.attrs.get("n_test_images")
    parts = [
        "# vgprobe quickstart report",
        f"Mode: {'--fast' if cfg.fast else 'full'}; recipe `{cfg.recipe}`. All numbers below were produced by "
        "vgprobe's own code paths on synthetic espeak-ng speech; `commands.sh` lists the equivalent CLI calls.",
        "## Held-out retrieval (test split, %)",
        table(ret_view, ".1f"),
        f"Chance R@10 is about {100 * 10 / n_test:.1f} % with {n_test} test images." if n_test else "",
        "## ABX error (%), ZR2021 protocol (cosine, context within, caps 10/5)",
        table(abx_wide),
        "![ABX error per Trm1 layer](abx_layers.png)",
        "Every layer (Conv1 to Trm2), sSIMI with mean pooling too, the probes and the best layer per measure: "
        "[the layer sweep's report](../sweep/report.md).",
        "## sSIMI (max pooling, cosine; correlation x100)",
        table(sem_view, ".2f"),
        "## Stages",
        table(pd.DataFrame([{"stage": n, "seconds": t} for n, t in times]), ".1f"),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
