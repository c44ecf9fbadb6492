"""Across-speaker cells with caps off, one pair of units at a time (DESIGN.md §6.3, §6.5–6.6).

An across-speaker cell of unit U with X-group from unit V (same context, other speaker)
only reads DTWs between X tokens of V and tokens of U. With caps off every such pair is
used, and the cells of V with X from U use the same token pairs the other way round: for a
symmetric frame distance (angular, euclidean) the cost matrix of (j, i) is the transpose
of that of (i, j), so one cost matrix per token pair gives both orientations
(:func:`.dtw.dtw_both`). Units are paired once, the pairs run in parallel, and each pair
writes the errors of its cells at their places in the usual cell order.
"""

from __future__ import annotations

import numba
import numpy as np

from vgprobe.zerospeech.abx.cells import Layout
from vgprobe.zerospeech.abx.counting import count_sorted
from vgprobe.zerospeech.abx.distances import distance_block
from vgprobe.zerospeech.abx.dtw import dtw_both
from vgprobe.zerospeech.abx.engine import _unit_columns


def plan_pairs(layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unit_of_group, position of each group in its (context, phone) run, first cell of each
    a-group, unordered unit pairs (P, 2) that share an across-speaker cell)."""
    n_groups = len(layout.group_start)
    ng = layout.unit_group_end - layout.unit_group_start
    unit_of_group = np.repeat(np.arange(len(ng)), ng)
    run_pos = np.empty(n_groups, dtype=np.int64)
    run_pos[layout.cp_groups] = np.arange(n_groups) - layout.cp_start[layout.cp_groups]
    run_len = layout.cp_end - layout.cp_start
    per_group = np.where(ng[unit_of_group] >= 2, (run_len - 1) * (ng[unit_of_group] - 1), 0)
    ga_base = np.concatenate([[0], np.cumsum(per_group)[:-1]]).astype(np.int64)
    pairs = _unit_pairs(layout.cp_groups, layout.cp_start, layout.cp_end, unit_of_group, ng)
    return unit_of_group, run_pos, ga_base, pairs


@numba.njit(cache=True)
def _unit_pairs(cp_groups, cp_start, cp_end, unit_of_group, ng):  # noqa: ANN001, ANN202
    seen = set()
    for i in range(cp_groups.shape[0]):
        g = cp_groups[i]
        if ng[unit_of_group[g]] < 2:
            continue
        for k in range(cp_start[g], cp_end[g]):
            h = cp_groups[k]
            if h == g:
                continue
            u = unit_of_group[g]
            v = unit_of_group[h]
            lo = min(u, v)
            hi = max(u, v)
            seen.add(lo * ng.shape[0] + hi)
    keys = np.sort(np.array(list(seen), dtype=np.int64)) if len(seen) else np.empty(0, dtype=np.int64)
    out = np.empty((keys.shape[0], 2), dtype=np.int64)
    for p in range(keys.shape[0]):
        out[p, 0] = keys[p] // ng.shape[0]
        out[p, 1] = keys[p] % ng.shape[0]
    return out


@numba.njit(cache=True)
def _x_partner(g, v, cp_groups, cp_start, cp_end, unit_of_group):  # noqa: ANN001, ANN202
    """The group of unit v in g's (context, phone) run, or -1."""
    for k in range(cp_start[g], cp_end[g]):
        if unit_of_group[cp_groups[k]] == v:
            return cp_groups[k]
    return -1


