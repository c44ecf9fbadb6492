"""Head ablation: how much ABX, sSIMI and coarse retrieval R@1 move when heads are switched off.

For each ablation (one head, or a list of heads of one stack switched off together) the evaluation sets are
re-encoded (:mod:`vgprobe.analysis.heads.runner`: only the layers at and above the ablated one run) and
scored with the library scorers:

- ``abx.<subset>.<within|across>``: ABX error (%) of ``abx_layer`` features (ZeroSpeech 2021 settings of
  :func:`vgprobe.zerospeech.abx.score.score_abx`, triphone items, context within); ``abx``: their mean;
- ``ssimi.<synthetic|librispeech>``: the pair-weighted mean sSIMI (Spearman x 100) of ``semantic_layer``
  features pooled with ``pool`` (:func:`vgprobe.zerospeech.semantic.score_semantic`);
- ``r1.<speech_to_image|image_to_speech>``: coarse retrieval R@1 (%) on the captions and images of the
  retrieval set (:mod:`vgprobe.fastvgs.retrieval`); ``r1``: their mean (the authors' model-selection number).

A metric that reads no layer at or above the ablated one cannot change: its ablated value is the baseline
and ``affected`` is False (e.g. ABX at trm1.6 for heads of trm1.7, trm1.8, Trm2 and the image encoder).
``harm`` is the change signed so that positive means worse (ABX error up, sSIMI or R@1 down).

Example::

    sets = load_ablation_sets(zr_root="zr2021", retrieval=RetrievalSet(*retrieval_batch("vg", "val", seconds=6.0)))
    df = ablate_heads(model, sets)                        # every head of trm1, trm2 and image, one at a time
    rank_ablations(df, "abx").head()
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from vgprobe.analysis.heads.data import AblationSets
from vgprobe.analysis.heads.masking import HeadRef, mask_target
from vgprobe.analysis.heads.runner import (DEFAULT_BUDGET, STACK_ORDER, Ablation, MemorySink, Runner,
                                           check_ablations, start_of)
from vgprobe.analysis.heads.sites import is_fastvgs, unwrap
from vgprobe.errors import ConfigError

COLUMNS = ["model", "ablation", "stack", "layer", "head", "metric", "baseline", "ablated", "delta", "harm",
           "affected"]
LOWER_IS_BETTER = ("abx",)


class _DiskSink(MemorySink):
    """Frames to ``root/<ablation>/<kind>/<group>/<stem>.npy`` (the scorers' folder layout); coarse in memory."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._made: set[Path] = set()

    def frames(self, ablation, kind, key, array):
        group, _, stem = key.partition("/")
        folder = self.root / str(ablation) / kind / group
        if folder not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        np.save(folder / f"{stem}.npy", np.ascontiguousarray(array, dtype=np.float32))

    def drop(self, ablation: int) -> None:
        shutil.rmtree(self.root / str(ablation), ignore_errors=True)
        self._made = {p for p in self._made if p.parts[len(self.root.parts)] != str(ablation)}
        self.coarse_.pop(ablation, None)


def all_heads(model, stacks: Sequence[str] = STACK_ORDER) -> list[HeadRef]:
    """Every head of the given stacks, in stack, layer, head order."""
    model = unwrap(model)
    out = []
    for stack in stacks:
        n_layers = {"trm1": model.cfg.trm1_layers, "trm2": model.cfg.trm2_layers,
                    "image": model.cfg.image_layers}.get(stack)
        if n_layers is None:
            raise ConfigError(f"stack {stack!r} cannot be ablated here; choose from {list(STACK_ORDER)}")
        for k in range(1, n_layers + 1):
            out += [(stack, k, h) for h in range(mask_target(model, stack, k)[2])]
    return out


def _label(ab: Ablation) -> str:
    return "+".join(f"{s}.{k}:{h}" for s, k, h in ab)


def _layer_index(name: str | None, prefix: str) -> int | None:
    if name is None:
        return None
    stack, _, idx = name.partition(".")
    if stack != prefix or not idx.isdigit():
        return None
    return int(idx)


class _Scorer:
    def __init__(self, model, sets: AblationSets, *, pool: str, abx_shift: float) -> None:
        self.sets, self.pool, self.shift = sets, pool, abx_shift
        r = sets.retrieval
        self.audio_image = None if r is None else r.audio_image

    def abx(self, root: Path) -> dict[str, float]:
        from vgprobe.zerospeech.abx.score import score_abx

        out: dict[str, float] = {}
        for s in self.sets.phonetic:
            for r in score_abx(root / "phonetic" / s.name, s.item_file, frame_shift=self.shift):
                out[f"abx.{s.name}.{r.speaker}"] = 100 * r.score
        out["abx"] = float(np.mean(list(out.values())))
        return out

    def ssimi(self, root: Path) -> dict[str, float]:
        from vgprobe.zerospeech.semantic import score_semantic

        s = self.sets.semantic
        rows = score_semantic(root / "semantic", s.gold, s.pairs, pool=self.pool, metric="cosine")
        return {f"ssimi.{r.type}": r.correlation for r in rows if r.dataset == "weighted_mean"}

    def r1(self, audio: np.ndarray, image: np.ndarray) -> dict[str, float]:
        from vgprobe.fastvgs.retrieval import recalls, streaming_topk

        a, v = torch.from_numpy(audio), torch.from_numpy(image)
        lists = streaming_topk(lambda rows: a[rows] @ v.T, n_audio=len(a), n_image=len(v), k=1)
        rec = recalls(lists, self.audio_image, ks=(1,), prefix="coarse")
        out = {"r1.speech_to_image": 100 * rec["coarse.speech_to_image.R@1"],
               "r1.image_to_speech": 100 * rec["coarse.image_to_speech.R@1"]}
        out["r1"] = (out["r1.speech_to_image"] + out["r1.image_to_speech"]) / 2
        return out


def ablate_heads(
    model_or_encoder,
    sets: AblationSets,
    *,
    heads: Sequence[HeadRef | Sequence[HeadRef]] | None = None,
    stacks: Sequence[str] | None = None,
    abx_layer: str | None = "trm1.6",
    semantic_layer: str | None = "trm2.1",
    pool: str = "max",
    model_name: str = "model",
    batch_size: int = 32,
    budget: int = DEFAULT_BUDGET,
    progress: bool | str = False,
    workdir: str | Path | None = None,
) -> pd.DataFrame:
    """Ablate each entry of ``heads`` (a head ``(stack, layer, head)`` or a list of heads switched off together;
    default: every head of ``stacks``, one at a time) and score it against the unablated model. ``stacks``
    defaults to those some metric reads: ``trm1``; ``trm2`` with sSIMI at trm2.1 or retrieval; ``image`` with
    retrieval.

    Returns one row per (ablation, metric) with columns ``model, ablation, stack, layer, head, metric,
    baseline, ablated, delta, harm, affected`` (``layer`` is the lowest ablated layer, ``head`` is NA for a list).
    ``df.attrs``: ``baseline`` (metric -> value) and ``seconds`` (wall time). ``progress``: True or a
    :func:`vgprobe.progress.progress` mode. Feature files live in a temporary
    folder under ``workdir`` (default: the system's) for one layer's ablations at a time.
    """
    model = unwrap(model_or_encoder)
    if not is_fastvgs(model):
        raise ConfigError("head ablation scores FaST-VGS models (ABX, sSIMI and image retrieval)")
    from vgprobe.fastvgs.layers import frame_shift, validate_layers

    abx_k = _layer_index(abx_layer, "trm1") if sets.phonetic else None
    if sets.phonetic and abx_layer is not None and not (abx_k and abx_k <= model.cfg.trm1_layers):
        raise ConfigError(f"abx_layer must be a Trm1 layer trm1.1..trm1.{model.cfg.trm1_layers} (below the first "
                          f"attention layer no head can change it), got {abx_layer!r}")
    sem = semantic_layer if sets.semantic is not None else None
    if sem is not None:
        validate_layers([sem], model.cfg)
        if sem != "trm2.1" and not _layer_index(sem, "trm1"):
            raise ConfigError(f"semantic_layer must be trm1.k (k >= 1) or trm2.1, got {sem!r}")
    if heads is None:
        if stacks is None:
            stacks = ["trm1"] + (["trm2"] if (sem == "trm2.1" or sets.retrieval) else []) + (
                ["image"] if sets.retrieval else [])
        ablations = [(h,) for h in all_heads(model, stacks)]
    else:
        ablations = [(h,) if isinstance(h[0], str) else tuple(h) for h in heads]
    ablations = check_ablations(model, ablations)
    if any(len(a) == 0 for a in ablations):
        raise ConfigError("an ablation with no head: the baseline is always computed")
    if sets.retrieval is None and any(a[0][0] == "image" for a in ablations):
        raise ConfigError("image-encoder heads change only coarse retrieval, and no retrieval set was given")
    order = {s: i for i, s in enumerate(STACK_ORDER)}
    ablations = sorted(ablations, key=lambda a: (order[start_of(a)[0]], start_of(a)[1], a))

    t0 = time.perf_counter()
    was_training = model.training
    model.eval()
    scorer = _Scorer(model, sets, pool=pool, abx_shift=frame_shift(abx_layer or "trm1.1", model.cfg))
    tmp = Path(tempfile.mkdtemp(prefix="vgprobe-heads-", dir=workdir))
    try:
        runner = Runner(model, sets, abx_layer=abx_k, semantic_layer=sem, budget=budget, batch_size=batch_size)
        sink = _DiskSink(tmp)
        from vgprobe.progress import as_mode, progress as reporter

        bar = reporter(len(ablations) + 1, desc=f"ablations of {model_name}", unit="ablation",
                       mode=as_mode(progress))
        with torch.no_grad():
            runner.baseline_images(sink, 0)
            runner.run([()], sink, first_index=0)
        coarse0 = {side: sink.coarse_matrix(0, side) for side in ("audio", "image")} if sets.retrieval else {}
        base = _metrics(scorer, tmp / "0", coarse0, abx=bool(abx_k), ssimi=sem is not None,
                        r1=sets.retrieval is not None)
        sink.drop(0)
        bar.update()
        rows = []
        groups: dict[tuple[str, int], list[Ablation]] = {}
        for a in ablations:
            groups.setdefault(start_of(a), []).append(a)
        for (stack, k), group in groups.items():
            runner.run(group, sink, first_index=1)
            for i, ab in enumerate(group, start=1):
                affected = {
                    "abx": abx_k is not None and stack == "trm1" and k <= abx_k,
                    "ssimi": sem is not None and (
                        (stack == "trm1" and (sem == "trm2.1" or k <= _layer_index(sem, "trm1")))
                        or (stack == "trm2" and sem == "trm2.1")),
                    "r1": sets.retrieval is not None,
                }
                coarse = {}
                if affected["r1"]:
                    side = "image" if stack == "image" else "audio"
                    coarse = dict(coarse0)
                    coarse[side] = sink.coarse_matrix(i, side)
                got = _metrics(scorer, tmp / str(i), coarse, **affected)
                head = ab[0][2] if len(ab) == 1 else pd.NA
                for metric, b in base.items():
                    family = metric.split(".")[0]
                    a_val = got.get(metric, b)
                    d = a_val - b
                    rows.append((model_name, _label(ab), stack, k, head, metric, b, a_val, d,
                                 d if family in LOWER_IS_BETTER else 0.0 - d, bool(affected[family])))
                sink.drop(i)
                bar.update()
        bar.close()
    finally:
        model.train(was_training)
        shutil.rmtree(tmp, ignore_errors=True)
    df = pd.DataFrame.from_records(rows, columns=COLUMNS)
    df["head"] = df["head"].astype("Int64")
    df.attrs["baseline"] = base
    df.attrs["seconds"] = time.perf_counter() - t0
    return df


def _metrics(scorer: _Scorer, root: Path, coarse: dict[str, np.ndarray], *, abx: bool, ssimi: bool,
             r1: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    if abx:
        out.update(scorer.abx(root))
    if ssimi:
        out.update(scorer.ssimi(root))
    if r1:
        out.update(scorer.r1(coarse["audio"], coarse["image"]))
    return out


def rank_ablations(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of one metric, most harmful ablation first (``harm`` descending; ties keep layer order)."""
    part = df[df["metric"] == metric]
    if part.empty:
        raise ConfigError(f"no metric {metric!r} in the table; it has {sorted(df['metric'].unique())}")
    return part.sort_values("harm", ascending=False, kind="stable").reset_index(drop=True)
