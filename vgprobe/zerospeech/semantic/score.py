"""The sSIMI scorer: feature folder + gold + pairs -> per-dataset correlations (definition: the package docstring).

    results = score_semantic("sub/semantic/dev", "zr/semantic/dev/gold.csv",
                             "zr/semantic/dev/pairs.csv", pool="max", metric="cosine")
    results_to_frame(results)   # columns: type, dataset, correlation, ci_low, ci_high, n_pairs

Each feature file is read and pooled once; pair distances are computed in batches
(see :mod:`vgprobe.zerospeech.semantic.distances`). ``n_bootstrap`` resamples (default
1000, seed 0; 0 turns them off) give each row a 95 % confidence interval
(:mod:`vgprobe.zerospeech.semantic.bootstrap`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.features import index_feature_files
from vgprobe.zerospeech.semantic.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from vgprobe.zerospeech.semantic.correlation import SemanticResult, add_intervals, dataset_correlations, summarise
from vgprobe.zerospeech.semantic.distances import PairTokens, check_metric, pair_distances
from vgprobe.zerospeech.semantic.pooling import Pooling, check_pooling, pool_files
from vgprobe.zerospeech.semantic.tables import GoldToken, WordPair, read_gold, read_pairs

if TYPE_CHECKING:
    import pandas as pd

RESULT_COLUMNS: tuple[str, ...] = ("type", "dataset", "correlation", "ci_low", "ci_high", "n_pairs")
MAX_TOKENS_PER_WORD = 10  # the official scorer asserts 0 < tokens <= 10


@dataclass(frozen=True)
class SemanticScores:
    """Per-pair machine distances (in pairs-file order) and the result table."""

    pairs: list[WordPair]
    distances: np.ndarray  # (P,) float64
    results: list[SemanticResult]


def score_semantic(
    features_dir: str | Path,
    gold_csv: str | Path,
    pairs_csv: str | Path,
    *,
    pool: Pooling,
    metric: str,
    ext: str | None = None,
    n_bootstrap: int = DEFAULT_RESAMPLES,
    bootstrap_seed: int = DEFAULT_SEED,
) -> list[SemanticResult]:
    """Score the features in ``features_dir/{synthetic,librispeech}/`` against gold and pairs.

    Returns one row per (type, dataset) sorted by type and dataset, then per type the
    ``mean`` and ``weighted_mean`` rows, each with its bootstrap 95 % interval.
    """
    return score_semantic_pairs(features_dir, gold_csv, pairs_csv, pool=pool, metric=metric, ext=ext,
                                n_bootstrap=n_bootstrap, bootstrap_seed=bootstrap_seed).results


def score_semantic_submission(
    submission_dir: str | Path,
    data_root: str | Path,
    split: str,
    *,
    pool: Pooling,
    metric: str,
    ext: str | None = None,
    n_bootstrap: int = DEFAULT_RESAMPLES,
    bootstrap_seed: int = DEFAULT_SEED,
) -> list[SemanticResult]:
    """Score ``submission/semantic/<split>/`` against ``data/semantic/<split>/{gold,pairs}.csv``."""
    return score_semantic(
        layout.submission_semantic_dir(submission_dir, split),
        layout.semantic_gold(data_root, split),
        layout.semantic_pairs(data_root, split),
        pool=pool,
        metric=metric,
        ext=ext,
        n_bootstrap=n_bootstrap,
        bootstrap_seed=bootstrap_seed,
    )


def score_semantic_pairs(
    features_dir: str | Path,
    gold_csv: str | Path,
    pairs_csv: str | Path,
    *,
    pool: Pooling,
    metric: str,
    ext: str | None = None,
    n_bootstrap: int = DEFAULT_RESAMPLES,
    bootstrap_seed: int = DEFAULT_SEED,
) -> SemanticScores:
    """Like :func:`score_semantic`, also returning each pair's distance (the official ``score`` column)."""
    check_pooling(pool)
    check_metric(metric)
    if n_bootstrap < 0:
        raise ConfigError(f"n_bootstrap must be 0 (no intervals) or positive, got {n_bootstrap}")
    gold_csv, pairs_csv = Path(gold_csv), Path(pairs_csv)
    gold = read_gold(gold_csv)
    pairs = read_pairs(pairs_csv)
    paths = _feature_paths(Path(features_dir), gold, gold_csv, ext)
    pooled = pool_files(paths, pool=pool)  # (N, D), row i = gold[i]
    tokens = _pair_tokens(gold, pairs, gold_csv=gold_csv, pairs_csv=pairs_csv)
    distances = pair_distances(pooled, tokens, metric=metric)
    results = summarise(dataset_correlations(pairs, distances, source=pairs_csv))
    if n_bootstrap:
        results = add_intervals(results, pairs, distances, n_bootstrap=n_bootstrap, seed=bootstrap_seed,
                                source=pairs_csv)
    return SemanticScores(pairs=pairs, distances=distances, results=results)


