"""Token slicing: Libri-Light's float rule and the exact rule."""

import math
from fractions import Fraction

import pytest

from vgprobe.zerospeech.abx.slicing import exact_bounds, frame_shift_fraction, librilight_bounds


def test_librilight_leaves_out_the_last_frame_centred_inside():
    # frames centred at 0.01, 0.03, ..., 0.09 lie in [0, 0.1]: Libri-Light keeps 4 of the 5
    assert librilight_bounds(0.0, 0.1, step=50.0, n_frames=100) == (0, 4)
    assert exact_bounds("0", "0.1", frame_shift=Fraction("0.02"), n_frames=100) == (0, 5)


def test_librilight_is_float64_arithmetic_on_exact_boundaries():
    # 50 * 0.03 - 0.5 is 0.9999999999999998 in float64: ceil gives 1, as Libri-Light computes
    step = 1 / 0.02
    assert math.ceil(step * 0.03 - 0.5) == 1
    assert librilight_bounds(0.03, 0.07, step=step, n_frames=10) == (1, 3)
    assert exact_bounds("0.03", "0.07", frame_shift=Fraction("0.02"), n_frames=10) == (1, 4)


def test_bounds_are_clipped_to_the_file():
    assert librilight_bounds(0.0, 10.0, step=50.0, n_frames=7) == (0, 7)
    assert exact_bounds("0", "10", frame_shift=Fraction("0.02"), n_frames=7) == (0, 7)


def test_tokens_shorter_than_a_frame_can_slice_to_nothing():
    start, end = librilight_bounds(0.012, 0.016, step=50.0, n_frames=10)
    assert end <= start


def test_frame_shift_is_read_as_its_decimal():
    assert frame_shift_fraction(0.02) == Fraction(1, 50)
    assert frame_shift_fraction("0.01") == Fraction(1, 100)
    with pytest.raises(ValueError):
        frame_shift_fraction(0.0)
