"""PWCCA (vgprobe.analysis.probes.cca) against the numbers of the authors' cca_core.

Reference values: tests/data/analysis_reference/layerwise/expected.json, blocks
``cca_deterministic_{float32,float64}`` (see the README there for how they were produced).
Tolerances: canonical correlations 1e-8 everywhere; PWCCA 1e-8 for the well-posed targets,
except the two layer-2 held-out values whose canonical-pair signs are known to flip between BLAS
kernels (1e-3); the rank-deficient full one-hot target is only stable to 1e-2.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from layerwise_data import STORED_LAYERS, expected, labels, layer, one_hot_target, single_blas_thread  # noqa: F401

from vgprobe.analysis.probes import one_hot, pwcca, pwcca_intra
from vgprobe.analysis.probes.cca import fit_cca
from vgprobe.errors import InputError

EPSILONS = {"eps_1e-10_1e-10": 1e-10, "eps_1e-06_1e-06": 1e-6}
DTYPES = {"float32": np.float32, "float64": np.float64}


def views(target: str, k: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) pair each stored block was computed on."""
    x = layer(k, dtype)
    if target == "onehot":
        return x, one_hot_target()
    if target == "onehot_drop_last_column":
        return x, one_hot_target()[:, :-1]
    # The reference set puts the layer as view x and layer 0, as a float64 target, as view y.
    return x, layer(0, np.float64)


def cases():
    for dtype in DTYPES:
        for target in ("onehot", "onehot_drop_last_column", "intra_vs_layer_0"):
            for k in STORED_LAYERS:
                for eps in EPSILONS:
                    yield pytest.param(dtype, target, k, eps, id=f"{dtype}-{target}-layer{k}-{eps}")


def pwcca_tolerance(target: str, k: int, key: str) -> float:
    if target == "onehot":
        return 1e-2
    if target == "onehot_drop_last_column" and k == 2 and key in ("pwcca_train_idx", "pwcca_dev_idx_heldout"):
        return 1e-3
    return 1e-8


