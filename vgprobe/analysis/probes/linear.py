"""Linear probe: multinomial logistic regression on a layer's token features, speakers held out.

Each feature is standardised on the training folds (``StandardScaler``), then
``LogisticRegression(solver="lbfgs", C=1, max_iter=200)`` is fitted; scikit-learn's ``GroupKFold``
holds out whole speakers, so the probe is scored on voices it never saw. Reported: accuracy and
macro-F1 (means over folds; a class never predicted in a fold counts F1 0), and the same for a
majority-class baseline (the most frequent training label, ``DummyClassifier``), so that a score
can be read against chance.

Example::

    r = linear_probe(feats, phones, speakers)       # feats [N, D], phones [N], speakers [N]
    r.accuracy, r.f1_macro, r.baseline_accuracy     # floats in [0, 1]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vgprobe.errors import ConfigError, InputError


@dataclass(frozen=True)
class LinearProbeResult:
    """Means over folds; ``fold_accuracy`` etc. give each fold's value. ``n_not_converged`` counts
    folds where lbfgs stopped at ``max_iter``."""

    accuracy: float
    f1_macro: float
    baseline_accuracy: float
    baseline_f1_macro: float
    fold_accuracy: tuple[float, ...]
    fold_f1_macro: tuple[float, ...]
    n_folds: int
    n_tokens: int
    n_classes: int
    n_groups: int
    n_not_converged: int


def linear_probe(
    x: np.ndarray,
    labels: Sequence | np.ndarray,
    groups: Sequence | np.ndarray,
    *,
    n_splits: int = 5,
    max_iter: int = 200,
    c: float = 1.0,
) -> LinearProbeResult:
    """Cross-validated logistic-regression probe of ``labels`` ``[N]`` from ``x`` ``[N, D]``.

    Folds come from ``GroupKFold`` on ``groups`` ``[N]`` (speakers); with fewer groups than
    ``n_splits`` there is one fold per group (at least 2 groups are needed). Deterministic: lbfgs
    and ``GroupKFold`` involve no randomness.
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import GroupKFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if n_splits < 2:
        raise ConfigError(f"n_splits must be at least 2, got {n_splits}")
    x = np.asarray(x)
    if x.ndim != 2:
        raise InputError(f"linear probe: expected features [N, D], found shape {x.shape}")
    if not np.isfinite(x).all():
        raise InputError("linear probe: features contain NaN or inf")
    y = np.asarray(labels)
    g = np.asarray(groups)
    if y.ndim != 1 or len(y) != x.shape[0] or g.ndim != 1 or len(g) != x.shape[0]:
        raise InputError(
            f"linear probe: {x.shape[0]} feature rows, {len(y)} labels and {len(g)} groups; expected one per token"
        )
    n_classes = len(np.unique(y))
    if n_classes < 2:
        raise InputError("linear probe: all tokens have the same label; expected at least 2 classes")
    n_groups = len(np.unique(g))
    if n_groups < 2:
        raise InputError(f"linear probe: {n_groups} group (speaker); expected at least 2 to hold speakers out")
    cv = GroupKFold(n_splits=min(n_splits, n_groups))
    # a class never predicted in a fold has F1 0 (sklearn's default too, stated to silence its warning)
    scoring = {"accuracy": "accuracy", "f1_macro": make_scorer(f1_score, average="macro", zero_division=0.0)}
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = cross_validate(probe, x, y, groups=g, cv=cv, scoring=scoring, return_estimator=True,
                             error_score="raise")
    base = cross_validate(DummyClassifier(strategy="most_frequent"), x, y, groups=g, cv=cv, scoring=scoring,
                          error_score="raise")
    not_converged = sum(int(np.max(est[-1].n_iter_) >= max_iter) for est in res["estimator"])
    return LinearProbeResult(
        accuracy=float(np.mean(res["test_accuracy"])),
        f1_macro=float(np.mean(res["test_f1_macro"])),
        baseline_accuracy=float(np.mean(base["test_accuracy"])),
        baseline_f1_macro=float(np.mean(base["test_f1_macro"])),
        fold_accuracy=tuple(float(v) for v in res["test_accuracy"]),
        fold_f1_macro=tuple(float(v) for v in res["test_f1_macro"]),
        n_folds=cv.get_n_splits(),
        n_tokens=int(x.shape[0]),
        n_classes=n_classes,
        n_groups=n_groups,
        n_not_converged=not_converged,
    )
