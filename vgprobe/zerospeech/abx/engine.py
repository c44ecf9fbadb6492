"""The compiled ABX loops: every cell of a layout -> its error (DESIGN.md §6.5–6.6, §6.8).

Units run in parallel (numba ``prange``). Inside a unit each DTW is computed once and
memoised: within speaker, one cost matrix per token pair gives both orientations; across
speaker, one (X group × unit) block per drawn X group. Per cell, with θ the fraction of
triplets where d(A, X) < d(B, X), ties counting ½, the error is 1 − θ. Within speaker a
token is never its own X, and A–X distances use the token earlier in the unit's order as
rows, as Libri-Light does. Triplets are counted per X from sorted rows (:mod:`.counting`).
With caps off every pair is needed, so the memo is filled up front from frame-distance
blocks (:func:`.distances.distance_block`, the same bits as the per-pair kernel); the
across-speaker cells then usually go through :mod:`.pairs` instead of :func:`across_speaker`.
"""

from __future__ import annotations

import numba
import numpy as np

from vgprobe.zerospeech.abx.counting import count_one, count_sorted
from vgprobe.zerospeech.abx.distances import distance_block, gather_columns
from vgprobe.zerospeech.abx.dtw import dtw_both, dtw_rows, fill_distances

ASYMMETRIC = 2  # the distance code of ``kl``: d(x, y) != d(y, x), so no cost matrix serves both orientations
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True)
def splitmix64(z):  # noqa: ANN001, ANN201
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def cell_key(seed, tag, c, s, a, b, x):  # noqa: ANN001, ANN201
    h = splitmix64(np.uint64(seed))
    for v in (tag, c + 1, s, a, b, x + 1):
        h = splitmix64(h ^ np.uint64(v))
    return h


@numba.njit(cache=True)
def draw(start, end, cap, key, token_key, out):  # noqa: ANN001, ANN201
    """out[:k] = positions in [start, end), all of them or ``cap`` drawn; returns k (sorted)."""
    n = end - start
    if cap < 0 or n <= cap:
        for i in range(n):
            out[i] = start + i
        return n
    scores = np.empty(n, dtype=np.uint64)
    for i in range(n):
        scores[i] = splitmix64(key ^ splitmix64(token_key[start + i]))
    chosen = np.sort(np.argsort(scores)[:cap])
    for i in range(cap):
        out[i] = start + chosen[i]
    return cap


@numba.njit(cache=True)
def _cross(frames, off, ln, kind, p, q, r, j, dist, cost, memo, done):  # noqa: ANN001, ANN202
    """Memoised DTW with token p (an X, memo row r) as rows and token q (memo column j)."""
    if not done[r, j]:
        fill_distances(frames, off[p], ln[p], off[q], ln[q], kind, dist)
        memo[r, j] = dtw_rows(dist, ln[p], ln[q], cost)
        done[r, j] = 1
    return memo[r, j]


@numba.njit(cache=True)
def _pair(frames, off, ln, kind, i, j, dist, cost, memo, done, t0):  # noqa: ANN001, ANN202
    """Memoised DTW between unit positions i and j (rows i).

    For a symmetric frame distance one cost matrix gives both orientations; for ``kl``
    (kind 2) d(x, y) is not d(y, x), so only the (i, j) orientation is computed."""
    if not done[i, j]:
        p = t0 + i
        q = t0 + j
        fill_distances(frames, off[p], ln[p], off[q], ln[q], kind, dist)
        if kind == ASYMMETRIC:
            memo[i, j] = dtw_rows(dist, ln[p], ln[q], cost)
        else:
            ij, ji = dtw_both(dist, ln[p], ln[q], cost)
            memo[i, j] = ij
            memo[j, i] = ji
            done[j, i] = 1
        done[i, j] = 1
    return memo[i, j]


