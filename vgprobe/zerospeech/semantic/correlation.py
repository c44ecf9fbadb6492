"""Per-dataset Spearman correlations between human judgements and machine distances, and summaries.

For each (type, dataset): ``100 * spearman(-human, distance)``, where human is the
relatedness column unless it has an empty value in that dataset, then the similarity
column (as the ZR2021 scorer chooses). Per type, two summary rows follow: ``mean`` (plain
mean over datasets) and ``weighted_mean`` (weighted by the number of pairs).
:func:`add_intervals` adds bootstrap 95 % confidence intervals to every row
(:mod:`vgprobe.zerospeech.semantic.bootstrap`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.stats

from vgprobe.errors import InputError
from vgprobe.zerospeech.semantic.bootstrap import interval, resampled_correlations
from vgprobe.zerospeech.semantic.tables import WordPair

SUMMARY_DATASETS: tuple[str, ...] = ("mean", "weighted_mean")


@dataclass(frozen=True)
class SemanticResult:
    """One row of the sSIMI result table; ``dataset`` is a dataset name, ``mean`` or ``weighted_mean``."""

    type: str
    dataset: str
    correlation: float  # Spearman correlation x 100 (NaN when undefined, e.g. constant distances)
    n_pairs: int
    ci_low: float | None = None  # bootstrap 95 % interval of ``correlation`` (None: not computed)
    ci_high: float | None = None


def dataset_correlations(
    pairs: Sequence[WordPair], distances: np.ndarray, *, source: str | Path = "pairs.csv"
) -> list[SemanticResult]:
    """One result per (type, dataset), sorted by type then dataset name.

    ``distances[k]`` is the machine distance of ``pairs[k]``. A dataset in which both
    human columns have empty values raises InputError naming the lines.
    """
    if len(pairs) != len(distances):
        raise ValueError(f"{len(pairs)} pairs but {len(distances)} distances")
    groups: dict[tuple[str, str], list[int]] = {}
    for k, pair in enumerate(pairs):
        groups.setdefault((pair.type, pair.dataset), []).append(k)
    results = []
    for (type_, dataset), members in sorted(groups.items()):
        human = _human_scores([pairs[k] for k in members], source=source)
        rho = scipy.stats.spearmanr(-human, distances[members])[0]
        results.append(SemanticResult(type=type_, dataset=dataset, correlation=float(100 * rho), n_pairs=len(members)))
    return results


def summarise(results: Sequence[SemanticResult]) -> list[SemanticResult]:
    """Append, per type (sorted), the ``mean`` and the pair-weighted ``weighted_mean`` of the correlations.

    A NaN dataset correlation makes both summaries NaN. (The official leaderboard's plain
    mean uses pandas, which skips NaN datasets silently; its weighted mean is NaN.)
    """
    out = list(results)
    for type_ in sorted({r.type for r in results}):
        rows = [r for r in results if r.type == type_ and r.dataset not in SUMMARY_DATASETS]
        corr = np.array([r.correlation for r in rows], dtype=np.float64)
        sizes = np.array([r.n_pairs for r in rows], dtype=np.float64)
        total = int(sizes.sum())
        out.append(SemanticResult(type=type_, dataset="mean", correlation=float(corr.mean()), n_pairs=total))
        out.append(
            SemanticResult(
                type=type_, dataset="weighted_mean", correlation=float(np.average(corr, weights=sizes)), n_pairs=total
            )
        )
    return out


def add_intervals(
    results: Sequence[SemanticResult],
    pairs: Sequence[WordPair],
    distances: np.ndarray,
    *,
    n_bootstrap: int,
    seed: int,
    source: str | Path = "pairs.csv",
) -> list[SemanticResult]:
    """``results`` (from :func:`summarise`) with ``ci_low``/``ci_high`` filled by bootstrap over pairs."""
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be positive, got {n_bootstrap}")
    groups: dict[tuple[str, str], list[int]] = {}
    for k, pair in enumerate(pairs):
        groups.setdefault((pair.type, pair.dataset), []).append(k)
    rng = np.random.default_rng(seed)
    replicates: dict[tuple[str, str], np.ndarray] = {}
    for key, members in sorted(groups.items()):
        human = _human_scores([pairs[k] for k in members], source=source)
        replicates[key] = resampled_correlations(-human, distances[members], n_bootstrap=n_bootstrap, rng=rng)
    for type_ in sorted({t for t, _ in groups}):
        keys = [k for k in sorted(groups) if k[0] == type_]
        stacked = np.stack([replicates[k] for k in keys])  # (datasets, n_bootstrap)
        sizes = np.array([len(groups[k]) for k in keys], dtype=np.float64)
        replicates[(type_, "mean")] = stacked.mean(axis=0)
        replicates[(type_, "weighted_mean")] = (sizes[:, None] * stacked).sum(axis=0) / sizes.sum()
    out = []
    for r in results:
        low, high = interval(replicates[(r.type, r.dataset)])
        out.append(replace(r, ci_low=low, ci_high=high))
    return out


def _human_scores(pairs: Sequence[WordPair], *, source: str | Path) -> np.ndarray:
    relatedness = np.array([p.relatedness for p in pairs], dtype=np.float64)
    if not np.isnan(relatedness).any():
        return relatedness
    similarity = np.array([p.similarity for p in pairs], dtype=np.float64)
    if not np.isnan(similarity).any():
        return similarity
    first = pairs[0]
    rel_lines = [p.line for p in pairs if math.isnan(p.relatedness)]
    sim_lines = [p.line for p in pairs if math.isnan(p.similarity)]
    raise InputError(
        f"{source}: dataset {first.dataset!r} ({first.type}): relatedness is empty on line(s) "
        f"{_lines(rel_lines)} and similarity on line(s) {_lines(sim_lines)}; expected one of the two "
        "columns filled on every line of a dataset"
    )


def _lines(lines: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, lines[:limit]))
    return shown + (f", ... ({len(lines)} in all)" if len(lines) > limit else "")
