"""``vgprobe quickstart``: the whole pipeline on synthetic data, offline, in one command.

1. synthesise a mini ZeroSpeech 2021 set (phonetic, semantic, lexical and syntactic dev sets) and an
   image–caption corpus (espeak-ng, made as variable as read speech);
2. train the ``tiny`` FaST-VGS recipe on the corpus and report held-out retrieval (coarse, CTF) of the trained
   model and of the same model at random initialisation;
3. sweep the layers (:mod:`vgprobe.pipelines.sweep`, into ``sweep/``): every layer of the trained model, of its
   random initialisation and a log-mel baseline, extracted once into ``features/`` (a cache) and scored on ABX,
   sSIMI and, in full mode, the layer-wise probes;
4. the lexical and syntactic tasks with vgprobe's unit-bigram baseline on ``trm1.6``;
5. the ZeroSpeech toolkit's two submissions (sLM21 from ``trm2.1`` with the LM score files, abxLS from
   ``trm1.6``) under ``submissions/``;
6. attention heads (:mod:`vgprobe.pipelines.heads`, into ``heads/``): per-head statistics and CLS-attention word
   discovery of the trained model against its random initialisation, short version;
7. a report folder (Markdown tables with confidence intervals, plots, CSVs, and ``commands.sh``: the CLI calls
   that reproduce every table, see :mod:`.commands_script`) and a ``vgprobe.toml`` so that
   ``vgprobe extract --layer trm1.6 --split dev``, ``vgprobe abx`` and ``vgprobe semantic --pool max`` work as
   typed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from vgprobe.pipelines.stages import UncountedStages as _Stages


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
    heads_files: int = 100


FULL = QuickstartSizes(4, 25, 4, 120, 120, 600, 2, (), None)
FAST = QuickstartSizes(2, 8, 2, 20, 40, 200, 2, (("batch_size", 16), ("epochs", 6), ("val_every_steps", 40)), None,
                       ("abx", "semantic"), heads_files=32)


@dataclass(frozen=True)
class QuickstartConfig:
    out: Path = Path("runs/quickstart")
    fast: bool = False
    recipe: str = "tiny"
    write_cwd_config: bool = True


def quickstart(cfg: QuickstartConfig, *, log: Callable[[str], None] = print, progress: bool = True) -> Path:
    """Run the pipeline into ``cfg.out``; returns the report folder."""
    from vgprobe.pipelines.commands_script import Q, R, CommandsScript
    from vgprobe.pipelines.quickstart_report import write_report
    from vgprobe.project import write_project_config
    from vgprobe.synth import build_vg_corpus, build_zr2021
    from vgprobe.train import resolve_config, train

    sizes = FAST if cfg.fast else FULL
    out = Path(cfg.out).resolve()
    zr, vg, run, feats, report = out / "data" / "zr2021", out / "data" / "vg", out / "train", out / "features", out / "report"
    script = CommandsScript(inputs_root=out)
    st = _Stages(log)

    zr_args = dict(speakers=sizes.zr_speakers, sentences=sizes.zr_sentences, seed=0,
                   semantic_voices=sizes.semantic_voices, semantic_sentences=sizes.semantic_sentences,
                   pairs_per_dataset=sizes.pairs_per_dataset)
    st.run("synth zr2021", f"mini ZeroSpeech 2021 set ({sizes.zr_speakers} speakers per subset) -> {zr}",
           lambda: build_zr2021(zr, **zr_args, processes=2))
    script.add("data", ["vgprobe", "synth", "zr2021", "--out", Q / "data" / "zr2021"]
               + [f"--{k.replace('_', '-')}={v}" for k, v in zr_args.items()] + ["--processes", 2], inputs=True)
    st.run("synth vg", f"image-caption corpus ({sizes.vg_images} images x {sizes.vg_captions} spoken captions) -> {vg}",
           lambda: build_vg_corpus(vg, images=sizes.vg_images, captions_per_image=sizes.vg_captions, seed=0,
                                   processes=2))
    script.add("data", ["vgprobe", "synth", "vg", "--out", Q / "data" / "vg", "--images", sizes.vg_images,
                        "--captions-per-image", sizes.vg_captions, "--seed", 0, "--processes", 2], inputs=True)

    overrides = dict(sizes.train_overrides)
    _, tcfg, _ = resolve_config(cfg.recipe, overrides)
    best = st.run("train", f"FaST-VGS '{cfg.recipe}' recipe on the corpus -> {run}",
                  lambda: train(cfg.recipe, vg, run, overrides=overrides, max_steps=sizes.max_steps,
                                resume=(run / "last").is_dir(), progress=progress))
    script.add("training", ["vgprobe", "train", "--recipe", cfg.recipe, "--data", Q / "data" / "vg", "--out",
                            Q / "train", "--no-progress"]
               + [f"--{k.replace('_', '-')}={v}" for k, v in overrides.items()], inputs=True)
    best_q = Q / best.relative_to(out)

    ret = st.run("retrieve", "held-out (test split) retrieval of the trained model and of its random initialisation",
                 lambda: _retrieval(best, vg, recipe=cfg.recipe, seed=tcfg.seed, kc=min(tcfg.topk, 100),
                                    seconds=tcfg.eval_audio_seconds))
    script.add("retrieval (retrieval.csv)", ["vgprobe", "retrieve", "--checkpoint", best_q, "--data", Q / "data" / "vg",
                                             "--split", "test", "--mode", "coarse,ctf", "--json"],
               stdout=R / "retrieval-trained.json")
    script.add("retrieval (retrieval.csv)", ["vgprobe", "retrieve", "--checkpoint", f"random:{cfg.recipe}", "--seed",
                                             tcfg.seed, "--data", Q / "data" / "vg", "--split", "test", "--mode",
                                             "coarse,ctf", "--kc", min(tcfg.topk, 100), "--seconds",
                                             tcfg.eval_audio_seconds, "--json"],
               stdout=R / "retrieval-random.json")

    swept = st.run("layer sweep", f"every layer of the trained model, of its random initialisation and log-mel: "
                   f"{', '.join(sizes.sweep_measures)} -> {out / 'sweep'} (features cached in {feats})",
                   lambda: _sweep(best, zr, out, feats, seed=tcfg.seed, measures=sizes.sweep_measures,
                                  progress=progress, log=log))
    script.add("layer sweep (abx.csv, semantic.csv)",
               ["vgprobe", "sweep", "--checkpoint", best_q, "--data", Q / "data" / "zr2021", "--out", R / "sweep",
                "--cache", R / "features", "--seed", tcfg.seed, "--probes", ",".join(sizes.sweep_measures),
                "--no-progress"])
    layers = swept.entries["trained"]  # the trained model's layer folders in the cache
    layers_r = R / layers.relative_to(out)

    lm = st.run("lexical + syntactic", "vgprobe's unit-bigram baseline on trm1.6 of the trained model",
                lambda: _lm_baseline(best, zr, layers, out, seed=tcfg.seed, progress=progress, log=log))
    for task in ("lexical", "syntactic"):
        script.add("lexical + syntactic baseline (lm.csv)",
                   ["vgprobe", "extract", "--checkpoint", best_q, "--data", Q / "data" / "zr2021" / task / "dev",
                    "--layer", LM_LAYER, "--seed", tcfg.seed, "--out", R / "lm" / "features" / task, "--no-progress"])
    script.add("lexical + syntactic baseline (lm.csv)",
               ["vgprobe", "unit-lm", "--data", Q / "data" / "zr2021",
                "--train-features", layers_r / LM_LAYER / "phonetic" / "dev-clean",
                "--train-features", layers_r / LM_LAYER / "phonetic" / "dev-other",
                "--lexical-features", R / "lm" / "features" / "lexical" / LM_LAYER,
                "--syntactic-features", R / "lm" / "features" / "syntactic" / LM_LAYER, "--out", R / "lm" / "scores"])
    for task in ("lexical", "syntactic"):
        script.add("lexical + syntactic baseline (lm.csv)",
                   ["vgprobe", task, "--submission", R / "lm" / "scores", "--data", Q / "data" / "zr2021", "--json"],
                   stdout=R / f"{task}.json")

    subs = st.run("submissions", f"the ZeroSpeech toolkit's sLM21 and abxLS submissions -> {out / 'submissions'}",
                  lambda: _submissions(layers, zr, out, lm_scores=out / "lm" / "scores", recipe=cfg.recipe))
    for name, layer, extra in (("sLM21", "trm2.1", ["--lexical", R / "lm" / "scores" / "lexical" / "dev.txt",
                                                     "--syntactic", R / "lm" / "scores" / "syntactic" / "dev.txt"]),
                               ("abxLS", "trm1.6", [])):
        script.add("submissions", ["vgprobe", "submission", name, "--features", layers_r / layer, "--data",
                                   Q / "data" / "zr2021", "--out", R / "submissions" / name, "--overwrite",
                                   *_authorship_args(cfg.recipe), *extra])

    heads = st.run("attention heads", f"statistics, CLS-attention word discovery per layer and head ablation of "
                   f"the trained model against its random initialisation -> {out / 'heads'}",
                   lambda: _heads(best, zr, out / "heads", seed=tcfg.seed, files=sizes.heads_files,
                                  progress=progress, log=log))
    script.add("attention heads (wordseg.csv, ablation.csv)",
               ["vgprobe", "heads", "--checkpoint", best_q, "--data", Q / "data" / "zr2021", "--out", R / "heads",
                "--seed", tcfg.seed, "--max-files", sizes.heads_files, "--no-progress"])

    write_report(report, cfg=cfg, fast=cfg.fast, retrieval=ret, sweep=swept, lm=lm, submissions=subs, heads=heads,
                 data=zr, stages=st, script=script, log=log)
    write_project_config(out / "vgprobe.toml", checkpoint=str(best), data=zr, out=layers)
    cwd_cfg = Path.cwd() / "vgprobe.toml"
    if cfg.write_cwd_config and (not cwd_cfg.exists() or "vgprobe quickstart" in cwd_cfg.read_text(encoding="utf-8")):
        write_project_config(cwd_cfg, checkpoint=str(best), data=zr, out=layers)
        cwd_cfg.write_text("# written by vgprobe quickstart\n" + cwd_cfg.read_text(encoding="utf-8"), encoding="utf-8")
        log(f"wrote {cwd_cfg}: `vgprobe extract --layer trm1.6 --split dev`, `vgprobe abx` and "
            "`vgprobe semantic --pool max` now work here")
    else:
        log(f"kept the existing {cwd_cfg}; the quickstart's configuration is {out / 'vgprobe.toml'} "
            f"(use it with VGPROBE_CONFIG={out / 'vgprobe.toml'})")
    total = sum(t for _, t in st.times)
    log(f"quickstart finished in {total:.0f} s; report: {report / 'report.md'}")
    return report


LM_LAYER = "trm1.6"  # the paper's phonetic layer: the units of the LM baseline


def _retrieval(best: Path, vg: Path, *, recipe: str, seed: int, kc: int, seconds: float) -> pd.DataFrame:
    import torch

    from vgprobe.fastvgs import FaSTVGS, load, preset
    from vgprobe.train.data import load_split
    from vgprobe.train.evaluate import evaluate_retrieval

    torch.manual_seed(seed)
    baseline = FaSTVGS(preset(recipe)).eval()  # the same model at random initialisation
    rows = []
    for label, model in (("trained", load(best)), ("random", baseline)):
        r = evaluate_retrieval(model, vg, "test", modes=("coarse", "ctf"), kc=kc, seconds=seconds)
        rows += retrieval_rows(label, r)
    df = pd.DataFrame(rows)
    df.attrs["n_test_images"] = len(set(load_split(vg, "test").caption_image))
    return df


def retrieval_rows(label: str, result: dict) -> list[dict]:
    """The report's retrieval rows of one ``evaluate_retrieval`` / ``vgprobe retrieve --json`` result."""
    return [{"model": label, "mode": mode, "direction": direction,
             **{f"R@{k}": result[f"{mode}.{direction}.R@{k}"] for k in (1, 5, 10)}}
            for mode in ("coarse", "ctf") for direction in ("speech_to_image", "image_to_speech")]