@numba.njit(cache=True)
def _unit_columns(frames, off, ln, t0, size):  # noqa: ANN001, ANN202
    """The unit's frames gathered (row-major and transposed) and each token's first column."""
    col_start = np.empty(size + 1, dtype=np.int64)
    col_start[0] = 0
    for k in range(size):
        col_start[k + 1] = col_start[k] + ln[t0 + k]
    n = col_start[size]
    cols = np.empty((n, frames.shape[1]), dtype=np.float32)
    cols_t = np.empty((frames.shape[1], n), dtype=np.float32)
    gather_columns(frames, off, ln, t0, t0 + size, cols, cols_t)
    return cols, cols_t, col_start


@numba.njit(cache=True)
def _fill_within(frames, off, ln, kind, t0, size, group_of, group_size,  # noqa: ANN001, ANN202
                 memo, done, cost, max_len):
    """Every DTW of the unit a within-speaker cell can need, both orientations (caps off)."""
    cols, cols_t, col_start = _unit_columns(frames, off, ln, t0, size)
    acc = np.empty((8, 128), dtype=np.float32)
    out = np.empty((max_len, col_start[size]), dtype=np.float32)
    if kind == ASYMMETRIC:  # rows p against every other token: an X (group of ≥ 2) as rows
        for p in range(size):
            if group_size[group_of[p]] < 2:
                continue
            lp = ln[t0 + p]
            distance_block(frames[off[t0 + p] : off[t0 + p] + lp], cols, cols_t, 0, col_start[size], kind, acc, out)
            for q in range(size):
                if q != p:
                    memo[p, q] = dtw_rows(out[:lp, col_start[q] : col_start[q + 1]], lp, ln[t0 + q], cost)
                    done[p, q] = 1
        return
    for p in range(size - 1):
        c0 = col_start[p + 1]
        lp = ln[t0 + p]
        rows = frames[off[t0 + p] : off[t0 + p] + lp]
        distance_block(rows, cols, cols_t, c0, col_start[size], kind, acc, out)
        for q in range(p + 1, size):
            if group_size[group_of[p]] < 2 and group_size[group_of[q]] < 2:
                continue
            j = col_start[q] - c0
            ij, ji = dtw_both(out[:lp, j : j + ln[t0 + q]], lp, ln[t0 + q], cost)
            memo[p, q] = ij
            memo[q, p] = ji
            done[p, q] = 1
            done[q, p] = 1


@numba.njit(cache=True)
def _fill_across(frames, off, ln, kind, t0, size, x0, nxg, cols, cols_t, col_start, memo, done, cost, out):  # noqa: ANN001, ANN202
    """memo[r, j] = DTW(X token x0 + r as rows, unit token j) for every pair (caps off)."""
    acc = np.empty((8, 128), dtype=np.float32)
    for r in range(nxg):
        p = x0 + r
        lp = ln[p]
        distance_block(frames[off[p] : off[p] + lp], cols, cols_t, 0, col_start[size], kind, acc, out)
        for j in range(size):
            memo[r, j] = dtw_rows(out[:lp, col_start[j] : col_start[j + 1]], lp, ln[t0 + j], cost)
            done[r, j] = 1


@numba.njit(cache=True)
def _sorted_a_rows(frames, off, ln, kind, sel_a, na, t0, dist, cost, memo, done, out):  # noqa: ANN001, ANN202
    """out[xi, :na-1] = sorted d(A, X) over the A ≠ X of sel_a, X = sel_a[xi] (earlier token = rows)."""
    for xi in range(na):
        x = sel_a[xi] - t0
        m = 0
        for ai in range(na):
            if ai == xi:
                continue
            a = sel_a[ai] - t0
            if a < x:
                out[xi, m] = _pair(frames, off, ln, kind, a, x, dist, cost, memo, done, t0)
            else:
                out[xi, m] = _pair(frames, off, ln, kind, x, a, dist, cost, memo, done, t0)
            m += 1
        out[xi, : na - 1] = np.sort(out[xi, : na - 1])


