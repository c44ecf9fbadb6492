"""A baseline that writes lexical and syntactic score files from a model's features: a unit-bigram LM.

This is vgprobe's own baseline, not a ZeroSpeech reference system. It gives the lexical
and syntactic tasks a number for any layer without training a language model:

1. units: k-means (scikit-learn, ``n_units`` clusters, seeded) on the frames of the
   training feature files (at most ``max_train_frames`` frames, an evenly spaced subset);
2. LM: bigram counts of the unit sequences of the training files, with add-``smoothing``
   (Laplace) smoothing, and a start-of-file unigram;
3. the score of a file: the mean log-probability (natural log) per frame of its unit
   sequence, so that items of different durations compare fairly.

    lm = fit_unit_lm(train_files, config=UnitLMConfig(n_units=50))
    write_baseline_scores(lm, gold_csv, feature_dir, out_txt)          # one "<filename> <score>" line per file

:func:`write_baseline_submission` does both tasks for a dataset root and a submission
folder. ``BASELINE_LABEL`` is the one-line description a report should print beside the
numbers.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.features import index_feature_files, read_features
from vgprobe.zerospeech.lm.gold import read_lexical_gold, read_syntactic_gold

BASELINE_LABEL = (
    "vgprobe unit-bigram baseline: k-means units of one layer's frames and an add-one bigram LM fitted on the "
    "set's phonetic audio; score = mean log-probability per frame. Not a ZeroSpeech reference system."
)


@dataclass(frozen=True)
class UnitLMConfig:
    n_units: int = 50
    smoothing: float = 1.0
    seed: int = 0
    max_train_frames: int = 100_000


@dataclass(frozen=True)
class UnitLM:
    centroids: np.ndarray  # (K, D) float64
    log_start: np.ndarray  # (K,) log P(first unit)
    log_transition: np.ndarray  # (K, K) log P(next | previous)

    def units(self, frames: np.ndarray) -> np.ndarray:
        """(T, D) frames -> (T,) nearest-centroid unit ids."""
        x = np.asarray(frames, dtype=np.float64)
        d = (x * x).sum(1)[:, None] - 2 * x @ self.centroids.T + (self.centroids**2).sum(1)[None, :]
        return d.argmin(axis=1)

    def score(self, frames: np.ndarray) -> float:
        """Mean log-probability per frame of the unit sequence of (T, D) ``frames``."""
        u = self.units(frames)
        total = self.log_start[u[0]] + self.log_transition[u[:-1], u[1:]].sum()
        return float(total / len(u))


def fit_unit_lm(train_files: Sequence[Path], *, config: UnitLMConfig = UnitLMConfig()) -> UnitLM:
    """Fit the units and the bigram LM on ``train_files`` (feature files, (T, D) each)."""
    from sklearn.cluster import KMeans

    if config.n_units < 2 or config.smoothing <= 0 or config.max_train_frames < config.n_units:
        raise ConfigError(f"bad unit LM settings {config}: need n_units >= 2, smoothing > 0, "
                          "max_train_frames >= n_units")
    if not train_files:
        raise InputError("no training feature files for the unit LM")
    seqs = [np.asarray(read_features(p, allow_empty=False), dtype=np.float64) for p in train_files]
    frames = np.concatenate(seqs)
    if len(frames) < config.n_units:
        raise InputError(f"{len(frames)} training frames for {config.n_units} units; use fewer units")
    pick = np.linspace(0, len(frames) - 1, min(len(frames), config.max_train_frames)).round().astype(np.int64)
    km = KMeans(n_clusters=config.n_units, n_init=1, random_state=config.seed).fit(frames[pick])
    lm = UnitLM(km.cluster_centers_.astype(np.float64), np.zeros(config.n_units), np.zeros((config.n_units,) * 2))
    start = np.full(config.n_units, config.smoothing)
    pairs = np.full((config.n_units, config.n_units), config.smoothing)
    for seq in seqs:
        u = lm.units(seq)
        start[u[0]] += 1
        np.add.at(pairs, (u[:-1], u[1:]), 1)
    return UnitLM(lm.centroids, np.log(start / start.sum()), np.log(pairs / pairs.sum(axis=1, keepdims=True)))


def write_baseline_scores(lm: UnitLM, filenames: Sequence[str], feature_dir: str | Path, out_txt: str | Path) -> Path:
    """Score the feature file of each filename in ``feature_dir``; write ``out_txt`` atomically."""
    index = index_feature_files(feature_dir)
    lines = []
    for name in filenames:
        path = index.get(name)
        if path is None:
            raise InputError(f"{feature_dir}: no feature file for {name!r}")
        lines.append(f"{name} {lm.score(read_features(path, allow_empty=False))!r}")
    out_txt = Path(out_txt)
    out_txt.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_txt.name}.", suffix=".tmp", dir=out_txt.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, out_txt)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_txt


def write_baseline_submission(
    data_root: str | Path,
    *,
    train_features: Sequence[str | Path],
    lexical_features: str | Path,
    syntactic_features: str | Path,
    out: str | Path,
    split: str = "dev",
    config: UnitLMConfig = UnitLMConfig(),
) -> tuple[Path, Path]:
    """Fit on every feature file under the ``train_features`` folders; write ``out/lexical/<split>.txt``
    and ``out/syntactic/<split>.txt`` for the files of the dataset's gold files. Returns both paths."""
    train = sorted(p for folder in train_features for p in index_feature_files(folder).values())
    lm = fit_unit_lm(train, config=config)
    lexical = [t.filename for t in read_lexical_gold(layout.lexical_gold(data_root, split))]
    syntactic = [t.filename for t in read_syntactic_gold(layout.syntactic_gold(data_root, split))]
    return (
        write_baseline_scores(lm, lexical, lexical_features, layout.submission_lexical_scores(out, split)),
        write_baseline_scores(lm, syntactic, syntactic_features, layout.submission_syntactic_scores(out, split)),
    )