def _sweep(best: Path, zr: Path, out: Path, feats: Path, *, seed: int, measures, progress: bool, log):
    from vgprobe.pipelines.sweep import SweepConfig, sweep

    return sweep(SweepConfig(checkpoint=str(best), data=zr, out=out / "sweep", cache=feats, seed=seed,
                             measures=measures, progress="auto" if progress else "off"), log=log)


def _heads(best: Path, zr: Path, out: Path, *, seed: int, files: int, progress: bool, log):
    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    return heads_report(HeadsConfig(checkpoint=str(best), data=zr, out=out, seed=seed, max_files=files,
                                    progress="auto" if progress else "off"), log=log)


def _lm_baseline(best: Path, zr: Path, layers: Path, out: Path, *, seed: int, progress: bool, log) -> pd.DataFrame:
    from vgprobe.extract import ExtractConfig, extract
    from vgprobe.zerospeech.lm.baseline import write_baseline_submission
    from vgprobe.zerospeech.lm.lexical import results_to_frame as lexical_frame, score_lexical_submission
    from vgprobe.zerospeech.lm.syntactic import results_to_frame as syntactic_frame, score_syntactic_submission

    for task in ("lexical", "syntactic"):
        extract(ExtractConfig(checkpoint=str(best), data=zr / task / "dev", out=out / "lm" / "features" / task,
                              layers=(LM_LAYER,), seed=seed, progress=progress), log=log)
    scores = out / "lm" / "scores"
    write_baseline_submission(
        zr, train_features=[layers / LM_LAYER / "phonetic" / s for s in ("dev-clean", "dev-other")],
        lexical_features=out / "lm" / "features" / "lexical" / LM_LAYER,
        syntactic_features=out / "lm" / "features" / "syntactic" / LM_LAYER, out=scores)
    lexical = lexical_frame(score_lexical_submission(scores, zr, "dev").results).assign(task="lexical")
    syntactic = syntactic_frame(score_syntactic_submission(scores, zr, "dev").results).assign(task="syntactic")
    return pd.concat([lexical, syntactic], ignore_index=True)


