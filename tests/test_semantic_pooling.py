"""Pooling frames over time: the official six poolings, in float64, with clear errors."""

import numpy as np
import pytest

from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech.semantic.pooling import POOLINGS, pool_files, pool_frames

X = np.array([[1.0, 6.0], [4.0, 2.0], [3.0, 5.0]])  # (T=3, D=2)


@pytest.mark.parametrize(
    "pool, expected",
    [("max", [4, 6]), ("min", [1, 2]), ("mean", [8 / 3, 13 / 3]), ("sum", [8, 13]), ("last", [3, 5]), ("lastlast", [4, 2])],
)
def test_each_pooling_reduces_frames_to_one_vector(pool, expected):
    out = pool_frames(X, pool=pool)
    assert out.dtype == np.float64 and out.shape == (2,)
    np.testing.assert_array_equal(out, np.array(expected, dtype=np.float64))


def test_the_official_set_of_poolings():
    assert POOLINGS == ("max", "min", "mean", "sum", "last", "lastlast")


def test_float32_frames_are_pooled_in_float64():
    x32 = np.array([[16777216.0], [1.0], [1.0]], dtype=np.float32)  # float32 sum would lose the ones
    assert pool_frames(x32, pool="sum")[0] == 16777218.0


def test_lastlast_needs_two_frames_and_names_the_file():
    with pytest.raises(InputError, match=r"one\.npy: 1 frame\(s\); pooling 'lastlast' needs at least 2"):
        pool_frames(X[:1], pool="lastlast", source="one.npy")
    np.testing.assert_array_equal(pool_frames(X[:1], pool="last"), X[0])


def test_unknown_pooling_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown pooling 'median'"):
        pool_frames(X, pool="median")


def test_pool_files_reads_each_file_once_into_rows(tmp_path):
    np.save(tmp_path / "a.npy", X)
    np.savetxt(tmp_path / "b.txt", X[::-1])
    out = pool_files([tmp_path / "a.npy", tmp_path / "b.txt"], pool="last")
    np.testing.assert_array_equal(out, np.array([X[-1], X[0]]))


def test_pool_files_refuses_mixed_dimensions_and_nan(tmp_path):
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", np.ones((2, 3)))
    with pytest.raises(InputError, match=r"b\.npy: feature dimension 3; expected 2"):
        pool_files([tmp_path / "a.npy", tmp_path / "b.npy"], pool="max")
    np.save(tmp_path / "c.npy", np.array([[np.nan, 1.0]]))
    with pytest.raises(InputError, match=r"c\.npy: features contain NaN"):
        pool_files([tmp_path / "c.npy"], pool="max")
