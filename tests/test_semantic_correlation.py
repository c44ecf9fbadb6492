"""Spearman correlation per (type, dataset), the human column choice, and the summary rows."""

import math

import numpy as np
import pytest
import scipy.stats

from vgprobe.errors import InputError
from vgprobe.zerospeech.semantic.correlation import SemanticResult, dataset_correlations, summarise
from vgprobe.zerospeech.semantic.tables import WordPair

NAN = math.nan


def pair(type_, dataset, sim, rel, line=2):
    return WordPair(type=type_, dataset=dataset, word_1="a", word_2="b", similarity=sim, relatedness=rel, line=line)


def test_relatedness_is_used_unless_it_has_an_empty_value():
    pairs = [pair("synthetic", "d", 1.0, 3.0), pair("synthetic", "d", 2.0, 1.0), pair("synthetic", "d", 3.0, 2.0)]
    distances = np.array([0.1, 0.2, 0.3])
    (result,) = dataset_correlations(pairs, distances)
    assert result.correlation == 100 * scipy.stats.spearmanr([-3.0, -1.0, -2.0], distances)[0]
    pairs[1] = pair("synthetic", "d", 2.0, NAN)
    (result,) = dataset_correlations(pairs, distances)
    assert result.correlation == pytest.approx(-100.0)  # similarity 1,2,3 rises with distance


def test_groups_are_sorted_by_type_then_dataset_and_counted():
    pairs = [pair("synthetic", "z", 1, NAN), pair("librispeech", "y", 1, NAN), pair("synthetic", "a", 1, NAN)]
    pairs += [pair("synthetic", "z", 2, NAN), pair("librispeech", "y", 2, NAN), pair("synthetic", "a", 2, NAN)]
    pairs += [pair("synthetic", "a", 3, NAN)]
    results = dataset_correlations(pairs, np.arange(7.0))
    assert [(r.type, r.dataset, r.n_pairs) for r in results] == [("librispeech", "y", 2), ("synthetic", "a", 3), ("synthetic", "z", 2)]


def test_a_dataset_with_both_human_columns_empty_is_an_error_naming_lines():
    pairs = [pair("librispeech", "rw", 1.0, NAN, line=2), pair("librispeech", "rw", NAN, 2.0, line=3)]
    with pytest.raises(InputError, match=r"pairs\.csv: dataset 'rw' \(librispeech\): relatedness is empty on line\(s\) 2 and similarity on line\(s\) 3"):
        dataset_correlations(pairs, np.array([0.1, 0.2]), source="pairs.csv")


def test_summaries_are_the_plain_and_the_pair_weighted_means_per_type():
    rows = [SemanticResult("librispeech", "x", 10.0, 1), SemanticResult("librispeech", "y", 40.0, 3), SemanticResult("synthetic", "z", 5.0, 2)]
    out = summarise(rows)
    assert out[:3] == rows
    assert out[3:] == [
        SemanticResult("librispeech", "mean", 25.0, 4),
        SemanticResult("librispeech", "weighted_mean", 32.5, 4),
        SemanticResult("synthetic", "mean", 5.0, 2),
        SemanticResult("synthetic", "weighted_mean", 5.0, 2),
    ]


def test_an_undefined_dataset_correlation_makes_the_summaries_nan():
    out = summarise([SemanticResult("synthetic", "x", NAN, 3), SemanticResult("synthetic", "y", 1.0, 3)])
    assert math.isnan(out[2].correlation) and math.isnan(out[3].correlation)
