"""Projection-weighted CCA (PWCCA) between a layer's token features and a target view.

This is an **exact re-implementation** of ``codes/tools/cca_core.py`` of
``ankitapasad/layerwise-analysis`` (commit c030f2aa, itself derived from google/svcca): the same
numpy calls on the same arrays in the same order, so that the numbers match the authors' to
rounding. A library CCA (``sklearn.cross_decomposition.CCA`` is iterative PLS; ``scipy`` has none)
would not give the same values, hence no library here.

Views are passed as ``[N, dims]`` arrays (rows are tokens) and used internally as the reference's
``[dims, N]`` transposes, keeping their dtype: a float32 layer stays float32 where the reference
keeps it float32 (its means and centred copies), so float32 features give the float32 numbers.

Fitting (:func:`fit_cca`), on one set of rows:

1. ``np.cov`` of both views; Σxx is divided by max|Σxx|, Σyy by max|Σyy|, and Σxy by the square
   root of their product;
2. dimensions whose scaled variance is below ε are dropped; ``ε·I`` is added;
3. ``M = Σxx^-1/2 Σxy Σyy^-1/2`` (``^-1/2``: the eigh square root of ``pinv``), ``M = U S Vᵀ``;
4. projections ``Uᵀ Σxx^-1/2`` and ``Vᵀ Σyy^-1/2``; ``S`` are the canonical correlations.

Scoring (:func:`score_pwcca_views`), on any set of rows, centred with **that set's** means:
canonical variates ``P = proj[:k] (X − μ)`` with ``k = min(valid dims)``, per-direction correlations
``ρ_i``, weights ``α_i ∝ Σ_j |⟨Q_i, x_j⟩|`` where ``Q = QR(P + μ[:k])`` and ``x_j`` are the first
``k`` raw (uncentred) dimensions; PWCCA = ``Σ α_i ρ_i``. The reported score uses the weights of the
smaller view (x only when it has fewer valid dimensions than y), as the reference does.

Two properties of this definition that callers must know:

- **The sign of each canonical pair matters.** ``U[:, i]`` and ``Vᵀ[i]`` may both be negated without
  changing any correlation, but the means added before the QR make ``α`` depend on that sign. The
  convention here is the reference's: the signs ``numpy.linalg.svd`` (LAPACK ``gesdd``) returns for
  ``M``. For a given matrix and LAPACK build they are deterministic; a different BLAS kernel or a
  1e-15 change of the input can flip a pair and move PWCCA by up to ~1e-2, while the canonical
  correlations do not move. ``signs="svd_flip"`` instead fixes every pair with scikit-learn's
  ``svd_flip`` (the largest-magnitude entry of each ``U`` column positive), which is portable but
  no longer the reference's number.
- **A full one-hot target is rank-deficient** (its columns sum to one), so one canonical direction
  is rounding noise that still receives a few percent of the weight, and held-out scores then move
  by up to ~6e-3 with ε or the BLAS kernel. Use :func:`one_hot` with ``drop_last=True`` (the
  well-posed target, same information) unless the reference's exact number is wanted.

Example::

    y = one_hot(phone_labels, drop_last=True)             # [N, C-1] float64
    r = pwcca(feats, y)                                   # feats [N, 768]
    r.score, r.mean_score, r.correlations                 # float, float, [C-1]
    r = pwcca(feats, y, fit_idx=train, score_idx=dev)     # fit on train rows, score dev rows
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vgprobe.errors import ConfigError, InputError

SignConvention = Literal["lapack", "svd_flip"]


@dataclass(frozen=True)
class CCAFit:
    """Trained CCA projections.

    ``proj_x`` is ``[nx, nx]`` over the ``nx`` valid (kept) dimensions of x, likewise ``proj_y``;
    ``valid_x``/``valid_y`` are boolean masks over all dimensions; ``correlations`` holds the
    ``min(nx, ny)`` canonical correlations (singular values of M) in decreasing order.
    """

    proj_x: np.ndarray
    proj_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    correlations: np.ndarray
    epsilon_x: float
    epsilon_y: float


@dataclass(frozen=True)
class PWCCAScore:
    """PWCCA of one scored set: ``score`` (the smaller view's weights, the reference's PWCCA),
    ``mean_score`` (both views' weightings averaged), the two weightings ``score_x``/``score_y``,
    and ``direction_correlations`` (``ρ_i`` on the scored rows, length ``k``)."""

    score: float
    mean_score: float
    score_x: float
    score_y: float
    direction_correlations: np.ndarray
    weights_x: np.ndarray
    weights_y: np.ndarray


@dataclass(frozen=True)
class PWCCAResult:
    """What :func:`pwcca` returns.

    - ``score``: PWCCA as the reference reports it (weights of the view with fewer valid dims);
    - ``mean_score``: the x- and y-weighted PWCCA averaged (the reference's ``mean_score=True``);
    - ``correlations``: the canonical correlations of the fit, ``[k]`` decreasing;
    - ``scored_correlations``: the correlations ``ρ_i`` of the same directions on the scored rows;
    - ``n_valid_x`` / ``n_valid_y``: dimensions kept after the ε variance cut;
    - ``n_fit`` / ``n_scored``: rows used to fit and to score.
    """

    score: float
    mean_score: float
    score_x: float
    score_y: float
    correlations: np.ndarray
    scored_correlations: np.ndarray
    n_valid_x: int
    n_valid_y: int
    n_fit: int
    n_scored: int
    epsilon_x: float
    epsilon_y: float

    @property
    def mean_correlation(self) -> float:
        """The plain mean of the canonical correlations (the reference's ``mean_cca``)."""
        return float(np.mean(self.correlations))


def one_hot(
    labels: Sequence[str] | np.ndarray, *, classes: Sequence[str] | None = None, drop_last: bool = False
) -> np.ndarray:
    """One-hot float64 target ``[N, C]`` (``[N, C-1]`` with ``drop_last``).

    ``classes`` fixes the column order (default: sorted distinct labels); a label outside it
    is an error. ``drop_last`` removes the last column: the result has full column rank after
    centring, which makes PWCCA well-posed (see the module docstring).

    >>> one_hot(["b", "a", "b"])
    array([[0., 1.],
           [1., 0.],
           [0., 1.]])
    """
    values = [str(v) for v in np.asarray(labels, dtype=object).ravel()]
    names = sorted(set(values)) if classes is None else [str(c) for c in classes]
    index = {name: i for i, name in enumerate(names)}
    if len(index) != len(names):
        raise InputError("one_hot: the class list has duplicates")
    unknown = sorted(set(values) - set(index))
    if unknown:
        raise InputError(f"one_hot: labels {unknown[:5]} are not among the {len(names)} classes")
    y = np.zeros((len(values), len(names)), dtype=np.float64)
    y[np.arange(len(values)), [index[v] for v in values]] = 1.0
    return y[:, :-1] if drop_last else y


def as_view(a: np.ndarray, name: str) -> np.ndarray:
    """A 2-D float array ``[N, dims]`` as C-contiguous float32/float64 (other dtypes -> float64)."""
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise InputError(f"{name}: expected a 2-D array [N, dims], found shape {arr.shape}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: contains NaN or inf")
    return np.ascontiguousarray(arr)


def _is_full_one_hot(view: np.ndarray) -> bool:
    """Every row one 1 and zeros elsewhere, over more than one column: rank-deficient once centred."""
    return view.shape[1] > 1 and bool(np.all((view == 0) | (view == 1))) and bool(np.all(view.sum(axis=1) == 1))


def _check_rows(x: np.ndarray, y: np.ndarray, what: str) -> None:
    """The reference asserts dims < samples on both views before fitting."""
    n = x.shape[0]
    if y.shape[0] != n:
        raise InputError(f"{what}: x has {n} rows but y has {y.shape[0]}; expected one row per token in both")
    for name, v in (("x", x), ("y", y)):
        if not v.shape[1] < n:
            raise InputError(
                f"{what}: view {name} has {v.shape[1]} dimensions but only {n} rows; CCA needs more rows than "
                "dimensions in each view"
            )


def _inverse_sqrt(sigma: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(np.linalg.pinv(sigma))
    return np.dot(v, np.dot(np.diag(np.sqrt(w)), np.conj(v).T))


def fit_cca_views(
    view_x: np.ndarray, view_y: np.ndarray, *, epsilon_x: float, epsilon_y: float, signs: SignConvention = "lapack"
) -> CCAFit:
    """Fit on ``[dims, n]`` views (the reference's layout); see :func:`fit_cca`.

    Raises ``numpy.linalg.LinAlgError`` when an SVD does not converge (the reference's
    cross-validation catches exactly that and tries the next ε pair).
    """
    nx = view_x.shape[0]
    cov = np.cov(view_x, view_y)
    s_xx, s_xy, s_yy = cov[:nx, :nx], cov[:nx, nx:], cov[nx:, nx:]
    xmax = np.max(np.abs(s_xx))
    ymax = np.max(np.abs(s_yy))
    for name, top in (("x", xmax), ("y", ymax)):
        if not top > 0:
            raise InputError(f"CCA: view {name} is constant over the fitting rows (zero covariance)")
    s_xx /= xmax
    s_yy /= ymax
    s_xy /= np.sqrt(xmax * ymax)
    valid_x = np.abs(np.diagonal(s_xx)) >= epsilon_x
    valid_y = np.abs(np.diagonal(s_yy)) >= epsilon_y
    for name, valid in (("x", valid_x), ("y", valid_y)):
        if not valid.any():
            eps = epsilon_x if name == "x" else epsilon_y
            raise InputError(f"CCA: every dimension of view {name} has (scaled) variance below epsilon {eps:g}")
    s_xx = s_xx[valid_x][:, valid_x]
    s_xy = s_xy[valid_x][:, valid_y]
    s_yy = s_yy[valid_y][:, valid_y]
    s_xx += epsilon_x * np.eye(s_xx.shape[0])
    s_yy += epsilon_y * np.eye(s_yy.shape[0])
    inv_xx = _inverse_sqrt(s_xx)
    inv_yy = _inverse_sqrt(s_yy)
    m = np.dot(inv_xx, np.dot(s_xy, inv_yy))
    u, s, vt = np.linalg.svd(m)
    if signs == "svd_flip":
        from sklearn.utils.extmath import svd_flip

        k = len(s)
        u_k, vt_k = svd_flip(u[:, :k].copy(), vt[:k].copy(), u_based_decision=True)
        u = u.copy()
        vt = vt.copy()
        u[:, :k], vt[:k] = u_k, vt_k
    elif signs != "lapack":
        raise ConfigError(f"unknown sign convention {signs!r}; expected 'lapack' or 'svd_flip'")
    return CCAFit(
        proj_x=np.dot(u.T, inv_xx),
        proj_y=np.dot(vt, inv_yy),
        valid_x=valid_x,
        valid_y=valid_y,
        correlations=np.abs(s),
        epsilon_x=float(epsilon_x),
        epsilon_y=float(epsilon_y),
    )


def _weighted(acts: np.ndarray, means: np.ndarray, variates: np.ndarray, rho: np.ndarray) -> tuple[float, np.ndarray]:
    dirns = variates + means
    q, _ = np.linalg.qr(dirns.T)
    weights = np.sum(np.abs(np.dot(q.T, acts.T)), axis=1)
    weights = weights / np.sum(weights)
    return float(np.sum(weights * rho)), weights


def score_pwcca_views(
    fit: CCAFit, view_x: np.ndarray, view_y: np.ndarray, *, both_sides: bool = True
) -> PWCCAScore:
    """Score ``[dims, n]`` views with trained projections; centred with these views' own means.

    ``both_sides=False`` computes only the weighting that ``score`` uses (one QR instead of two);
    ``mean_score`` and the other side's score and weights are then NaN.
    """
    if view_x.shape[0] != fit.valid_x.shape[0] or view_y.shape[0] != fit.valid_y.shape[0]:
        raise InputError(
            f"PWCCA: the fit has {fit.valid_x.shape[0]} x and {fit.valid_y.shape[0]} y dimensions, "
            f"the scored views {view_x.shape[0]} and {view_y.shape[0]}"
        )
    means_x = np.mean(view_x, axis=1, keepdims=True)
    means_y = np.mean(view_y, axis=1, keepdims=True)
    k = min(len(fit.proj_x), len(fit.proj_y))
    px = np.dot(fit.proj_x[:k], view_x[fit.valid_x] - means_x[fit.valid_x])
    py = np.dot(fit.proj_y[:k], view_y[fit.valid_y] - means_y[fit.valid_y])
    rho = np.einsum("ij,ij->i", px, py)
    rho /= np.sqrt(np.multiply(np.einsum("ij,ij->i", px, px), np.einsum("ij,ij->i", py, py)))
    x_side = len(fit.proj_x) < len(fit.proj_y)
    nan = (float("nan"), np.full(k, np.nan))
    score_x, w_x = (
        _weighted(view_x[fit.valid_x][:k], means_x[fit.valid_x][:k], px, rho) if both_sides or x_side else nan
    )
    score_y, w_y = (
        _weighted(view_y[fit.valid_y][:k], means_y[fit.valid_y][:k], py, rho) if both_sides or not x_side else nan
    )
    score = score_x if x_side else score_y
    return PWCCAScore(
        score=score,
        mean_score=(score_x + score_y) / 2,
        score_x=score_x,
        score_y=score_y,
        direction_correlations=rho,
        weights_x=w_x,
        weights_y=w_y,
    )


def _rows(view: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
    """``[N, d]`` -> the reference's ``[d, n]`` view of the chosen rows (a transpose, not a copy)."""
    return view.T if idx is None else view[idx].T


def _index(idx: Sequence[int] | np.ndarray | None, n: int, name: str) -> np.ndarray | None:
    if idx is None:
        return None
    arr = np.asarray(idx)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise InputError(f"{name}: expected a 1-D array of row indices")
    if arr.size and (arr.min() < -n or arr.max() >= n):
        raise InputError(f"{name}: row index out of range for {n} rows")
    return arr.astype(np.intp)


def fit_cca(
    x: np.ndarray, y: np.ndarray, *, epsilon_x: float = 1e-10, epsilon_y: float = 1e-10,
    idx: Sequence[int] | np.ndarray | None = None, signs: SignConvention = "lapack",
) -> CCAFit:
    """Fit CCA on the rows ``idx`` (default: all) of ``x`` ``[N, dx]`` and ``y`` ``[N, dy]``."""
    x, y = as_view(x, "x"), as_view(y, "y")
    rows = _index(idx, x.shape[0], "idx")
    if y.shape[0] != x.shape[0]:
        raise InputError(f"CCA: x has {x.shape[0]} rows but y has {y.shape[0]}; expected one row per token in both")
    _check_rows(x if rows is None else x[rows], y if rows is None else y[rows], "CCA fit")
    return fit_cca_views(_rows(x, rows), _rows(y, rows), epsilon_x=epsilon_x, epsilon_y=epsilon_y, signs=signs)


def pwcca(
    x: np.ndarray,
    y: np.ndarray,
    *,
    epsilon_x: float = 1e-10,
    epsilon_y: float = 1e-10,
    fit_idx: Sequence[int] | np.ndarray | None = None,
    score_idx: Sequence[int] | np.ndarray | None = None,
    signs: SignConvention = "lapack",
) -> PWCCAResult:
    """PWCCA between ``x`` ``[N, dx]`` and ``y`` ``[N, dy]`` (rows are tokens).

    Without indices: fit and score on all rows. ``fit_idx`` alone: fit and score on those rows.
    With ``score_idx``: fit on ``fit_idx`` (default all rows) and score ``score_idx`` with the
    trained projections, centring with the scored rows' own means (the reference's held-out use).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 8)); y = x[:, :3] + 0.5 * rng.normal(size=(500, 3))
    >>> round(pwcca(x, y).score, 3)
    0.89
    """
    x, y = as_view(x, "x"), as_view(y, "y")
    if y.shape[0] != x.shape[0]:
        raise InputError(f"PWCCA: x has {x.shape[0]} rows but y has {y.shape[0]}; expected one row per token in both")
    fit_rows = _index(fit_idx, x.shape[0], "fit_idx")
    score_rows = _index(score_idx, x.shape[0], "score_idx")
    for name, view in (("x", x), ("y", y)):
        if _is_full_one_hot(view):
            warnings.warn(
                f"PWCCA: view {name} is a full one-hot matrix (its centred columns are linearly dependent), so one "
                "canonical direction is rounding noise; one_hot(..., drop_last=True) gives the well-posed target",
                stacklevel=2,
            )
    fit = fit_cca(x, y, epsilon_x=epsilon_x, epsilon_y=epsilon_y, idx=fit_rows, signs=signs)
    rows = fit_rows if score_rows is None else score_rows
    n_fit = x.shape[0] if fit_rows is None else len(fit_rows)
    n_scored = x.shape[0] if rows is None else len(rows)
    k = min(int(fit.valid_x.sum()), int(fit.valid_y.sum()))
    if n_scored < max(k, 2):
        raise InputError(f"PWCCA: {n_scored} scored row(s) for {k} canonical directions; expected at least {max(k, 2)}")
    s = score_pwcca_views(fit, _rows(x, rows), _rows(y, rows))
    return PWCCAResult(
        score=s.score,
        mean_score=s.mean_score,
        score_x=s.score_x,
        score_y=s.score_y,
        correlations=fit.correlations,
        scored_correlations=s.direction_correlations,
        n_valid_x=int(fit.valid_x.sum()),
        n_valid_y=int(fit.valid_y.sum()),
        n_fit=n_fit,
        n_scored=n_scored,
        epsilon_x=float(epsilon_x),
        epsilon_y=float(epsilon_y),
    )


def pwcca_intra(layer: np.ndarray, base_layer: np.ndarray, **options) -> PWCCAResult:
    """PWCCA of a layer ``[N, d]`` against a base layer of the same model ``[N, d0]`` (usually layer 0).

    As the authors' ``cca_intra`` experiment: the base layer is view x and the layer view y, so with
    equal widths the score uses the layer's weights. The canonical correlations do not depend on
    the order, PWCCA does (by up to 3e-3 on the reference set of the tests). ``options`` go to :func:`pwcca`.
    """
    return pwcca(base_layer, layer, **options)
