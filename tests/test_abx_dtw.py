"""DTW and frame distances: Libri-Light's recurrence, tie order and normalisation."""

import math

import numpy as np
import pytest

from vgprobe.zerospeech.abx.distances import frame_distance
from vgprobe.zerospeech.abx.dtw import dtw_both, dtw_rows


def spec_dtw(dist: np.ndarray) -> np.float32:
    """The specification, step by step in float32: accumulate, backtrack (diag, left, up), divide."""
    n, m = dist.shape
    cost = np.zeros((n, m), dtype=np.float32)
    cost[0, 0] = dist[0, 0]
    for i in range(1, n):
        cost[i, 0] = dist[i, 0] + cost[i - 1, 0]
    for j in range(1, m):
        cost[0, j] = dist[0, j] + cost[0, j - 1]
    for i in range(1, n):
        for j in range(1, m):
            cost[i, j] = dist[i, j] + min(cost[i - 1, j], cost[i - 1, j - 1], cost[i, j - 1])
    length, i, j = 1, n - 1, m - 1
    while i > 0 and j > 0:
        up, left, diag = cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1]
        if diag <= left and diag <= up:
            i, j = i - 1, j - 1
        elif left <= up:
            j -= 1
        else:
            i -= 1
        length += 1
    length += j if i == 0 else 0
    length += i if j == 0 else 0
    return np.float32(cost[n - 1, m - 1] / np.float32(length))


def run_both(dist):
    n, m = dist.shape
    buf = np.zeros((8, 8), np.float32)
    buf[:n, :m] = dist
    return dtw_both(buf, n, m, np.zeros((8, 8), np.float32))


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (4, 1), (3, 3), (5, 7), (8, 2)])
def test_matches_the_specification_on_random_costs(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(20):
        dist = rng.random(shape).astype(np.float32)
        forward, backward = run_both(dist)
        assert forward == spec_dtw(dist)
        assert backward == spec_dtw(dist.T.copy())


def test_ties_make_the_result_depend_on_which_token_gives_the_rows():
    # left and up tie along the way: the greedy path is 4 long one way, 5 the other
    dist = np.array([[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
    forward, backward = run_both(dist)
    assert (forward, backward) == (np.float32(0.25), np.float32(0.2))
    assert (forward, backward) == (spec_dtw(dist), spec_dtw(dist.T.copy()))


def test_dtw_rows_is_the_forward_orientation():
    dist = np.random.default_rng(0).random((3, 5)).astype(np.float32)
    buf = np.zeros((8, 8), np.float32)
    buf[:3, :5] = dist
    assert dtw_rows(buf, 3, 5, np.zeros((8, 8), np.float32)) == spec_dtw(dist)


def unit(v):
    v = np.asarray(v, np.float32)
    out = np.zeros(8, np.float32)
    out[: len(v)] = v / np.linalg.norm(v)
    return out


def test_angular_distance_of_unit_vectors():
    x, y = unit([1, 0, 0]), unit([0, 1, 0])
    assert frame_distance(x, y, 0) == np.float32(0.5)
    assert frame_distance(x, x, 0) == 0.0
    assert frame_distance(x, -x, 0) == 1.0
    z = unit([1, 1, 0])
    assert frame_distance(x, z, 0) == pytest.approx(0.25, abs=1e-7)


def test_euclidean_and_kl_follow_their_formulas():
    rng = np.random.default_rng(1)
    x = np.zeros(16, np.float32)
    y = np.zeros(16, np.float32)
    x[:10] = rng.random(10)
    y[:10] = rng.random(10)
    assert frame_distance(x, y, 1) == pytest.approx(math.dist(x, y), rel=1e-6)
    eps = 1e-6
    kl_xy = sum(a * math.log((a + eps) / (b + eps)) for a, b in zip(x, y))
    kl_yx = sum(b * math.log((b + eps) / (a + eps)) for a, b in zip(x, y))
    assert frame_distance(x, y, 2) == pytest.approx(kl_xy, rel=1e-5)
    assert frame_distance(x, y, 3) == pytest.approx(0.5 * kl_xy + 0.5 * kl_yx, rel=1e-5)


def test_a_frame_pair_gets_the_same_bits_wherever_it_occurs():
    rng = np.random.default_rng(2)
    frames = rng.standard_normal((50, 24)).astype(np.float32)
    frames /= np.linalg.norm(frames, axis=1, keepdims=True)
    first = [frame_distance(frames[i], frames[j], 0) for i in range(50) for j in range(50)]
    copy = np.ascontiguousarray(frames[::-1])
    again = [frame_distance(copy[49 - i], copy[49 - j], 0) for i in range(50) for j in range(50)]
    assert first == again
