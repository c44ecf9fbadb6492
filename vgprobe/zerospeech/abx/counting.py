"""Counting ABX triplets from sorted distance rows.

For one X and one cell, θ's numerator needs #[d(A, X) < d(B, X)] and #[d(A, X) = d(B, X)]
over all (A, B) pairs. Comparing every pair costs |A|·|B| per X; with both rows sorted
ascending, one merge walk gives the same two integers in |A| + |B| steps. The counts are
exact (they compare the same float32 values with the same ``<`` and ``==``); NaN, which
compares false with everything, counts as neither, as in the pairwise loop.
"""

from __future__ import annotations

import numba


@numba.njit(cache=True)
def finite_prefix(sorted_row, n):  # noqa: ANN001, ANN201
    """Number of leading non-NaN values of an ascending-sorted row (np.sort puts NaN last)."""
    while n > 0 and sorted_row[n - 1] != sorted_row[n - 1]:
        n -= 1
    return n


@numba.njit(cache=True)
def count_sorted(a, na, b, nb):  # noqa: ANN001, ANN201
    """(#[a[i] < b[j]], #[a[i] == b[j]]) over all i < na, j < nb; a and b sorted ascending."""
    na = finite_prefix(a, na)
    nb = finite_prefix(b, nb)
    lt = 0
    eq = 0
    lo = 0  # first j with b[j] >= a[i]
    hi = 0  # first j with b[j] > a[i]
    for i in range(na):
        v = a[i]
        while lo < nb and b[lo] < v:
            lo += 1
        if hi < lo:
            hi = lo
        while hi < nb and b[hi] <= v:
            hi += 1
        lt += nb - hi
        eq += hi - lo
    return lt, eq


@numba.njit(cache=True)
def count_one(v, b, nb):  # noqa: ANN001, ANN201
    """(#[v < b[j]], #[v == b[j]]) over j < nb; b sorted ascending (binary search)."""
    nb = finite_prefix(b, nb)
    if v != v:
        return 0, 0
    lo = 0
    hi = nb
    while lo < hi:  # first j with b[j] >= v
        mid = (lo + hi) >> 1
        if b[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    first = lo
    hi = nb
    while lo < hi:  # first j with b[j] > v
        mid = (lo + hi) >> 1
        if b[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return nb - lo, lo - first
