"""Cross-validated PWCCA: the authors' protocol (reproduced draw for draw) and a speaker-grouped K-fold.

**The reference protocol** (``get_cca_score`` in ``codes/tools/tools.py`` of
``ankitapasad/layerwise-analysis``, commit c030f2aa), as :class:`ReferenceCCAProtocol`:

1. *Splits*, made once and reused for every layer scored with the same protocol object. Token
   indices are grouped by label (groups in first-occurrence order; one group without labels). For
   each group, each of the 10 splits takes ``len // 10`` indices drawn with ``random.sample`` from
   the indices still free (kept as ``list(set(free) - set(drawn))``, whose order is CPython's set
   order of ints); the leftovers go to ``random.randrange(10)``.
2. *Trials*: ``random.sample`` draws a (dev, test) pair of splits from the splits not used yet;
   the other 8 splits train. Up to 5 pairs are drawn until 3 trials have trained.
3. *ε pairs* per trial: the 9 pairs of {1e-10, 1e-11, 1e-9}² are shuffled with ``np.random.shuffle``,
   then the 16 pairs of {1e-8, ..., 1e-5}² likewise, and appended; the first 6 pairs that train
   without ``LinAlgError`` are kept (in practice 6 of the 9 small ones).
4. *Selection*: each kept pair is scored on the dev split; the best wins, a tie going to the first
   in the sorted order of the authors' file names ``proj_x_{εx}_{εy}_{dev}_{test}.npy`` (this
   reproduction uses that sorted order; the authors' ``glob`` is unsorted, i.e. file-system order).
   The winner's projections score the test split (centred with the test split's means).
5. *Score*: the mean of the 3 test scores.

The authors use the global ``random`` and ``np.random`` states, seeded by the caller. Here a
private ``random.Random(seed)`` and ``np.random.RandomState(seed)`` consume the same draws in the
same order, so ``ReferenceCCAProtocol(seed=s)`` gives what ``random.seed(s); np.random.seed(s)``
followed by the authors' layer loop gives, and global state is never touched. The authors average
the 3 test scores in the iteration order of a Python ``set`` of strings (which depends on
``PYTHONHASHSEED``); this average is taken in training order, which can differ in the last bit.

Faithful quirks kept: labels need not be balanced, tokens of one speaker land in train, dev and test
alike, and with the tiny ε grid the dev "selection" mostly picks rounding noise. Quirk fixed: when the
first label has fewer than 10 tokens the authors' code fails (``KeyError``: a split it places a
leftover in does not exist yet); here all splits exist from the start.

**The default, :func:`grouped_cv_pwcca`**: scikit-learn's ``GroupKFold`` by speaker, one fixed ε
pair, fit on K−1 folds and score the held-out fold, mean over folds. It is preferred for new
measurements because (a) no speaker is seen both in fitting and scoring, so a layer cannot score
by memorising speaker-specific directions, (b) it has no ε selection, which on the reference's grid
only selects noise, and (c) it has no random draws at all.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vgprobe.analysis.probes.cca import (
    CCAFit,
    SignConvention,
    as_view,
    fit_cca_views,
    score_pwcca_views,
)
from vgprobe.errors import ConfigError, InputError

SMALL_EPSILONS: tuple[float, ...] = (1e-10, 1e-11, 1e-9)
LARGE_EPSILONS: tuple[float, ...] = (1e-8, 1e-7, 1e-6, 1e-5)


@dataclass(frozen=True)
class EpsilonScore:
    epsilon_x: float
    epsilon_y: float
    score: float


@dataclass(frozen=True)
class ReferenceTrial:
    """One (dev, test) trial: the ε pairs in the order they trained, with their training scores;
    their dev scores in selection order; the chosen pair and its test score."""

    dev_split: int
    test_split: int
    train_scores: tuple[EpsilonScore, ...]
    dev_scores: tuple[EpsilonScore, ...]
    best_epsilon: tuple[float, float]
    test_score: float


@dataclass(frozen=True)
class ReferenceProtocolResult:
    """``score`` is the mean test score over ``trials`` (in training order)."""

    score: float
    trials: tuple[ReferenceTrial, ...]
    failed_pairs: tuple[tuple[int, int], ...] = ()  # (dev, test) pairs where no ε pair trained


def reference_splits(
    n_samples: int, labels: Sequence | None, rng: random.Random, *, n_splits: int = 10
) -> list[list[int]]:
    """The authors' label-stratified random splits of ``range(n_samples)``, drawn from ``rng``."""
    if labels is not None and len(labels) != n_samples:
        raise InputError(f"{len(labels)} labels for {n_samples} tokens; expected one label per token")
    groups: dict[object, list] = {}
    if labels is None:
        groups["all"] = list(np.arange(n_samples))
    else:
        for i, label in enumerate(labels):
            groups.setdefault(label, []).append(i)
    splits: list[list[int]] = [[] for _ in range(n_splits)]
    for members in groups.values():
        free = members
        size = len(free) // n_splits
        for k in range(min(n_splits, len(free))):
            drawn = rng.sample(free, size)
            splits[k].extend(drawn)
            free = list(set(free) - set(drawn))
        for i in free:
            splits[rng.randrange(n_splits)].append(i)
    return [[int(i) for i in s] for s in splits]