@pytest.mark.parametrize("dtype,target,k,eps_key", list(cases()))
def test_pwcca_equals_reference(dtype, target, k, eps_key):
    exp = expected()[f"cca_deterministic_{dtype}"][target][f"layer_{k}"][eps_key]
    x, y = views(target, k, DTYPES[dtype])
    eps = EPSILONS[eps_key]
    train, dev = np.array(labels()["train_idx"]), np.array(labels()["dev_idx"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the full one-hot target warns, on purpose
        full = pwcca(x, y, epsilon_x=eps, epsilon_y=eps)
        on_train = pwcca(x, y, epsilon_x=eps, epsilon_y=eps, fit_idx=train)
        held_out = pwcca(x, y, epsilon_x=eps, epsilon_y=eps, fit_idx=train, score_idx=dev)

    np.testing.assert_allclose(full.correlations, exp["cca_coefs_full_data"], rtol=0, atol=1e-8)
    assert full.mean_correlation == pytest.approx(exp["mean_cca_full_data"], abs=1e-8)
    assert (full.n_valid_x, full.n_valid_y) == (exp["n_valid_dims_x"], exp["n_valid_dims_y"])
    got = {
        "pwcca_full_data": full.score,
        "pwcca_full_data_mean_score": full.mean_score,
        "pwcca_train_idx": on_train.score,
        "pwcca_dev_idx_heldout": held_out.score,
    }
    for key, value in got.items():
        assert value == pytest.approx(exp[key], abs=pwcca_tolerance(target, k, key)), key
    assert (held_out.n_fit, held_out.n_scored) == (len(train), len(dev))
    assert (on_train.n_fit, on_train.n_scored) == (len(train), len(train))


def test_float32_and_float64_inputs_agree_to_1e8():
    y = one_hot_target()[:, :-1]
    a = pwcca(layer(3, np.float32), y)
    b = pwcca(layer(3, np.float64), y)
    assert a.score == pytest.approx(b.score, abs=1e-8)
    np.testing.assert_allclose(a.correlations, b.correlations, atol=1e-8)


def test_score_uses_the_smaller_views_weights_and_mean_score_averages_both():
    y = one_hot_target()[:, :-1]  # 19 dims < 48: the y weighting is the score
    r = pwcca(layer(2), y)
    assert r.score == r.score_y
    assert r.mean_score == pytest.approx((r.score_x + r.score_y) / 2, abs=1e-15)
    swapped = pwcca(y, layer(2))  # now x is the smaller view
    assert swapped.score == swapped.score_x
    np.testing.assert_allclose(swapped.correlations, r.correlations, atol=1e-10)


def test_canonical_correlations_are_symmetric_in_the_views_and_intra_follows_the_authors_order():
    # The authors' cca_intra passes the base layer as view x; the stored block has the layer as x.
    # Canonical correlations do not depend on the order; PWCCA (weights of view y here) does.
    exp = expected()["cca_deterministic_float64"]["intra_vs_layer_0"]["layer_2"]["eps_1e-10_1e-10"]
    r = pwcca_intra(layer(2, np.float64), layer(0, np.float64))
    np.testing.assert_allclose(r.correlations, exp["cca_coefs_full_data"], atol=1e-8)
    direct = pwcca(layer(0, np.float64), layer(2, np.float64))
    assert r.score == direct.score


def test_a_layer_against_itself_has_all_correlations_one():
    r = pwcca(layer(3, np.float64), layer(3, np.float64))
    np.testing.assert_allclose(r.correlations, 1.0, atol=1e-6)
    assert r.score == pytest.approx(1.0, abs=1e-6)


def test_results_are_deterministic():
    y = one_hot_target()[:, :-1]
    a = pwcca(layer(2), y, fit_idx=labels()["train_idx"], score_idx=labels()["dev_idx"])
    b = pwcca(layer(2), y, fit_idx=labels()["train_idx"], score_idx=labels()["dev_idx"])
    assert a.score == b.score and np.array_equal(a.correlations, b.correlations)


def test_svd_flip_convention_changes_pwcca_but_not_the_correlations():
    y = one_hot_target()[:, :-1]
    lapack = pwcca(layer(3), y)
    flipped = pwcca(layer(3), y, signs="svd_flip")
    np.testing.assert_allclose(flipped.correlations, lapack.correlations, atol=0)
    assert flipped.score != lapack.score
    assert abs(flipped.score - lapack.score) < 2e-2
    # svd_flip fixes each pair by the x side alone: negating view y leaves the x projections as they are.
    a = fit_cca(layer(3, np.float64), y, signs="svd_flip")
    b = fit_cca(layer(3, np.float64), -y, signs="svd_flip")
    k = len(a.correlations)
    np.testing.assert_allclose(a.proj_x[:k], b.proj_x[:k], atol=1e-8)
    np.testing.assert_allclose(a.proj_y[:k], -b.proj_y[:k], atol=1e-8)


def test_full_one_hot_target_warns_and_drop_last_does_not():
    with pytest.warns(UserWarning, match="drop_last=True"):
        pwcca(layer(0), one_hot_target())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pwcca(layer(0), one_hot(labels()["labels"], drop_last=True))


def test_one_hot_columns_follow_the_class_order():
    y = one_hot(["b", "a", "c", "a"], classes=["c", "b", "a"])
    np.testing.assert_array_equal(y, [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1]])
    assert one_hot(["b", "a", "c", "a"], drop_last=True).shape == (4, 2)
    with pytest.raises(InputError, match="not among"):
        one_hot(["a", "z"], classes=["a", "b"])


def test_fewer_rows_than_dimensions_is_a_clear_error():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="more rows than dimensions"):
        pwcca(rng.normal(size=(40, 48)), rng.normal(size=(40, 5)))
    with pytest.raises(InputError, match="more rows than dimensions"):  # the fitting rows count
        pwcca(rng.normal(size=(400, 48)), rng.normal(size=(400, 5)), fit_idx=np.arange(30))


def test_row_count_mismatch_and_bad_arrays_are_clear_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="x has 100 rows but y has 99"):
        pwcca(rng.normal(size=(100, 3)), rng.normal(size=(99, 2)))
    with pytest.raises(InputError, match="2-D"):
        pwcca(rng.normal(size=100), rng.normal(size=(100, 2)))
    bad = rng.normal(size=(100, 3))
    bad[5, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        pwcca(bad, rng.normal(size=(100, 2)))
    with pytest.raises(InputError, match="out of range"):
        pwcca(rng.normal(size=(100, 3)), rng.normal(size=(100, 2)), fit_idx=[0, 100])


def test_a_constant_view_is_a_clear_error():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="view y is constant"):
        pwcca(rng.normal(size=(100, 3)), np.ones((100, 2)))
    with pytest.raises(InputError, match="every dimension of view x"):
        pwcca(rng.normal(size=(100, 3)) * [1, 1e-6, 1e-6], rng.normal(size=(100, 2)), epsilon_x=2.0)
