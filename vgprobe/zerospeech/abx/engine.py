"""The compiled ABX loops: every cell of a layout -> its error (DESIGN.md §6.5–6.6, §6.8).

Units run in parallel (numba ``prange``). Inside a unit each DTW is computed once and
memoised: within speaker, one cost matrix per token pair gives both orientations; across
speaker, one (X group × unit) block per drawn X group. Per cell, with θ the fraction of
triplets where d(A, X) < d(B, X), ties counting ½, the error is 1 − θ. Within speaker a
token is never its own X, and A–X distances use the token earlier in the unit's order as
rows, as Libri-Light does.
"""

from __future__ import annotations

import numba
import numpy as np

from vgprobe.zerospeech.abx.dtw import dtw_both, dtw_rows, fill_distances

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
def _count(dax, dbx, nb):  # noqa: ANN001, ANN202
    lt = 0
    eq = 0
    for bi in range(nb):
        if dax < dbx[bi]:
            lt += 1
        elif dax == dbx[bi]:
            eq += 1
    return lt, eq


@numba.njit(cache=True)
def _pair(frames, off, ln, kind, i, j, dist, cost, memo, done, t0):  # noqa: ANN001, ANN202
    """Memoised DTW between unit positions i and j (rows i), computing both orientations."""
    if not done[i, j]:
        p = t0 + i
        q = t0 + j
        fill_distances(frames, off[p], ln[p], off[q], ln[q], kind, dist)
        ij, ji = dtw_both(dist, ln[p], ln[q], cost)
        memo[i, j] = ij
        memo[j, i] = ji
        done[i, j] = 1
        done[j, i] = 1
    return memo[i, j]


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
        k = cell_off[u]
        for ga in range(g0, g1):
            if group_end[ga] - group_start[ga] < 2:
                continue
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
                # Libri-Light puts max(d(B, X)) + 1 (rounded to float32) on the A = X diagonal and
                # still counts its ties: with huge distances (euclidean on zero frames) + 1 is lost.
                diag = np.float32(np.float64(top) + 1.0)
                lt = 0
                eq = 0
                for xi in range(na):
                    x = sel_a[xi] - t0
                    row = dbx[xi]
                    c_lt, c_eq = _count(diag, row, nb)
                    lt += c_lt
                    eq += c_eq
                    for ai in range(na):
                        if ai == xi:
                            continue
                        a = sel_a[ai] - t0
                        if a < x:
                            dax = _pair(frames, off, ln, kind, a, x, dist, cost, memo, done, t0)
                        else:
                            dax = _pair(frames, off, ln, kind, x, a, dist, cost, memo, done, t0)
                        c_lt, c_eq = _count(dax, row, nb)
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
                sx = group_speaker[xg]
                for gb in range(g0, g1):
                    if gb == ga:
                        continue
                    key = cell_key(seed, 2, group_context[ga], s, group_phone[ga], group_phone[gb], sx)
                    na = draw(group_start[ga], group_end[ga], cap, splitmix64(key ^ np.uint64(1)), token_key, sel_a)
                    nb = draw(group_start[gb], group_end[gb], cap, splitmix64(key ^ np.uint64(2)), token_key, sel_b)
                    nx = draw(x0, group_end[xg], cap, splitmix64(key ^ np.uint64(3)), token_key, sel_x)
                    lt = 0
                    eq = 0
                    for xi in range(nx):
                        r = sel_x[xi] - x0
                        p = sel_x[xi]
                        for bi in range(nb):
                            j = sel_b[bi] - t0
                            if not done[r, j]:
                                q = sel_b[bi]
                                fill_distances(frames, off[p], ln[p], off[q], ln[q], kind, dist)
                                memo[r, j] = dtw_rows(dist, ln[p], ln[q], cost)
                                done[r, j] = 1
                            dbx[bi] = memo[r, j]
                        for ai in range(na):
                            j = sel_a[ai] - t0
                            if not done[r, j]:
                                q = sel_a[ai]
                                fill_distances(frames, off[p], ln[p], off[q], ln[q], kind, dist)
                                memo[r, j] = dtw_rows(dist, ln[p], ln[q], cost)
                                done[r, j] = 1
                            c_lt, c_eq = _count(memo[r, j], dbx, nb)
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
