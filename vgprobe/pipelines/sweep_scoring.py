"""The layer sweep's calls into the scorers and probes, all in one place: ABX, sSIMI and the layer-wise probes of
one extracted layer folder, as rows of the sweep's tidy tables (columns in :mod:`vgprobe.analysis.layer_sweep`).

ABX follows the ZeroSpeech 2021 protocol as :func:`~vgprobe.zerospeech.abx.score_abx` defaults it (cosine,
within and across speaker, context within, caps 10 / 5, seed 3459, Libri-Light slicing, triphone items). A layer
whose frames are coarser than :data:`~vgprobe.project.MAX_ABX_FRAME_SHIFT` (Conv2 and Trm2 at 0.32 s, pooled
layers) leaves the ~0.25 s triphone tokens without a frame: its rows say ``not scorable`` with the reason, and
the same holds for the phone probes and for word probes on aligned words. Word probes on the sSIMI sets pool
whole files and work at any frame rate.

A measure that cannot run on the data (an :class:`~vgprobe.errors.InputError` once the features exist: no ABX
cell in a small item file, too few tokens for a probe's folds) gives ``failed`` rows carrying the message, so the
sweep finishes and the report lists what was not scored and why.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vgprobe.analysis.layer_sweep import FAILED, NOT_SCORABLE, SCORED
from vgprobe.errors import InputError
from vgprobe.pipelines.cache import file_sha256
from vgprobe.project import MAX_ABX_FRAME_SHIFT
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.items import ItemTable, read_item_file

MEASURES: tuple[str, ...] = ("abx", "semantic", "cca", "mi", "linear")
PROBE_NAMES: dict[str, str] = {"cca": "pwcca", "mi": "kmeans_mi", "linear": "linear"}  # sweep name -> probe name
ABX_SPEAKERS: tuple[str, ...] = ("within", "across")
ABX_CONTEXTS: tuple[str, ...] = ("within",)
PROBE_METRIC_NAMES: dict[str, tuple[str, ...]] = {
    "pwcca": ("pwcca",), "kmeans_mi": ("normalised_mi",), "linear": ("accuracy", "f1_macro"),
}


def frame_rate_reason(layer: str, frame_shift: float | None) -> str | None:
    """Why a layer's frames are too coarse for frame-level tokens, or None when they are fine enough."""
    if frame_shift is None:
        return f"layer {layer} has one vector per file (no frame shift): no frame-level tokens"
    if frame_shift > MAX_ABX_FRAME_SHIFT:
        return (f"layer {layer} has a frame shift of {frame_shift:g} s (> {MAX_ABX_FRAME_SHIFT:g} s): "
                "triphone and phone tokens hold no frame")
    return None


def abx_options() -> dict[str, Any]:
    """The ABX settings the sweep uses (those of ``vgprobe abx`` by default), for the score cache key."""
    from vgprobe.zerospeech.abx.score import DEFAULT_SEED, ZR2021_MAX_SIZE_GROUP, ZR2021_MAX_X_ACROSS

    return {"speakers": list(ABX_SPEAKERS), "contexts": list(ABX_CONTEXTS), "distance": "cosine",
            "max_size_group": ZR2021_MAX_SIZE_GROUP, "max_x_across": ZR2021_MAX_X_ACROSS, "seed": DEFAULT_SEED,
            "slicing": "librilight", "items": "triphone"}


def abx_inputs(data: Path, split: str) -> dict[str, str]:
    """sha256 of the item files ABX reads (part of the score cache key)."""
    return {s: file_sha256(layout.item_file(data, s, kind="triphone")) for s in layout.phonetic_subsets(split)}


def abx_rows(layer_dir: Path, data: Path, split: str, *, layer: str, frame_shift: float | None) -> list[dict]:
    """ABX rows of one layer folder: one per (subset, speaker mode, context mode)."""
    opts = abx_options()
    reason = frame_rate_reason(layer, frame_shift)
    if reason is not None:
        return _unscored_abx(layer, frame_shift, split, opts, NOT_SCORABLE, reason)
    from vgprobe.zerospeech.abx import NotScorableError
    from vgprobe.zerospeech.abx.submission import score_abx_submission

    try:
        results = score_abx_submission(
            layer_dir, data, split, frame_shift=frame_shift, speaker_modes=ABX_SPEAKERS, context_modes=ABX_CONTEXTS,
            distance=opts["distance"], max_size_group=opts["max_size_group"], max_x_across=opts["max_x_across"],
            seed=opts["seed"], slicing=opts["slicing"],
        )
    except NotScorableError as exc:  # every token of the layer shorter than one of its frames
        return _unscored_abx(layer, frame_shift, split, opts, NOT_SCORABLE, str(exc))
    except InputError as exc:  # e.g. no ABX cell in a small item file
        return _unscored_abx(layer, frame_shift, split, opts, FAILED, str(exc))
    return [{"layer": layer, "frame_shift": r.frame_shift, "subset": r.subset, "speaker": r.speaker,
             "context": r.context, "distance": r.distance, "score": r.score, "ci_low": r.ci_low, "ci_high": r.ci_high,
             "n_cells": r.n_cells, "n_triplets": r.n_triplets, "n_speakers": r.n_speakers, "n_tokens": r.n_tokens,
             "status": SCORED, "reason": ""} for r in results]


def _unscored_abx(layer: str, frame_shift: float | None, split: str, opts: dict, status: str, reason: str
                  ) -> list[dict]:
    return [{"layer": layer, "frame_shift": frame_shift, "subset": subset, "speaker": speaker, "context": context,
             "distance": opts["distance"], "score": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n_cells": 0,
             "n_triplets": 0, "n_speakers": 0, "n_tokens": 0, "status": status, "reason": reason}
            for subset in layout.phonetic_subsets(split) for context in ABX_CONTEXTS for speaker in ABX_SPEAKERS]


