"""``score_abx``: features + item file -> ABX error rates, one row per (speaker, context) mode."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech.abx.cells import ContextMode, Layout, SpeakerMode, build_layout, cells_per_unit
from vgprobe.zerospeech.abx.collapse import collapse
from vgprobe.zerospeech.abx.dataset import NotScorableError, TokenSet, load_tokens
from vgprobe.zerospeech.abx.distances import Distance, distance_code
from vgprobe.zerospeech.abx.jit import announce_compilation
from vgprobe.zerospeech.abx.kernel_args import Settings, Tokens, empty_cells, groups_of
from vgprobe.zerospeech.abx.slicing import Slicing
from vgprobe.zerospeech.abx.uncertainty import BOOTSTRAP_SEED, bootstrap_interval
from vgprobe.zerospeech.items import read_item_file

if TYPE_CHECKING:
    import pandas as pd

ZR2021_MAX_SIZE_GROUP = 10
ZR2021_MAX_X_ACROSS = 5
DEFAULT_SEED = 3459


@dataclass(frozen=True)
class AbxResult:
    """One ABX score: ``score`` is the error rate as a fraction (leaderboards print ×100).

    ``ci_low``/``ci_high`` bound its 95 % confidence interval by bootstrap over speakers
    (:func:`.uncertainty.bootstrap_interval`), ``n_cells``/``n_triplets``/``n_speakers`` say
    how much data it rests on, ``n_tokens`` counts the tokens with at least one frame.
    """

    subset: str | None
    speaker: SpeakerMode
    context: ContextMode
    distance: str
    score: float
    ci_low: float  # 95 % bootstrap interval over speakers (:mod:`.uncertainty`); NaN with one speaker
    ci_high: float
    n_cells: int
    n_triplets: int
    n_speakers: int
    n_tokens: int
    item_file: str
    features: str
    frame_shift: float
    max_size_group: int | None
    max_x_across: int | None
    seed: int
    slicing: str


@dataclass(frozen=True)
class CellScores:
    """Per-cell errors of one mode; coordinates are codes into the TokenSet's name tuples."""

    error: np.ndarray  # (n_cells,) float64
    n_triplets: np.ndarray  # (n_cells,) int64
    speaker: np.ndarray
    phone_a: np.ndarray
    phone_b: np.ndarray
    context: np.ndarray  # -1 in 'any' context mode
    x_speaker: np.ndarray  # -1 within speaker


def _cap(value: int | None, name: str) -> int:
    if value is None:
        return -1
    if int(value) < 1:
        raise ConfigError(f"{name} must be a positive integer or None, got {value}")
    return int(value)


def score_cells(
    tokens: TokenSet,
    layout: Layout,
    *,
    speaker_mode: SpeakerMode,
    distance: Distance,
    max_size_group: int | None,
    max_x_across: int | None,
    seed: int,
) -> CellScores:
    """Run the compiled loops over every cell of ``layout``."""
    from vgprobe.zerospeech.abx import engine

    if speaker_mode not in ("within", "across"):
        raise ConfigError(f"unknown speaker mode {speaker_mode!r}; expected 'within' or 'across'")
    counts = cells_per_unit(layout, speaker_mode=speaker_mode, max_x_across=max_x_across)
    cell_off = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    out = empty_cells(int(counts.sum()))
    ln = tokens.length[layout.order]
    tok = Tokens(frames=tokens.frames, off=tokens.offset[layout.order], ln=ln, key=layout.token_key)
    grp = groups_of(layout)
    cfg = Settings(kind=distance_code(distance), max_len=int(ln.max()), cap=_cap(max_size_group, "max_size_group"),
                   max_x=_cap(max_x_across, "max_x_across"), seed=int(seed))
    if speaker_mode == "within":
        announce_compilation(engine.within_speaker)
        engine.within_speaker(tok, grp, cell_off, cfg, out)
    elif cfg.cap < 0 and cfg.max_x < 0 and cfg.kind in (0, 1):  # symmetric distance, caps off
        from vgprobe.zerospeech.abx import pairs

        announce_compilation(pairs.across_by_unit_pairs, pairs._unit_pairs)
        pairs.across_by_unit_pairs(tok, grp, pairs.plan_pairs(layout), cfg, out)
    else:
        announce_compilation(engine.across_speaker)
        engine.across_speaker(tok, grp, cell_off, cfg, out)
    return CellScores(*out)


