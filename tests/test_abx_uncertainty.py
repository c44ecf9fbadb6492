"""The bootstrap interval over speakers: the same collapse as the score, seeded, NaN with one speaker."""

import numpy as np
import pytest

from vgprobe.zerospeech.abx.collapse import collapse
from vgprobe.zerospeech.abx.uncertainty import bootstrap_interval, collapse_weighted, speaker_pair_table


def cells(n_speakers: int, seed: int = 0, n: int = 400):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, n)
    return dict(speaker=rng.integers(0, n_speakers, n), phone_a=a, phone_b=(a + 1 + rng.integers(0, 4, n)) % 5,
                error=rng.random(n) * 0.3, n_triplets=rng.integers(1, 50, n))


def test_unit_weights_give_the_collapsed_score():
    c = cells(6)
    means, present = speaker_pair_table(speaker=c["speaker"], phone_a=c["phone_a"], phone_b=c["phone_b"], error=c["error"])
    ref = collapse(speaker=c["speaker"], phone_a=c["phone_a"], phone_b=c["phone_b"], error=c["error"])
    assert collapse_weighted(means, present, np.ones(6)) == pytest.approx(ref, abs=1e-15)


def test_a_speaker_drawn_twice_counts_twice_and_missing_pairs_drop_out():
    # speaker 0: pair (0, 1) error 0.0; speaker 1: pairs (0, 1) error 1.0 and (1, 0) error 0.5
    means, present = speaker_pair_table(speaker=np.array([0, 1, 1]), phone_a=np.array([0, 0, 1]),
                                        phone_b=np.array([1, 1, 0]), error=np.array([0.0, 1.0, 0.5]))
    assert collapse_weighted(means, present, np.array([2.0, 1.0])) == pytest.approx(((0 + 0 + 1) / 3 + 0.5) / 2)
    assert collapse_weighted(means, present, np.array([2.0, 0.0])) == 0.0  # pair (1, 0) has no drawn speaker


def test_interval_is_seeded_brackets_the_score_and_counts_the_data():
    c = cells(8)
    first, again, other = (bootstrap_interval(**c, seed=s) for s in (0, 0, 1))
    assert first == again and (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.ci_low < first.score < first.ci_high
    assert (first.n_cells, first.n_triplets, first.n_speakers) == (400, int(c["n_triplets"].sum()), 8)


def test_one_speaker_has_no_interval():
    res = bootstrap_interval(**cells(1))
    assert np.isnan(res.ci_low) and np.isnan(res.ci_high) and res.n_speakers == 1