def semantic_inputs(data: Path, split: str) -> dict[str, str]:
    return {"gold": file_sha256(layout.semantic_gold(data, split)),
            "pairs": file_sha256(layout.semantic_pairs(data, split))}


def semantic_rows(layer_dir: Path, data: Path, split: str, *, layer: str, pool: str, metric: str = "cosine"
                  ) -> list[dict]:
    """sSIMI rows of one layer folder and pooling: one per (type, dataset), then per type mean and weighted_mean."""
    from vgprobe.zerospeech.semantic import score_semantic_submission

    results = score_semantic_submission(layer_dir, data, split, pool=pool, metric=metric)
    return [{"layer": layer, "pool": pool, "metric": metric, **asdict(r), "status": SCORED, "reason": ""}
            for r in results]


def phone_item_kind(data: Path, split: str) -> str:
    """``phoneme`` when every phonetic subset has phoneme items (vgprobe's synthetic sets write them: one token per
    phone), else ``triphone`` (the official items; a token then spans both neighbours)."""
    try:
        for subset in layout.phonetic_subsets(split):
            layout.item_file(data, subset, kind="phoneme")
    except Exception:  # noqa: BLE001 - InputError: no phoneme items, use the official ones
        return "triphone"
    return "phoneme"


def probe_inputs(data: Path, split: str, *, item_kind: str, alignments: Mapping[str, Path]) -> dict[str, str]:
    files = {s: layout.item_file(data, s, kind=item_kind) for s in layout.phonetic_subsets(split)}  # type: ignore[arg-type]
    files["gold"] = layout.semantic_gold(data, split)
    files.update({f"alignments:{s}": Path(p) for s, p in alignments.items()})
    return {k: file_sha256(p) for k, p in files.items()}


def probe_options(probes: Sequence[str], *, seed: int, item_kind: str, semantic_words: bool) -> dict[str, Any]:
    from vgprobe.analysis.probes import ProbeConfig

    cfg = asdict(ProbeConfig(probes=tuple(PROBE_NAMES[p] for p in probes), seed=seed))
    cfg.pop("blas_threads")
    return {**cfg, "items": item_kind, "semantic_words": semantic_words}


def probe_rows(
    layer_dir: Path,
    data: Path,
    split: str,
    *,
    layer: str,
    frame_shift: float | None,
    probes: Sequence[str],
    seed: int,
    item_kind: str,
    semantic_words: bool,
    alignments: Mapping[str, Path],
) -> list[dict]:
    """Probe rows of one layer folder, one token table at a time: phones of each phonetic subset, words of each
    sSIMI type (when ``semantic_words``) and aligned words of each subset in ``alignments``. A table on which a
    probe cannot run (too few tokens or labels for its folds: an :class:`InputError`) gives ``failed`` rows with
    the message, so one small token set does not stop the sweep."""
    from vgprobe.analysis.probes import ProbeConfig, probe_tokens
    from vgprobe.analysis.probes.tokens import phone_tokens, semantic_word_tokens, word_tokens
    from vgprobe.zerospeech.semantic.tables import read_gold

    config = ProbeConfig(probes=tuple(PROBE_NAMES[p] for p in probes), seed=seed)
    reason = frame_rate_reason(layer, frame_shift)
    rows: list[dict] = []

    def unscored(target: str, subset: str, probe: str, status: str, why: str) -> None:
        for metric in PROBE_METRIC_NAMES[probe]:
            rows.append({"layer": layer, "subset": subset, "target": target, "probe": probe, "metric": metric,
                         "score": math.nan, "baseline": math.nan, "n_tokens": 0, "n_labels": 0, "n_groups": 0,
                         "n_folds": 0, "status": status, "reason": why})

    def run(target: str, subset: str, tokens: Callable[[], Any], *, needs_frames: bool) -> None:
        if needs_frames and reason is not None:
            for probe in config.probes:
                unscored(target, subset, probe, NOT_SCORABLE, reason)
            return
        try:
            table = tokens()
        except InputError as exc:  # e.g. no aligned word has a frame in this layer
            for probe in config.probes:
                unscored(target, subset, probe, FAILED, str(exc))
            return
        for probe in config.probes:  # one at a time: a probe that cannot run on this table leaves the others
            try:
                found = probe_tokens(table, target=target, layer=layer, subset=subset,
                                     config=dataclasses.replace(config, probes=(probe,)))
            except InputError as exc:  # data too small for this probe on this token set; every layer fails alike
                unscored(target, subset, probe, FAILED, str(exc))
                continue
            rows.extend({**r, "status": SCORED, "reason": ""} for r in found)

    for subset in layout.phonetic_subsets(split):
        feats = layout.submission_phonetic_dir(layer_dir, subset)
        run("phone", subset, lambda feats=feats, subset=subset: phone_tokens(
            feats, _items(layout.item_file(data, subset, kind=item_kind)), frame_shift=frame_shift), needs_frames=True)
    if semantic_words:
        gold = layout.semantic_gold(data, split)
        feats = layout.submission_semantic_dir(layer_dir, split)
        for type_ in sorted({t.type for t in read_gold(gold)}):
            run("word", type_, lambda type_=type_: semantic_word_tokens(feats, gold, types=(type_,)),
                needs_frames=False)
    for subset, path in alignments.items():
        feats = layout.submission_phonetic_dir(layer_dir, subset)
        run("word", subset, lambda feats=feats, path=path: word_tokens(feats, path, frame_shift=frame_shift),
            needs_frames=True)
    return rows


@functools.lru_cache(maxsize=8)
def _items(path: Path) -> ItemTable:
    """An item file parsed once per sweep, not once per layer."""
    return read_item_file(path)