def reference_epsilon_order(rng: np.random.RandomState) -> list[tuple[float, float]]:
    """The 25 ε pairs in the authors' trial order (two ``shuffle`` calls on ``rng``)."""
    order: list[tuple[float, float]] = []
    for grid in (SMALL_EPSILONS, LARGE_EPSILONS):
        pairs = [(a, b) for a in grid for b in grid]
        rng.shuffle(pairs)
        order.extend(pairs)
    return order


def _file_order_key(pair: tuple[float, float], dev: int, test: int) -> str:
    return f"proj_x_{pair[0]}_{pair[1]}_{dev}_{test}.npy"


@dataclass
class ReferenceCCAProtocol:
    """The authors' cross-validated PWCCA, one object per experiment (see the module docstring).

    Score layers in the authors' order with the same object; the splits are drawn on the first
    call (from that call's ``labels``) and reused, and both random streams continue across calls::

        proto = ReferenceCCAProtocol(seed=1234)
        scores = [proto.score(feats[k], y, labels=phones).score for k in range(n_layers)]

    ``x`` and ``y`` are ``[N, dims]``; ``labels`` (one per token, or None for one group) stratify
    the splits. ``mean_score`` scores with both views' weights averaged, as the authors' option.
    """

    seed: int
    n_splits: int = 10
    n_trials: int = 3
    n_epsilons: int = 6
    mean_score: bool = False
    signs: SignConvention = "lapack"
    splits: list[list[int]] | None = None
    _py: random.Random = field(init=False, repr=False)
    _np: np.random.RandomState = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.n_splits < 2 * self.n_trials:
            raise ConfigError(f"{self.n_trials} trials need at least {2 * self.n_trials} splits, got {self.n_splits}")
        if self.n_epsilons < 1:
            raise ConfigError("n_epsilons must be at least 1")
        self._py = random.Random(self.seed)
        self._np = np.random.RandomState(self.seed)

    def score(self, x: np.ndarray, y: np.ndarray, *, labels: Sequence | None = None) -> ReferenceProtocolResult:
        x, y = as_view(x, "x"), as_view(y, "y")
        n = x.shape[0]
        if y.shape[0] != n:
            raise InputError(f"PWCCA: x has {n} rows but y has {y.shape[0]}; expected one row per token in both")
        if self.splits is None:
            self.splits = reference_splits(n, labels, self._py, n_splits=self.n_splits)
        elif sum(len(s) for s in self.splits) != n:
            raise InputError(f"the protocol's splits cover {sum(len(s) for s in self.splits)} tokens, not {n}")
        free = list(np.arange(self.n_splits))
        trials: list[ReferenceTrial] = []
        failed: list[tuple[int, int]] = []
        for _ in range(self.n_splits // 2):
            dev, test = (int(i) for i in self._py.sample(free, 2))
            free = list(set(free) - {dev, test})
            trial = self._trial(x, y, dev, test)
            if trial is None:
                failed.append((dev, test))
            else:
                trials.append(trial)
            if len(trials) == self.n_trials:
                break
        if len(trials) < self.n_trials:
            raise InputError(f"PWCCA: only {len(trials)} of {self.n_trials} trials trained (CCA did not converge)")
        return ReferenceProtocolResult(
            score=float(np.mean([t.test_score for t in trials])), trials=tuple(trials), failed_pairs=tuple(failed)
        )

    def _views(self, x: np.ndarray, y: np.ndarray, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        rows = np.array(idx)
        return x[rows].T, y[rows].T

    def _score(self, fit: CCAFit, vx: np.ndarray, vy: np.ndarray) -> float:
        s = score_pwcca_views(fit, vx, vy, both_sides=self.mean_score)
        return s.mean_score if self.mean_score else s.score

    def _trial(self, x: np.ndarray, y: np.ndarray, dev: int, test: int) -> ReferenceTrial | None:
        assert self.splits is not None
        train = [i for k in range(self.n_splits) if k not in (dev, test) for i in self.splits[k]]
        vx, vy = self._views(x, y, train)
        if not (vx.shape[0] < vx.shape[1] and vy.shape[0] < vy.shape[1]):
            raise InputError(
                f"PWCCA: {vx.shape[1]} training tokens for {vx.shape[0]} and {vy.shape[0]} dimensions; "
                "CCA needs more tokens than dimensions in each view"
            )
        k = min(vx.shape[0], vy.shape[0])
        for split in (dev, test):
            if len(self.splits[split]) < k:
                raise InputError(
                    f"PWCCA: split {split} has {len(self.splits[split])} tokens for {k} canonical directions; "
                    "scoring needs at least as many tokens as directions"
                )
        fits: dict[tuple[float, float], CCAFit] = {}
        train_scores: list[EpsilonScore] = []
        for pair in reference_epsilon_order(self._np):
            try:
                fit = fit_cca_views(vx, vy, epsilon_x=pair[0], epsilon_y=pair[1], signs=self.signs)
                score = self._score(fit, vx, vy)
            except np.linalg.LinAlgError:
                continue
            fits[pair] = fit
            train_scores.append(EpsilonScore(pair[0], pair[1], score))
            if len(fits) == self.n_epsilons:
                break
        if not fits:
            return None
        dx, dy = self._views(x, y, self.splits[dev])
        dev_scores = [
            EpsilonScore(p[0], p[1], self._score(fits[p], dx, dy))
            for p in sorted(fits, key=lambda p: _file_order_key(p, dev, test))
        ]
        best = dev_scores[int(np.argmax([s.score for s in dev_scores]))]
        pair = (best.epsilon_x, best.epsilon_y)
        tx, ty = self._views(x, y, self.splits[test])
        return ReferenceTrial(
            dev_split=dev,
            test_split=test,
            train_scores=tuple(train_scores),
            dev_scores=tuple(dev_scores),
            best_epsilon=pair,
            test_score=self._score(fits[pair], tx, ty),
        )


@dataclass(frozen=True)
class GroupedCVResult:
    """``score``: mean held-out PWCCA over ``fold_scores``; ``fold_sizes``: held-out tokens per fold."""

    score: float
    fold_scores: tuple[float, ...]
    fold_sizes: tuple[int, ...]
    n_groups: int


def grouped_cv_pwcca(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence,
    *,
    n_splits: int = 5,
    epsilon_x: float = 1e-10,
    epsilon_y: float = 1e-10,
    mean_score: bool = False,
    signs: SignConvention = "lapack",
) -> GroupedCVResult:
    """PWCCA fitted on K−1 speaker-grouped folds and scored on the held-out fold (``GroupKFold``).

    ``x`` ``[N, dx]``, ``y`` ``[N, dy]``, ``groups`` ``[N]`` (speakers). With fewer groups than
    ``n_splits``, one fold per group is used (at least 2 groups are needed).
    """
    from sklearn.model_selection import GroupKFold

    x, y = as_view(x, "x"), as_view(y, "y")
    n = x.shape[0]
    if y.shape[0] != n or len(groups) != n:
        raise InputError(f"PWCCA: x, y and groups have {n}, {y.shape[0]} and {len(groups)} rows; expected equal")
    group_arr = np.asarray(groups)
    n_groups = len(np.unique(group_arr))
    if n_groups < 2:
        raise InputError(f"grouped PWCCA needs tokens of at least 2 groups (speakers), found {n_groups}")
    folds = GroupKFold(n_splits=min(n_splits, n_groups))
    scores, sizes = [], []
    for fit_rows, held_rows in folds.split(x, groups=group_arr):
        if not (x.shape[1] < len(fit_rows) and y.shape[1] < len(fit_rows)):
            raise InputError(
                f"PWCCA: a training fold has {len(fit_rows)} tokens for {x.shape[1]} and {y.shape[1]} dimensions; "
                "CCA needs more tokens than dimensions (use more tokens or fewer labels)"
            )
        if len(held_rows) < min(x.shape[1], y.shape[1]):
            raise InputError(
                f"PWCCA: a held-out fold has {len(held_rows)} tokens for {min(x.shape[1], y.shape[1])} canonical "
                "directions; scoring needs at least as many tokens as directions (use fewer folds)"
            )
        fit = fit_cca_views(x[fit_rows].T, y[fit_rows].T, epsilon_x=epsilon_x, epsilon_y=epsilon_y, signs=signs)
        s = score_pwcca_views(fit, x[held_rows].T, y[held_rows].T, both_sides=mean_score)
        scores.append(s.mean_score if mean_score else s.score)
        sizes.append(len(held_rows))
    return GroupedCVResult(
        score=float(np.mean(scores)), fold_scores=tuple(scores), fold_sizes=tuple(sizes), n_groups=n_groups
    )