def results_to_frame(results: Sequence[SemanticResult]) -> "pd.DataFrame":
    """The result rows as a DataFrame with columns type, dataset, correlation, ci_low, ci_high, n_pairs."""
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in results], columns=list(RESULT_COLUMNS)).astype(
        {"ci_low": "float64", "ci_high": "float64"}
    )


def results_to_json(results: Sequence[SemanticResult]) -> str:
    """A JSON array of result objects; an undefined (NaN) number is written as null."""
    rows = [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in
             ((k, getattr(r, k)) for k in RESULT_COLUMNS)} for r in results]
    return json.dumps(rows, indent=2)


def _feature_paths(features_dir: Path, gold: Sequence[GoldToken], gold_csv: Path, ext: str | None) -> list[Path]:
    indexes = {
        type_: index_feature_files(features_dir / type_, ext)
        for type_ in sorted({t.type for t in gold})
    }
    paths = []
    for token in gold:
        path = indexes[token.type].get(token.filename)
        if path is None:
            suffix = ext if ext is None or ext.startswith(".") else f".{ext}"
            where = features_dir / token.type / f"{token.filename}{suffix or '.<ext>'}"
            raise InputError(f"{gold_csv}:{token.line}: no feature file for {token.type} token {token.filename!r} (expected {where})")
        paths.append(path)
    return paths


def _pair_tokens(
    gold: Sequence[GoldToken], pairs: Sequence[WordPair], *, gold_csv: Path, pairs_csv: Path
) -> list[PairTokens]:
    rows: dict[tuple[str, str], list[int]] = {}
    for i, token in enumerate(gold):
        rows.setdefault((token.type, token.word), []).append(i)
    checked: set[tuple[str, str]] = set()
    out = []
    for pair in pairs:
        words = []
        for word in (pair.word_1, pair.word_2):
            key = (pair.type, word)
            found = rows.get(key)
            if not found:
                raise InputError(f"{pairs_csv}:{pair.line}: {pair.type} word {word!r} has no tokens in {gold_csv}")
            if key not in checked and len(found) > MAX_TOKENS_PER_WORD:
                lines = ", ".join(str(gold[i].line) for i in found)
                raise InputError(
                    f"{gold_csv}: {pair.type} word {word!r} has {len(found)} tokens (lines {lines}); "
                    f"expected 1 to {MAX_TOKENS_PER_WORD}"
                )
            checked.add(key)
            words.append(np.array(found, dtype=np.int64))
        left, right = words
        mask = None
        if pair.type == "synthetic":
            mask = np.array([gold[i].voice for i in left])[:, None] == np.array([gold[j].voice for j in right])[None, :]
            if not mask.any():
                raise InputError(
                    f"{pairs_csv}:{pair.line}: synthetic words {pair.word_1!r} and {pair.word_2!r} share no voice "
                    f"in {gold_csv}; expected at least one voice with tokens of both"
                )
        out.append(PairTokens(left=left, right=right, mask=mask))
    return out