@numba.njit(cache=True, parallel=True)
def within_speaker(frames, off, ln, token_key, group_start, group_end, group_phone, group_speaker,  # noqa: ANN001, ANN201, PLR0913
                   group_context, unit_gs, unit_ge, cell_off, cap, seed, kind, max_len,
                   err, n_triplets, cs, ca, cb, cc):
    for u in numba.prange(unit_gs.shape[0]):
        g0 = unit_gs[u]
        g1 = unit_ge[u]
        if g1 - g0 < 2:
            continue
        t0 = group_start[g0]
        size = group_end[g1 - 1] - t0
        memo = np.empty((size, size), dtype=np.float32)
        done = np.zeros((size, size), dtype=np.uint8)
        dist = np.empty((max_len, max_len), dtype=np.float32)
        cost = np.empty((max_len, max_len), dtype=np.float32)
        sel_a = np.empty(size, dtype=np.int64)
        sel_b = np.empty(size, dtype=np.int64)
        dbx = np.empty((size, size), dtype=np.float32)
        sorted_a = np.empty((size, size), dtype=np.float32)
        if cap < 0:  # every pair is used: compute them all, distances a block at a time
            group_of = np.empty(size, dtype=np.int64)
            for g in range(g0, g1):
                group_of[group_start[g] - t0 : group_end[g] - t0] = g - g0
            _fill_within(frames, off, ln, kind, t0, size, group_of, group_end[g0:g1] - group_start[g0:g1],
                         memo, done, cost, max_len)
        k = cell_off[u]
        for ga in range(g0, g1):
            size_a = group_end[ga] - group_start[ga]
            if size_a < 2:
                continue
            full_ready = False  # sorted_a holds the rows of the whole a-group
            for gb in range(g0, g1):
                if gb == ga:
                    continue
                key = cell_key(seed, 1, group_context[ga], group_speaker[ga], group_phone[ga], group_phone[gb], -1)
                na = draw(group_start[ga], group_end[ga], cap, splitmix64(key ^ np.uint64(1)), token_key, sel_a)
                nb = draw(group_start[gb], group_end[gb], cap, splitmix64(key ^ np.uint64(2)), token_key, sel_b)
                top = np.float32(-np.inf)
                for xi in range(na):
                    for bi in range(nb):
                        v = _pair(frames, off, ln, kind, sel_a[xi] - t0, sel_b[bi] - t0, dist, cost, memo, done, t0)
                        dbx[xi, bi] = v
                        if v > top:
                            top = v
                if na < size_a or not full_ready:
                    _sorted_a_rows(frames, off, ln, kind, sel_a, na, t0, dist, cost, memo, done, sorted_a)
                    full_ready = na == size_a
                # Libri-Light puts max(d(B, X)) + 1 (rounded to float32) on the A = X diagonal and
                # still counts its ties: with huge distances (euclidean on zero frames) + 1 is lost.
                diag = np.float32(np.float64(top) + 1.0)
                lt = 0
                eq = 0
                for xi in range(na):
                    row = np.sort(dbx[xi, :nb])
                    c_lt, c_eq = count_one(diag, row, nb)
                    lt += c_lt
                    eq += c_eq
                    c_lt, c_eq = count_sorted(sorted_a[xi], na - 1, row, nb)
                    lt += c_lt
                    eq += c_eq
                n = na * (na - 1) * nb
                err[k] = 1.0 - (lt + 0.5 * eq) / n
                n_triplets[k] = n
                cs[k] = group_speaker[ga]
                ca[k] = group_phone[ga]
                cb[k] = group_phone[gb]
                cc[k] = group_context[ga]
                k += 1


