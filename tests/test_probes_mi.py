"""k-means mutual information (vgprobe.analysis.probes.mi) against the authors' get_mi_score.

Reference values: tests/data/analysis_reference/layerwise/expected.json, block ``mi``, made with
scikit-learn 1.8.0 (and 1.2.2), and the 1.8.0 seed-0 cluster ids in
``expected_mi_cluster_labels_seed0.npz``. k-means results depend on the scikit-learn version, so:
MI from the stored cluster ids is checked everywhere (1e-12); the k-means pipeline is checked
exactly only under scikit-learn 1.8.0, and elsewhere on blobs that any k-means recovers and on the
layer profile (0.05, the spread between scikit-learn versions on this set).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sklearn
from layerwise_data import DATA, STORED_LAYERS, expected, labels, layer, single_blas_thread  # noqa: F401

from vgprobe.analysis.probes import cluster_mi, kmeans_clusters, kmeans_mi
from vgprobe.errors import ConfigError, InputError

MI = expected()["mi"]["sklearn_1.8.0"]
PARAMS = {"n_clusters": 50, "batch_size": 1500, "max_iter": 500}


def split(name: str) -> tuple[np.ndarray, np.ndarray]:
    idx = np.array(labels()[f"{name}_idx"])
    return idx, np.array(labels()["labels"])[idx]


@pytest.mark.parametrize("k", range(6))
def test_mi_from_the_stored_cluster_ids_equals_the_reference(k):
    with np.load(DATA / "expected_mi_cluster_labels_seed0.npz") as clusters:
        train_ids, dev_ids = clusters[f"layer_{k}/train"], clusters[f"layer_{k}/dev"]
    exp = MI["layers"][f"layer_{k}"]
    assert cluster_mi(train_ids, split("train")[1]) == pytest.approx(exp["train"][0], abs=1e-12)
    recomputed = exp["train_seed0_mi_from_stored_clusters"]
    assert cluster_mi(train_ids, split("train")[1]) == pytest.approx(recomputed, abs=1e-12)
    assert cluster_mi(dev_ids, split("dev")[1]) == pytest.approx(exp["dev"][0], abs=1e-12)


@pytest.mark.skipif(sklearn.__version__ != MI["sklearn"],
                    reason=f"k-means differs across scikit-learn versions: the reference numbers were made with "
                           f"{MI['sklearn']}, this is {sklearn.__version__}")
@pytest.mark.parametrize("k", STORED_LAYERS)
@pytest.mark.parametrize("seed", [0, 1])
def test_kmeans_mi_equals_the_reference_under_the_same_scikit_learn(k, seed):
    tr, y_tr = split("train")
    dv, y_dv = split("dev")
    x = layer(k)
    exp = MI["layers"][f"layer_{k}"]
    assert kmeans_mi(x[tr], y_tr, **PARAMS, seed=seed) == pytest.approx(exp["train"][seed], abs=1e-12)
    assert kmeans_mi(x[tr], y_tr, x[dv], y_dv, **PARAMS, seed=seed) == pytest.approx(exp["dev"][seed], abs=1e-12)
    if seed == 0:
        with np.load(DATA / "expected_mi_cluster_labels_seed0.npz") as clusters:
            np.testing.assert_array_equal(kmeans_clusters(x[tr], **PARAMS, seed=0), clusters[f"layer_{k}/train"])


@pytest.mark.parametrize("seed", range(5))
def test_well_separated_blobs_give_the_oracle_mi_with_any_seed(seed):
    with np.load(DATA / "blobs.npz") as blobs:
        x, y, blob = blobs["X"], blobs["labels"], blobs["blob"]
    oracle = MI["blobs"]["oracle_mi_blob_partition"]
    assert cluster_mi(blob, y) == pytest.approx(oracle, abs=1e-12)
    assert kmeans_mi(x, y, n_clusters=8, seed=seed) == pytest.approx(oracle, abs=1e-12)


def test_the_layer_profile_matches_the_reference_within_the_version_spread():
    tr, y_tr = split("train")
    got = {k: kmeans_mi(layer(k)[tr], y_tr, **PARAMS, seed=0) for k in STORED_LAYERS}
    for k in STORED_LAYERS:
        assert got[k] == pytest.approx(MI["layers"][f"layer_{k}"]["train_mean"], abs=0.05)
    assert got[0] < got[2] < got[3]


def test_seeded_runs_are_repeatable_and_leave_the_global_rngs_alone():
    tr, y_tr = split("train")
    np.random.seed(3)
    random.seed(3)
    before_np, before_py = np.random.get_state(), random.getstate()
    a = kmeans_mi(layer(2)[tr], y_tr, **PARAMS, seed=0)
    b = kmeans_mi(layer(2)[tr], y_tr, **PARAMS, seed=0)
    assert a == b
    assert random.getstate() == before_py
    assert all(np.array_equal(u, v) for u, v in zip(np.random.get_state(), before_np))


def test_cluster_mi_is_one_for_a_relabelled_copy_and_zero_for_independent_clusters():
    y = np.array(["a", "b", "c"] * 20)
    assert cluster_mi(np.array([2, 0, 1] * 20), y) == pytest.approx(1.0, abs=1e-15)
    assert cluster_mi(np.repeat([0, 1], 30), np.tile(["a", "b"], 30)) == pytest.approx(0.0, abs=1e-15)


def test_bad_inputs_are_clear_errors():
    with pytest.raises(InputError, match="3 cluster ids for 2 labels"):
        cluster_mi([0, 1, 1], ["a", "b"])
    with pytest.raises(InputError, match="same label"):
        cluster_mi([0, 1, 1], ["a", "a", "a"])
    x = np.random.default_rng(0).normal(size=(100, 4))
    with pytest.raises(InputError, match="99 labels for 100 tokens"):
        kmeans_mi(x, ["a"] * 99, n_clusters=5)
    with pytest.raises(InputError, match="together"):
        kmeans_mi(x, ["a", "b"] * 50, x, n_clusters=5)
    with pytest.raises(InputError, match="at least one token per cluster"):
        kmeans_mi(x[:3], ["a", "b", "a"], n_clusters=5)
    with pytest.raises(ConfigError, match="at least 2"):
        kmeans_mi(x, ["a", "b"] * 50, n_clusters=1)
    with pytest.raises(InputError, match="dimensions"):
        kmeans_mi(x, ["a", "b"] * 50, x[:, :2], ["a", "b"] * 50, n_clusters=5)