@numba.njit(cache=True)
def _cells_of_direction(u, v, rows_v, tu0, tv0, group_start, group_end,  # noqa: ANN001, ANN202, PLR0913
                        group_phone, group_speaker,
                        group_context, unit_gs, unit_ge, cp_groups, cp_start, cp_end, unit_of_group, run_pos,
                        ga_base, err, n_triplets, cs, ca, cb, cc, cx):
    """Cells of unit u whose X-group is in unit v; rows_v[j, i] = DTW(v's token j as rows, u's token i)."""
    g0 = unit_gs[u]
    g1 = unit_ge[u]
    ng = g1 - g0
    if ng < 2:
        return
    for ga in range(g0, g1):
        xg = _x_partner(ga, v, cp_groups, cp_start, cp_end, unit_of_group)
        if xg < 0:
            continue
        a0 = group_start[ga] - tu0
        na = group_end[ga] - group_start[ga]
        x0 = group_start[xg] - tv0
        nx = group_end[xg] - group_start[xg]
        sorted_a = np.empty((nx, na), dtype=np.float32)
        for xi in range(nx):
            sorted_a[xi] = np.sort(rows_v[x0 + xi, a0 : a0 + na])
        m = run_pos[xg] - (1 if run_pos[ga] < run_pos[xg] else 0)
        k = ga_base[ga] + m * (ng - 1)
        for gb in range(g0, g1):
            if gb == ga:
                continue
            b0 = group_start[gb] - tu0
            nb = group_end[gb] - group_start[gb]
            lt = 0
            eq = 0
            for xi in range(nx):
                row = np.sort(rows_v[x0 + xi, b0 : b0 + nb])
                c_lt, c_eq = count_sorted(sorted_a[xi], na, row, nb)
                lt += c_lt
                eq += c_eq
            n = nx * na * nb
            err[k] = 1.0 - (lt + 0.5 * eq) / n
            n_triplets[k] = n
            cs[k] = group_speaker[ga]
            ca[k] = group_phone[ga]
            cb[k] = group_phone[gb]
            cc[k] = group_context[ga]
            cx[k] = group_speaker[xg]
            k += 1


@numba.njit(cache=True, parallel=True)
def across_by_unit_pairs(frames, off, ln, group_start, group_end,  # noqa: ANN001, ANN201, PLR0913
                         group_phone, group_speaker, group_context,
                         unit_gs, unit_ge, cp_groups, cp_start, cp_end, unit_of_group, run_pos, ga_base, pairs,
                         kind, max_len, err, n_triplets, cs, ca, cb, cc, cx):
    for p in numba.prange(pairs.shape[0]):
        u = pairs[p, 0]
        v = pairs[p, 1]
        tu0 = group_start[unit_gs[u]]
        nu = group_end[unit_ge[u] - 1] - tu0
        tv0 = group_start[unit_gs[v]]
        nv = group_end[unit_ge[v] - 1] - tv0
        need_u = np.zeros(nu, dtype=np.bool_)  # token of u is an X of a cell of v
        need_v = np.zeros(nv, dtype=np.bool_)
        for g in range(unit_gs[u], unit_ge[u]):
            if unit_ge[v] - unit_gs[v] >= 2 and _x_partner(g, v, cp_groups, cp_start, cp_end, unit_of_group) >= 0:
                need_u[group_start[g] - tu0 : group_end[g] - tu0] = True
        any_v = False
        for g in range(unit_gs[v], unit_ge[v]):
            if unit_ge[u] - unit_gs[u] >= 2 and _x_partner(g, u, cp_groups, cp_start, cp_end, unit_of_group) >= 0:
                need_v[group_start[g] - tv0 : group_end[g] - tv0] = True
                any_v = True
        rows_u = np.empty((nu, nv), dtype=np.float32)  # DTW with u's token as rows
        rows_v = np.empty((nv, nu), dtype=np.float32)
        cols, cols_t, col_start = _unit_columns(frames, off, ln, tv0, nv)
        acc = np.empty((8, 128), dtype=np.float32)
        out = np.empty((max_len, col_start[nv]), dtype=np.float32)
        cost = np.empty((max_len, max_len), dtype=np.float32)
        for i in range(nu):
            if not (need_u[i] or any_v):
                continue
            t = tu0 + i
            li = ln[t]
            distance_block(frames[off[t] : off[t] + li], cols, cols_t, 0, col_start[nv], kind, acc, out)
            for j in range(nv):
                if need_u[i] or need_v[j]:
                    ij, ji = dtw_both(out[:li, col_start[j] : col_start[j + 1]], li, ln[tv0 + j], cost)
                    rows_u[i, j] = ij
                    rows_v[j, i] = ji
        _cells_of_direction(u, v, rows_v, tu0, tv0, group_start, group_end, group_phone, group_speaker,
                            group_context, unit_gs, unit_ge, cp_groups, cp_start, cp_end, unit_of_group, run_pos,
                            ga_base, err, n_triplets, cs, ca, cb, cc, cx)
        _cells_of_direction(v, u, rows_u, tv0, tu0, group_start, group_end, group_phone, group_speaker,
                            group_context, unit_gs, unit_ge, cp_groups, cp_start, cp_end, unit_of_group, run_pos,
                            ga_base, err, n_triplets, cs, ca, cb, cc, cx)
