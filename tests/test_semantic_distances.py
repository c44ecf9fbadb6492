"""Word-pair distances: all token pairs (librispeech) or same-voice ones (synthetic), as the official loop."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from vgprobe.errors import ConfigError
from vgprobe.zerospeech.semantic.distances import PairTokens, check_metric, pair_distances

rng = np.random.default_rng(3)
POOLED = rng.normal(size=(12, 5))  # (N tokens, D)


def official_librispeech(left, right, metric):
    return cdist(POOLED[left], POOLED[right], metric=metric).mean()


def official_synthetic(left, right, voices, metric):
    total, count = 0, 0
    for i in left:
        for j in right:
            if voices[i] == voices[j]:
                total += cdist(POOLED[i][None], POOLED[j][None], metric=metric)[0][0]
                count += 1
    return total / count


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "cityblock", "seuclidean"])
def test_all_token_pairs_equal_one_cdist_call_per_pair_bit_for_bit(metric):
    words = [np.array([0, 3, 5]), np.array([1]), np.array([2, 4, 6, 7]), np.array([8, 9, 10, 11])]
    pairs = [(0, 1), (0, 2), (2, 0), (3, 1), (0, 2)]  # repeated and reversed pairs, shared left words
    tokens = [PairTokens(words[a], words[b]) for a, b in pairs]
    expected = [official_librispeech(words[a], words[b], metric) for a, b in pairs]
    assert pair_distances(POOLED, tokens, metric=metric).tolist() == expected


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_synthetic_pairs_average_same_voice_token_pairs_in_order(metric):
    voices = np.array(["a", "b", "a", "c", "a", "b", "c", "a", "b", "b", "c", "a"])
    words = [np.array([0, 1, 3]), np.array([2, 5, 4]), np.array([6, 7, 8, 11])]
    pairs = [(0, 1), (1, 2), (0, 2), (2, 0)]
    tokens = [PairTokens(words[a], words[b], voices[words[a]][:, None] == voices[words[b]][None, :]) for a, b in pairs]
    expected = [official_synthetic(words[a], words[b], voices, metric) for a, b in pairs]
    assert pair_distances(POOLED, tokens, metric=metric).tolist() == expected


def test_shape_example():
    pooled = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    out = pair_distances(pooled, [PairTokens(np.array([0]), np.array([1, 2]))], metric="euclidean")
    np.testing.assert_allclose(out, [(np.sqrt(2) + 1) / 2])


def test_unknown_metric_is_a_config_error():
    assert check_metric("correlation") == "correlation"
    with pytest.raises(ConfigError, match="unknown distance metric 'cosin'"):
        check_metric("cosin")
