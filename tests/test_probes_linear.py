"""The speaker-held-out linear probe (vgprobe.analysis.probes.linear)."""

from __future__ import annotations

import numpy as np
import pytest
from layerwise_data import STORED_LAYERS, labels, layer, single_blas_thread  # noqa: F401

from vgprobe.analysis.probes import linear_probe
from vgprobe.errors import ConfigError, InputError


def blobs(n_per_class: int = 40, n_speakers: int = 4, seed: int = 0):
    """Three classes in 5-d, well apart; every speaker says every class."""
    rng = np.random.default_rng(seed)
    centres = np.array([[4, 0, 0, 0, 0], [0, 4, 0, 0, 0], [0, 0, 4, 0, 0]], dtype=float)
    y = np.repeat(["a", "b", "c"], n_per_class)
    x = centres[np.repeat([0, 1, 2], n_per_class)] + rng.normal(size=(3 * n_per_class, 5))
    groups = np.tile(np.arange(n_speakers), 3 * n_per_class // n_speakers)
    return x, y, groups


def test_separable_classes_are_found_and_beat_the_majority_baseline():
    x, y, g = blobs()
    r = linear_probe(x, y, g)
    assert r.accuracy > 0.95 and r.f1_macro > 0.95
    assert r.baseline_accuracy == pytest.approx(1 / 3, abs=0.05)
    assert r.n_folds == 4 and r.n_groups == 4 and r.n_classes == 3 and r.n_tokens == 120
    assert r.n_not_converged == 0
    assert r.accuracy == pytest.approx(np.mean(r.fold_accuracy), abs=1e-15)


def test_majority_baseline_predicts_the_most_frequent_training_label():
    i = np.arange(160)
    y = np.where((i // 4) % 4 == 0, "b", "a")  # 'a' is 3/4 of every speaker's tokens
    r = linear_probe(np.random.default_rng(1).normal(size=(160, 5)), y, i % 4)
    assert r.baseline_accuracy == pytest.approx(0.75, abs=1e-12)
    assert r.baseline_f1_macro == pytest.approx((2 * 0.75 / 1.75 + 0.0) / 2, abs=1e-12)  # F1 of 'a'; 'b' scores 0


def test_held_out_speakers_cannot_be_recognised():
    # Each speaker always says its own word and has its own voice: a probe that sees the speaker
    # in training is perfect, but the words of held-out speakers were never seen.
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(6), 30)
    voice = np.eye(6)[speakers] * 5 + rng.normal(size=(180, 6))
    words = np.array(list("uvwxyz"))[speakers]
    r = linear_probe(voice, words, speakers, n_splits=3)
    assert r.accuracy == 0.0


def test_phone_information_rises_with_the_reference_layers():
    y = np.array(labels()["labels"])
    g = np.arange(len(y)) % 6
    acc = {k: linear_probe(layer(k), y, g, n_splits=3).accuracy for k in STORED_LAYERS}
    assert acc[0] < acc[2] < acc[3]


def test_results_are_deterministic():
    x, y, g = blobs(seed=3)
    assert linear_probe(x, y, g) == linear_probe(x, y, g)


def test_bad_inputs_are_clear_errors():
    x, y, g = blobs()
    with pytest.raises(InputError, match="119 labels"):
        linear_probe(x, y[:-1], g)
    with pytest.raises(InputError, match="119 groups"):
        linear_probe(x, y, g[:-1])
    with pytest.raises(InputError, match="same label"):
        linear_probe(x, np.full(120, "a"), g)
    with pytest.raises(InputError, match="expected at least 2 to hold speakers out"):
        linear_probe(x, y, np.zeros(120))
    with pytest.raises(InputError, match="NaN"):
        linear_probe(np.full((120, 5), np.nan), y, g)
    with pytest.raises(ConfigError, match="n_splits"):
        linear_probe(x, y, g, n_splits=1)
