"""Mutual information between k-means clusters of a layer's tokens and their labels.

As ``get_mi_score`` in ``codes/tools/tools.py`` of ``ankitapasad/layerwise-analysis`` (commit
c030f2aa): ``MiniBatchKMeans(n_clusters, batch_size, max_iter)`` is fitted on the training tokens;
the clusters are the fit's ``labels_`` (train mode) or ``predict`` of the evaluation tokens; the score
is ``mutual_info_score(clusters, labels) / mutual_info_score(labels, labels)``: the plug-in MI
(natural log) divided by the label entropy H(labels), in [0, 1].

Differences from the reference, on purpose:

- **Seeded.** The reference leaves ``random_state=None`` (numpy's global RNG). Here ``seed`` goes to
  ``random_state``; ``np.random.seed(s)`` followed by the reference's call gives the same clusters
  as ``random_state=s``.
- **``n_init`` explicit** (default 1). scikit-learn < 1.4 defaulted to 3 initialisations (the
  version the reference was written for), ≥ 1.4 to ``"auto"`` = 1 for k-means++. Pass
  ``n_init=3`` to mimic the older default. Even so, k-means results may change between
  scikit-learn versions; exact equality with stored numbers needs the same version and seed.

The plug-in estimate is biased upwards for few tokens per cluster: scoring 600 tokens with 50
clusters gives a larger MI than scoring 2400 with the same clusters. Compare layers at equal N.

Example::

    kmeans_mi(feats, phones, n_clusters=50, seed=0)                 # train mode, feats [N, D]
    kmeans_mi(feats[tr], phones[tr], feats[dv], phones[dv], n_clusters=50)   # fit tr, score dv
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vgprobe.analysis.probes.cca import as_view
from vgprobe.errors import ConfigError, InputError


def _labels(values: Sequence | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(f"{name}: expected a 1-D sequence of labels, found shape {arr.shape}")
    return arr


def cluster_mi(clusters: Sequence | np.ndarray, labels: Sequence | np.ndarray) -> float:
    """``I(clusters; labels) / H(labels)`` with scikit-learn's plug-in ``mutual_info_score``.

    >>> cluster_mi([0, 0, 1, 1], ["a", "a", "b", "b"])
    1.0
    >>> cluster_mi([0, 1, 0, 1], ["a", "a", "b", "b"])
    0.0
    """
    from sklearn.metrics import mutual_info_score

    c, y = _labels(clusters, "clusters"), _labels(labels, "labels")
    if len(c) != len(y):
        raise InputError(f"{len(c)} cluster ids for {len(y)} labels; expected one cluster id per labelled token")
    if len(y) == 0:
        raise InputError("cluster_mi: no tokens")
    entropy = mutual_info_score(y, y)
    if entropy <= 0:
        raise InputError("cluster_mi: every token has the same label; the normalised MI is undefined")
    return float(mutual_info_score(c, y) / entropy)


def kmeans_clusters(
    x_fit: np.ndarray,
    x_eval: np.ndarray | None = None,
    *,
    n_clusters: int,
    batch_size: int = 1500,
    max_iter: int = 500,
    n_init: int = 1,
    seed: int = 0,
) -> np.ndarray:
    """Cluster ids ``[N]`` of ``x_eval`` (default: the fitted ``x_fit`` itself, ``labels_``)."""
    from sklearn.cluster import MiniBatchKMeans

    if n_clusters < 2:
        raise ConfigError(f"n_clusters must be at least 2, got {n_clusters}")
    x_fit = as_view(x_fit, "x_fit")
    if x_fit.shape[0] < n_clusters:
        raise InputError(f"{x_fit.shape[0]} tokens for {n_clusters} clusters; expected at least one token per cluster")
    km = MiniBatchKMeans(
        n_clusters=n_clusters, batch_size=batch_size, max_iter=max_iter, n_init=n_init, random_state=seed
    ).fit(x_fit)
    if x_eval is None:
        return km.labels_
    x_eval = as_view(x_eval, "x_eval")
    if x_eval.shape[1] != x_fit.shape[1]:
        raise InputError(f"x_eval has {x_eval.shape[1]} dimensions, x_fit {x_fit.shape[1]}; expected equal")
    return km.predict(x_eval)


def kmeans_mi(
    x_fit: np.ndarray,
    labels_fit: Sequence | np.ndarray,
    x_eval: np.ndarray | None = None,
    labels_eval: Sequence | np.ndarray | None = None,
    *,
    n_clusters: int,
    batch_size: int = 1500,
    max_iter: int = 500,
    n_init: int = 1,
    seed: int = 0,
) -> float:
    """Normalised MI of ``MiniBatchKMeans`` clusters with labels.

    Train mode (``x_eval`` None): fit on ``x_fit`` ``[N, D]`` and score its own clusters against
    ``labels_fit`` ``[N]``. Evaluation mode: fit on ``x_fit`` and score ``predict(x_eval)`` against
    ``labels_eval``.
    """
    x_fit = as_view(x_fit, "x_fit")
    labels_fit = _labels(labels_fit, "labels_fit")
    if len(labels_fit) != x_fit.shape[0]:
        raise InputError(f"{len(labels_fit)} labels for {x_fit.shape[0]} tokens in x_fit; expected one per token")
    if (x_eval is None) != (labels_eval is None):
        raise InputError("pass x_eval and labels_eval together (or neither, to score the fitted tokens)")
    if x_eval is not None:
        labels_eval = _labels(labels_eval, "labels_eval")
        x_eval = as_view(x_eval, "x_eval")
        if len(labels_eval) != x_eval.shape[0]:
            raise InputError(
                f"{len(labels_eval)} labels for {x_eval.shape[0]} tokens in x_eval; expected one per token"
            )
    clusters = kmeans_clusters(
        x_fit, x_eval, n_clusters=n_clusters, batch_size=batch_size, max_iter=max_iter, n_init=n_init, seed=seed
    )
    return cluster_mi(clusters, labels_fit if x_eval is None else labels_eval)