@numba.njit(cache=True, parallel=True)
def across_speaker(frames, off, ln, token_key, group_start, group_end, group_phone, group_speaker,  # noqa: ANN001, ANN201, PLR0913
                   group_context, unit_gs, unit_ge, cp_groups, cp_start, cp_end, cell_off, cap, max_x,
                   seed, kind, max_len, err, n_triplets, cs, ca, cb, cc, cx):
    for u in numba.prange(unit_gs.shape[0]):
        g0 = unit_gs[u]
        g1 = unit_ge[u]
        if g1 - g0 < 2:
            continue
        t0 = group_start[g0]
        size = group_end[g1 - 1] - t0
        dist = np.empty((max_len, max_len), dtype=np.float32)
        cost = np.empty((max_len, max_len), dtype=np.float32)
        sel_a = np.empty(size, dtype=np.int64)
        sel_b = np.empty(size, dtype=np.int64)
        dbx = np.empty(size, dtype=np.float32)
        if cap < 0:
            cols, cols_t, col_start = _unit_columns(frames, off, ln, t0, size)
            out = np.empty((max_len, col_start[size]), dtype=np.float32)
        k = cell_off[u]
        for ga in range(g0, g1):
            s = group_speaker[ga]
            n_cand = cp_end[ga] - cp_start[ga]
            cands = np.empty(n_cand - 1, dtype=np.int64)
            m = 0
            for i in range(cp_start[ga], cp_end[ga]):
                if cp_groups[i] != ga:
                    cands[m] = cp_groups[i]
                    m += 1
            if max_x >= 0 and m > max_x:
                xkey = cell_key(seed, 3, group_context[ga], s, group_phone[ga], 0, -1)
                scores = np.empty(m, dtype=np.uint64)
                for i in range(m):
                    scores[i] = splitmix64(xkey ^ splitmix64(np.uint64(group_speaker[cands[i]])))
                cands = cands[np.sort(np.argsort(scores)[:max_x])]
            for xg in cands:
                x0 = group_start[xg]
                nxg = group_end[xg] - x0
                memo = np.empty((nxg, size), dtype=np.float32)
                done = np.zeros((nxg, size), dtype=np.uint8)
                sel_x = np.empty(nxg, dtype=np.int64)
                sorted_a = np.empty((nxg, group_end[ga] - group_start[ga]), dtype=np.float32)
                size_a = group_end[ga] - group_start[ga]
                full_ready = False  # sorted_a holds the rows of the whole a- and x-groups
                if cap < 0:
                    _fill_across(frames, off, ln, kind, t0, size, x0, nxg, cols, cols_t, col_start, memo, done,
                                 cost, out)
                sx = group_speaker[xg]
                for gb in range(g0, g1):
                    if gb == ga:
                        continue
                    key = cell_key(seed, 2, group_context[ga], s, group_phone[ga], group_phone[gb], sx)
                    na = draw(group_start[ga], group_end[ga], cap, splitmix64(key ^ np.uint64(1)), token_key, sel_a)
                    nb = draw(group_start[gb], group_end[gb], cap, splitmix64(key ^ np.uint64(2)), token_key, sel_b)
                    nx = draw(x0, group_end[xg], cap, splitmix64(key ^ np.uint64(3)), token_key, sel_x)
                    if na < size_a or nx < nxg or not full_ready:
                        for xi in range(nx):
                            r = sel_x[xi] - x0
                            for ai in range(na):
                                sorted_a[xi, ai] = _cross(frames, off, ln, kind, sel_x[xi], sel_a[ai], r,
                                                          sel_a[ai] - t0, dist, cost, memo, done)
                            sorted_a[xi, :na] = np.sort(sorted_a[xi, :na])
                        full_ready = na == size_a and nx == nxg
                    lt = 0
                    eq = 0
                    for xi in range(nx):
                        r = sel_x[xi] - x0
                        for bi in range(nb):
                            dbx[bi] = _cross(frames, off, ln, kind, sel_x[xi], sel_b[bi], r, sel_b[bi] - t0,
                                             dist, cost, memo, done)
                        row = np.sort(dbx[:nb])
                        c_lt, c_eq = count_sorted(sorted_a[xi], na, row, nb)
                        lt += c_lt
                        eq += c_eq
                    n = nx * na * nb
                    err[k] = 1.0 - (lt + 0.5 * eq) / n
                    n_triplets[k] = n
                    cs[k] = s
                    ca[k] = group_phone[ga]
                    cb[k] = group_phone[gb]
                    cc[k] = group_context[ga]
                    cx[k] = sx
                    k += 1