def _authorship_args(recipe: str) -> list[str]:
    return ["--authors", "vgprobe quickstart", "--institution", "none (synthetic demonstration)",
            "--train-set", f"vgprobe synth vg (synthetic image-caption corpus), recipe {recipe}"]


def _submissions(layers: Path, zr: Path, out: Path, *, lm_scores: Path, recipe: str) -> dict[str, Path]:
    from vgprobe.zerospeech.submission import (
        Authorship,
        SemanticSettings,
        build_abxls_submission,
        build_slm21_submission,
    )

    who = Authorship(authors="vgprobe quickstart", institution="none (synthetic demonstration)",
                     train_set=f"vgprobe synth vg (synthetic image-caption corpus), recipe {recipe}")
    slm = build_slm21_submission(out / "submissions" / "sLM21", features=layers / "trm2.1", data=zr, authorship=who,
                                 semantic=SemanticSettings(pool="max", metric="cosine"),
                                 lexical=lm_scores / "lexical" / "dev.txt",
                                 syntactic=lm_scores / "syntactic" / "dev.txt", overwrite=True)
    abx = build_abxls_submission(out / "submissions" / "abxLS", features=layers / "trm1.6", data=zr, authorship=who,
                                 overwrite=True)
    return {"sLM21": slm, "abxLS": abx}
