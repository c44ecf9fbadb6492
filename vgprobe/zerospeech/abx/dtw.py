"""Dynamic time warping between two tokens, as Libri-Light computes it.

Moves (i−1, j), (i−1, j−1), (i, j−1), unweighted, accumulated in float32. The result is
the accumulated cost divided by the length of the path backtracked greedily from the end,
ties resolved diagonal first, then (i, j−1), then (i−1, j). The accumulated-cost matrix of
(y, x) is the transpose of that of (x, y), but the tie order is not symmetric, so the
path length (and the result) can depend on which token gives the rows: :func:`dtw_both`
returns both from one cost matrix.
"""

from __future__ import annotations

import numba
import numpy as np

from vgprobe.zerospeech.abx.distances import frame_distance


@numba.njit(cache=True)
def fill_distances(frames, x_off, nx, y_off, ny, kind, dist):  # noqa: ANN001, ANN201
    """dist[:nx, :ny] = frame distances between token x (rows) and token y (columns)."""
    for i in range(nx):
        xi = frames[x_off + i]
        for j in range(ny):
            dist[i, j] = frame_distance(xi, frames[y_off + j], kind)


@numba.njit(cache=True)
def accumulate(dist, n, m, cost):  # noqa: ANN001, ANN201
    """cost[:n, :m] = accumulated DTW cost of dist[:n, :m] (float32)."""
    cost[0, 0] = dist[0, 0]
    for i in range(1, n):
        cost[i, 0] = dist[i, 0] + cost[i - 1, 0]
    for j in range(1, m):
        cost[0, j] = dist[0, j] + cost[0, j - 1]
    for i in range(1, n):
        for j in range(1, m):
            c = cost[i - 1, j]
            d = cost[i - 1, j - 1]
            if d < c:
                c = d
            d = cost[i, j - 1]
            if d < c:
                c = d
            cost[i, j] = dist[i, j] + c


@numba.njit(cache=True)
def path_length(cost, n, m, transposed):  # noqa: ANN001, ANN201
    """Length of the greedy backtracked path; ``transposed`` reads cost as the (m, n) problem."""
    length = 1
    i = n - 1
    j = m - 1
    while i > 0 and j > 0:
        diag = cost[i - 1, j - 1]
        if transposed:
            # in the transposed problem "left" is (i-1, j) here and "up" is (i, j-1)
            left = cost[i - 1, j]
            up = cost[i, j - 1]
        else:
            left = cost[i, j - 1]
            up = cost[i - 1, j]
        if diag <= left and diag <= up:
            i -= 1
            j -= 1
        elif left <= up:
            if transposed:
                i -= 1
            else:
                j -= 1
        elif transposed:
            j -= 1
        else:
            i -= 1
        length += 1
    if i == 0:
        length += j
    if j == 0:
        length += i
    return length


@numba.njit(cache=True)
def dtw_both(dist, n, m, cost):  # noqa: ANN001, ANN201
    """(DTW with x as rows, DTW with y as rows) for dist[:n, :m] between x and y; float32."""
    accumulate(dist, n, m, cost)
    total = cost[n - 1, m - 1]
    return (
        total / np.float32(path_length(cost, n, m, False)),
        total / np.float32(path_length(cost, n, m, True)),
    )


@numba.njit(cache=True)
def dtw_rows(dist, n, m, cost):  # noqa: ANN001, ANN201
    """DTW with x (the n rows of dist) as rows; float32."""
    accumulate(dist, n, m, cost)
    return cost[n - 1, m - 1] / np.float32(path_length(cost, n, m, False))