def score_abx(
    features_dir: str | Path,
    item_file: str | Path,
    *,
    frame_shift: float,
    speaker_modes: Sequence[SpeakerMode] = ("within", "across"),
    context_modes: Sequence[ContextMode] = ("within",),
    distance: Distance = "cosine",
    max_size_group: int | None = ZR2021_MAX_SIZE_GROUP,
    max_x_across: int | None = ZR2021_MAX_X_ACROSS,
    seed: int = DEFAULT_SEED,
    slicing: Slicing = "librilight",
    ext: str | None = None,
    ignore_missing: bool = False,
    allow_reversed_items: bool = False,
    subset: str | None = None,
    ci_seed: int = BOOTSTRAP_SEED,
) -> list[AbxResult]:
    """ABX error rates of the features in ``features_dir`` on the tokens of ``item_file``.

    One :class:`AbxResult` per (context mode, speaker mode), in that nesting order. With
    both caps ``None`` the scores equal zerospeech-libriabx2's; with caps the draw is
    seeded and independent of file order and feature format. ``allow_reversed_items`` drops
    item lines whose onset lies after their offset (else they are an error); ``ci_seed`` seeds
    the bootstrap of the confidence interval. Raises :class:`.dataset.NotScorableError` when
    tokens shorter than a frame leave no token or no cell of a mode.
    """
    distance_code(distance)  # fail early on a bad name
    for mode in speaker_modes:
        if mode not in ("within", "across"):
            raise ConfigError(f"unknown speaker mode {mode!r}; expected 'within' or 'across'")
    for mode in context_modes:
        if mode not in ("within", "any"):
            raise ConfigError(f"unknown context mode {mode!r}; expected 'within' or 'any'")
    _cap(max_size_group, "max_size_group")
    _cap(max_x_across, "max_x_across")
    items = read_item_file(item_file, allow_reversed=allow_reversed_items)
    tokens = load_tokens(features_dir, items, frame_shift=frame_shift, slicing=slicing, ext=ext,
                         ignore_missing=ignore_missing)
    if distance in ("kl", "kl_symmetric") and (tokens.frames < 0).any():
        raise InputError(f"{features_dir}: the {distance} distance needs non-negative features without zero frames")
    results = []
    for context_mode in context_modes:
        layout = build_layout(tokens, context_mode=context_mode)
        for speaker_mode in speaker_modes:
            cells = score_cells(tokens, layout, speaker_mode=speaker_mode, distance=distance,
                                max_size_group=max_size_group, max_x_across=max_x_across, seed=seed)
            if not len(cells.error):
                mode = f"speaker={speaker_mode}, context={context_mode}"
                if tokens.n_dropped:
                    raise NotScorableError(features_dir, frame_shift=frame_shift,
                                           n_tokens=len(tokens) + tokens.n_dropped, n_empty=tokens.n_dropped,
                                           left=f"leaving no ABX cell for {mode}")
                need = "a phone with 2 tokens" if speaker_mode == "within" else "the same phone from 2 speakers"
                raise InputError(
                    f"{item_file}: no ABX cell for {mode} (a cell needs 2 phones in one "
                    f"{'context and ' if context_mode == 'within' else ''}speaker and {need})"
                )
            score = collapse(speaker=cells.speaker, phone_a=cells.phone_a, phone_b=cells.phone_b, error=cells.error)
            interval = bootstrap_interval(speaker=cells.speaker, phone_a=cells.phone_a, phone_b=cells.phone_b,
                                          error=cells.error, n_triplets=cells.n_triplets, seed=ci_seed)
            results.append(AbxResult(
                subset=subset, speaker=speaker_mode, context=context_mode, distance=distance, score=score,
                ci_low=interval.ci_low, ci_high=interval.ci_high, n_cells=interval.n_cells,
                n_triplets=interval.n_triplets, n_speakers=interval.n_speakers, n_tokens=len(tokens),
                item_file=str(item_file), features=str(features_dir), frame_shift=float(frame_shift),
                max_size_group=max_size_group, max_x_across=max_x_across, seed=seed, slicing=slicing,
            ))
    return results


def results_to_frame(results: Sequence[AbxResult]) -> pd.DataFrame:
    """One row per result, the columns of :class:`AbxResult` (``score`` a fraction)."""
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in results])


def results_to_json(results: Sequence[AbxResult], *, indent: int | None = 2) -> str:
    """A JSON array with one object per result; NaN (an interval with one speaker) becomes null."""
    rows = [{k: None if isinstance(v, float) and v != v else v for k, v in asdict(r).items()} for r in results]
    return json.dumps(rows, indent=indent)


