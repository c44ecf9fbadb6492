"""Collapse: contexts (and X speakers) -> speakers -> ordered phone pairs."""

import numpy as np
import pytest

from vgprobe.zerospeech.abx.collapse import collapse


def test_mean_over_cells_then_speakers_then_pairs():
    # pair (0,1): speaker 0 has two cells (mean 0.25), speaker 1 one cell (1.0) -> 0.625
    # pair (1,0): one cell 0.0 -> overall (0.625 + 0.0) / 2
    score = collapse(
        speaker=np.array([0, 0, 1, 0]),
        phone_a=np.array([0, 0, 0, 1]),
        phone_b=np.array([1, 1, 1, 0]),
        error=np.array([0.0, 0.5, 1.0, 0.0]),
    )
    assert score == pytest.approx(0.3125, abs=0)


def test_no_cells_is_an_error():
    with pytest.raises(ValueError):
        collapse(speaker=np.array([]), phone_a=np.array([]), phone_b=np.array([]), error=np.array([]))
