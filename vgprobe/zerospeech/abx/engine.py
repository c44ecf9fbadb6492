"""The compiled ABX loops: every cell of a layout -> its error.

Units run in parallel (numba ``prange``). Inside a unit each DTW is computed once and
memoised: within speaker, one cost matrix per token pair gives both orientations (for a
symmetric frame distance; ``kl`` computes each orientation from its own matrix); across
speaker, one (X group × unit) block per drawn X group. Per cell, with θ the fraction of
triplets where d(A, X) < d(B, X), ties counting ½, the error is 1 − θ. Within speaker a
token is never its own X, and A–X distances use the token earlier in the unit's order as
rows, as Libri-Light does. Triplets are counted per X from sorted rows (:mod:`.counting`).
With caps off every pair is needed, so the memo is filled up front from frame-distance
blocks (:func:`.distances.distance_block`, the same bits as the per-pair kernel); the
across-speaker cells then usually go through :mod:`.pairs` instead of :func:`across_speaker`.
The loops take their arrays in the bundles of :mod:`.kernel_args`.
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
def store_cell(out, k, n, lt, eq, speaker, phone_a, phone_b, context, x_speaker):  # noqa: ANN001, ANN201
    """out[k] = the cell's error 1 − θ, θ = (lt + eq / 2) / n, its triplet count and coordinates.

    A function of its own, not inline code: numba 0.68 loses stores to an array taken from a
    tuple argument (``out.error[k] = ...``) written directly in a ``prange`` body, but not in a callee.
    """
    out.error[k] = 1.0 - (lt + 0.5 * eq) / n
    out.n_triplets[k] = n
    out.speaker[k] = speaker
    out.phone_a[k] = phone_a
    out.phone_b[k] = phone_b
    out.context[k] = context
    out.x_speaker[k] = x_speaker


@numba.njit(cache=True)
def _cross(tok, kind, p, q, r, j, dist, cost, memo, done):  # noqa: ANN001, ANN202
    """Memoised DTW with token p (an X, memo row r) as rows and token q (memo column j)."""
    if not done[r, j]:
        fill_distances(tok.frames, tok.off[p], tok.ln[p], tok.off[q], tok.ln[q], kind, dist)
        memo[r, j] = dtw_rows(dist, tok.ln[p], tok.ln[q], cost)
        done[r, j] = 1
    return memo[r, j]


@numba.njit(cache=True)
def _pair(tok, kind, t0, i, j, dist, cost, memo, done):  # noqa: ANN001, ANN202
    """Memoised DTW between unit positions i and j (rows i).

    For a symmetric frame distance one cost matrix gives both orientations; for ``kl``
    (kind 2) d(x, y) is not d(y, x), so only the (i, j) orientation is computed."""
    if not done[i, j]:
        p = t0 + i
        q = t0 + j
        fill_distances(tok.frames, tok.off[p], tok.ln[p], tok.off[q], tok.ln[q], kind, dist)
        if kind == ASYMMETRIC:
            memo[i, j] = dtw_rows(dist, tok.ln[p], tok.ln[q], cost)
        else:
            ij, ji = dtw_both(dist, tok.ln[p], tok.ln[q], cost)
            memo[i, j] = ij
            memo[j, i] = ji
            done[j, i] = 1
        done[i, j] = 1
    return memo[i, j]


@numba.njit(cache=True)
def unit_columns(tok, t0, size):  # noqa: ANN001, ANN201
    """The unit's frames gathered (row-major and transposed) and each token's first column."""
    col_start = np.empty(size + 1, dtype=np.int64)
    col_start[0] = 0
    for k in range(size):
        col_start[k + 1] = col_start[k] + tok.ln[t0 + k]
    n = col_start[size]
    cols = np.empty((n, tok.frames.shape[1]), dtype=np.float32)
    cols_t = np.empty((tok.frames.shape[1], n), dtype=np.float32)
    gather_columns(tok.frames, tok.off, tok.ln, t0, t0 + size, cols, cols_t)
    return cols, cols_t, col_start


@numba.njit(cache=True)
def _fill_within(tok, kind, t0, size, group_of, group_size, memo, done, cost, max_len):  # noqa: ANN001, ANN202
    """Every DTW of the unit a within-speaker cell can need, both orientations (caps off)."""
    cols, cols_t, col_start = unit_columns(tok, t0, size)
    acc = np.empty((8, 128), dtype=np.float32)
    out = np.empty((max_len, col_start[size]), dtype=np.float32)
    if kind == ASYMMETRIC:  # rows p against every other token: an X (group of ≥ 2) as rows
        for p in range(size):
            if group_size[group_of[p]] < 2:
                continue
            lp = tok.ln[t0 + p]
            o = tok.off[t0 + p]
            distance_block(tok.frames[o : o + lp], cols, cols_t, 0, col_start[size], kind, acc, out)
            for q in range(size):
                if q != p:
                    memo[p, q] = dtw_rows(out[:lp, col_start[q] : col_start[q + 1]], lp, tok.ln[t0 + q], cost)
                    done[p, q] = 1
        return
    for p in range(size - 1):
        c0 = col_start[p + 1]
        lp = tok.ln[t0 + p]
        o = tok.off[t0 + p]
        distance_block(tok.frames[o : o + lp], cols, cols_t, c0, col_start[size], kind, acc, out)
        for q in range(p + 1, size):
            if group_size[group_of[p]] < 2 and group_size[group_of[q]] < 2:
                continue
            j = col_start[q] - c0
            ij, ji = dtw_both(out[:lp, j : j + tok.ln[t0 + q]], lp, tok.ln[t0 + q], cost)
            memo[p, q] = ij
            memo[q, p] = ji
            done[p, q] = 1
            done[q, p] = 1


@numba.njit(cache=True)
def _fill_across(tok, kind, t0, size, x0, nxg, cols, cols_t, col_start, memo, done, cost, out):  # noqa: ANN001, ANN202
    """memo[r, j] = DTW(X token x0 + r as rows, unit token j) for every pair (caps off)."""
    acc = np.empty((8, 128), dtype=np.float32)
    for r in range(nxg):
        p = x0 + r
        lp = tok.ln[p]
        distance_block(tok.frames[tok.off[p] : tok.off[p] + lp], cols, cols_t, 0, col_start[size], kind, acc, out)
        for j in range(size):
            memo[r, j] = dtw_rows(out[:lp, col_start[j] : col_start[j + 1]], lp, tok.ln[t0 + j], cost)
            done[r, j] = 1


@numba.njit(cache=True)
def _sorted_a_rows(tok, kind, t0, sel_a, na, dist, cost, memo, done, out):  # noqa: ANN001, ANN202
    """out[xi, :na-1] = sorted d(A, X) over the A ≠ X of sel_a, X = sel_a[xi] (earlier token = rows)."""
    for xi in range(na):
        x = sel_a[xi] - t0
        m = 0
        for ai in range(na):
            if ai == xi:
                continue
            a = sel_a[ai] - t0
            if a < x:
                out[xi, m] = _pair(tok, kind, t0, a, x, dist, cost, memo, done)
            else:
                out[xi, m] = _pair(tok, kind, t0, x, a, dist, cost, memo, done)
            m += 1
        out[xi, : na - 1] = np.sort(out[xi, : na - 1])


@numba.njit(cache=True, parallel=True)
def within_speaker(tok, grp, cell_off, cfg, out):  # noqa: ANN001, ANN201
    """Fill ``out`` (a CellOut) with every within-speaker cell; unit u's cells start at cell_off[u]."""
    for u in numba.prange(grp.unit_start.shape[0]):
        g0 = grp.unit_start[u]
        g1 = grp.unit_end[u]
        if g1 - g0 < 2:
            continue
        t0 = grp.start[g0]
        size = grp.end[g1 - 1] - t0
        memo = np.empty((size, size), dtype=np.float32)
        done = np.zeros((size, size), dtype=np.uint8)
        dist = np.empty((cfg.max_len, cfg.max_len), dtype=np.float32)
        cost = np.empty((cfg.max_len, cfg.max_len), dtype=np.float32)
        sel_a = np.empty(size, dtype=np.int64)
        sel_b = np.empty(size, dtype=np.int64)
        dbx = np.empty((size, size), dtype=np.float32)
        sorted_a = np.empty((size, size), dtype=np.float32)
        if cfg.cap < 0:  # every pair is used: compute them all, distances a block at a time
            group_of = np.empty(size, dtype=np.int64)
            for g in range(g0, g1):
                group_of[grp.start[g] - t0 : grp.end[g] - t0] = g - g0
            _fill_within(tok, cfg.kind, t0, size, group_of, grp.end[g0:g1] - grp.start[g0:g1], memo, done, cost,
                         cfg.max_len)
        k = cell_off[u]
        for ga in range(g0, g1):
            size_a = grp.end[ga] - grp.start[ga]
            if size_a < 2:
                continue
            full_ready = False  # sorted_a holds the rows of the whole a-group
            for gb in range(g0, g1):
                if gb == ga:
                    continue
                key = cell_key(cfg.seed, 1, grp.context[ga], grp.speaker[ga], grp.phone[ga], grp.phone[gb], -1)
                na = draw(grp.start[ga], grp.end[ga], cfg.cap, splitmix64(key ^ np.uint64(1)), tok.key, sel_a)
                nb = draw(grp.start[gb], grp.end[gb], cfg.cap, splitmix64(key ^ np.uint64(2)), tok.key, sel_b)
                top = np.float32(-np.inf)
                for xi in range(na):
                    for bi in range(nb):
                        v = _pair(tok, cfg.kind, t0, sel_a[xi] - t0, sel_b[bi] - t0, dist, cost, memo, done)
                        dbx[xi, bi] = v
                        if v > top:
                            top = v
                if na < size_a or not full_ready:
                    _sorted_a_rows(tok, cfg.kind, t0, sel_a, na, dist, cost, memo, done, sorted_a)
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
                store_cell(out, k, na * (na - 1) * nb, lt, eq, grp.speaker[ga], grp.phone[ga], grp.phone[gb],
                           grp.context[ga], -1)
                k += 1


@numba.njit(cache=True, parallel=True)
def across_speaker(tok, grp, cell_off, cfg, out):  # noqa: ANN001, ANN201
    """Fill ``out`` (a CellOut) with every across-speaker cell; unit u's cells start at cell_off[u]."""
    for u in numba.prange(grp.unit_start.shape[0]):
        g0 = grp.unit_start[u]
        g1 = grp.unit_end[u]
        if g1 - g0 < 2:
            continue
        t0 = grp.start[g0]
        size = grp.end[g1 - 1] - t0
        dist = np.empty((cfg.max_len, cfg.max_len), dtype=np.float32)
        cost = np.empty((cfg.max_len, cfg.max_len), dtype=np.float32)
        sel_a = np.empty(size, dtype=np.int64)
        sel_b = np.empty(size, dtype=np.int64)
        dbx = np.empty(size, dtype=np.float32)
        if cfg.cap < 0:
            cols, cols_t, col_start = unit_columns(tok, t0, size)
            block = np.empty((cfg.max_len, col_start[size]), dtype=np.float32)
        k = cell_off[u]
        for ga in range(g0, g1):
            s = grp.speaker[ga]
            n_cand = grp.cp_end[ga] - grp.cp_start[ga]
            cands = np.empty(n_cand - 1, dtype=np.int64)
            m = 0
            for i in range(grp.cp_start[ga], grp.cp_end[ga]):
                if grp.cp_groups[i] != ga:
                    cands[m] = grp.cp_groups[i]
                    m += 1
            if cfg.max_x >= 0 and m > cfg.max_x:
                xkey = cell_key(cfg.seed, 3, grp.context[ga], s, grp.phone[ga], 0, -1)
                scores = np.empty(m, dtype=np.uint64)
                for i in range(m):
                    scores[i] = splitmix64(xkey ^ splitmix64(np.uint64(grp.speaker[cands[i]])))
                cands = cands[np.sort(np.argsort(scores)[: cfg.max_x])]
            for xg in cands:
                x0 = grp.start[xg]
                nxg = grp.end[xg] - x0
                memo = np.empty((nxg, size), dtype=np.float32)
                done = np.zeros((nxg, size), dtype=np.uint8)
                sel_x = np.empty(nxg, dtype=np.int64)
                sorted_a = np.empty((nxg, grp.end[ga] - grp.start[ga]), dtype=np.float32)
                size_a = grp.end[ga] - grp.start[ga]
                full_ready = False  # sorted_a holds the rows of the whole a- and x-groups
                if cfg.cap < 0:
                    _fill_across(tok, cfg.kind, t0, size, x0, nxg, cols, cols_t, col_start, memo, done, cost, block)
                sx = grp.speaker[xg]
                for gb in range(g0, g1):
                    if gb == ga:
                        continue
                    key = cell_key(cfg.seed, 2, grp.context[ga], s, grp.phone[ga], grp.phone[gb], sx)
                    na = draw(grp.start[ga], grp.end[ga], cfg.cap, splitmix64(key ^ np.uint64(1)), tok.key, sel_a)
                    nb = draw(grp.start[gb], grp.end[gb], cfg.cap, splitmix64(key ^ np.uint64(2)), tok.key, sel_b)
                    nx = draw(x0, grp.end[xg], cfg.cap, splitmix64(key ^ np.uint64(3)), tok.key, sel_x)
                    if na < size_a or nx < nxg or not full_ready:
                        for xi in range(nx):
                            r = sel_x[xi] - x0
                            for ai in range(na):
                                sorted_a[xi, ai] = _cross(tok, cfg.kind, sel_x[xi], sel_a[ai], r, sel_a[ai] - t0,
                                                          dist, cost, memo, done)
                            sorted_a[xi, :na] = np.sort(sorted_a[xi, :na])
                        full_ready = na == size_a and nx == nxg
                    lt = 0
                    eq = 0
                    for xi in range(nx):
                        r = sel_x[xi] - x0
                        for bi in range(nb):
                            dbx[bi] = _cross(tok, cfg.kind, sel_x[xi], sel_b[bi], r, sel_b[bi] - t0, dist, cost,
                                             memo, done)
                        row = np.sort(dbx[:nb])
                        c_lt, c_eq = count_sorted(sorted_a[xi], na, row, nb)
                        lt += c_lt
                        eq += c_eq
                    store_cell(out, k, nx * na * nb, lt, eq, s, grp.phone[ga], grp.phone[gb], grp.context[ga], sx)
                    k += 1
