"""Across-speaker cells with caps off, one pair of units at a time.

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
from vgprobe.zerospeech.abx.engine import store_cell, unit_columns
from vgprobe.zerospeech.abx.kernel_args import PairPlan


def plan_pairs(layout: Layout) -> PairPlan:
    """Each group's unit, its position in its (context, phone) run, the first cell of each
    a-group, and the unordered unit pairs (P, 2) that share an across-speaker cell."""
    n_groups = len(layout.group_start)
    ng = layout.unit_group_end - layout.unit_group_start
    unit_of_group = np.repeat(np.arange(len(ng)), ng)
    run_pos = np.empty(n_groups, dtype=np.int64)
    run_pos[layout.cp_groups] = np.arange(n_groups) - layout.cp_start[layout.cp_groups]
    run_len = layout.cp_end - layout.cp_start
    per_group = np.where(ng[unit_of_group] >= 2, (run_len - 1) * (ng[unit_of_group] - 1), 0)
    ga_base = np.concatenate([[0], np.cumsum(per_group)[:-1]]).astype(np.int64)
    pairs = _unit_pairs(layout.cp_groups, layout.cp_start, layout.cp_end, unit_of_group, ng)
    return PairPlan(unit_of_group=unit_of_group.astype(np.int64), run_pos=run_pos, ga_base=ga_base, pairs=pairs)


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
def _cells_of_direction(u, v, rows_v, tu0, tv0, grp, plan, out):  # noqa: ANN001, ANN202
    """Cells of unit u whose X-group is in unit v; rows_v[j, i] = DTW(v's token j as rows, u's token i)."""
    g0 = grp.unit_start[u]
    g1 = grp.unit_end[u]
    ng = g1 - g0
    if ng < 2:
        return
    for ga in range(g0, g1):
        xg = _x_partner(ga, v, grp.cp_groups, grp.cp_start, grp.cp_end, plan.unit_of_group)
        if xg < 0:
            continue
        a0 = grp.start[ga] - tu0
        na = grp.end[ga] - grp.start[ga]
        x0 = grp.start[xg] - tv0
        nx = grp.end[xg] - grp.start[xg]
        sorted_a = np.empty((nx, na), dtype=np.float32)
        for xi in range(nx):
            sorted_a[xi] = np.sort(rows_v[x0 + xi, a0 : a0 + na])
        m = plan.run_pos[xg] - (1 if plan.run_pos[ga] < plan.run_pos[xg] else 0)
        k = plan.ga_base[ga] + m * (ng - 1)
        for gb in range(g0, g1):
            if gb == ga:
                continue
            b0 = grp.start[gb] - tu0
            nb = grp.end[gb] - grp.start[gb]
            lt = 0
            eq = 0
            for xi in range(nx):
                row = np.sort(rows_v[x0 + xi, b0 : b0 + nb])
                c_lt, c_eq = count_sorted(sorted_a[xi], na, row, nb)
                lt += c_lt
                eq += c_eq
            store_cell(out, k, nx * na * nb, lt, eq, grp.speaker[ga], grp.phone[ga], grp.phone[gb], grp.context[ga],
                       grp.speaker[xg])
            k += 1


@numba.njit(cache=True, parallel=True)
def across_by_unit_pairs(tok, grp, plan, cfg, out):  # noqa: ANN001, ANN201
    """Fill ``out`` (a CellOut) with every across-speaker cell, caps off, symmetric distance (cfg.kind 0 or 1)."""
    for p in numba.prange(plan.pairs.shape[0]):
        u = plan.pairs[p, 0]
        v = plan.pairs[p, 1]
        tu0 = grp.start[grp.unit_start[u]]
        nu = grp.end[grp.unit_end[u] - 1] - tu0
        tv0 = grp.start[grp.unit_start[v]]
        nv = grp.end[grp.unit_end[v] - 1] - tv0
        need_u = np.zeros(nu, dtype=np.bool_)  # token of u is an X of a cell of v
        need_v = np.zeros(nv, dtype=np.bool_)
        for g in range(grp.unit_start[u], grp.unit_end[u]):
            if grp.unit_end[v] - grp.unit_start[v] >= 2 and _x_partner(
                    g, v, grp.cp_groups, grp.cp_start, grp.cp_end, plan.unit_of_group) >= 0:
                need_u[grp.start[g] - tu0 : grp.end[g] - tu0] = True
        any_v = False
        for g in range(grp.unit_start[v], grp.unit_end[v]):
            if grp.unit_end[u] - grp.unit_start[u] >= 2 and _x_partner(
                    g, u, grp.cp_groups, grp.cp_start, grp.cp_end, plan.unit_of_group) >= 0:
                need_v[grp.start[g] - tv0 : grp.end[g] - tv0] = True
                any_v = True
        rows_u = np.empty((nu, nv), dtype=np.float32)  # DTW with u's token as rows
        rows_v = np.empty((nv, nu), dtype=np.float32)
        cols, cols_t, col_start = unit_columns(tok, tv0, nv)
        acc = np.empty((8, 128), dtype=np.float32)
        block = np.empty((cfg.max_len, col_start[nv]), dtype=np.float32)
        cost = np.empty((cfg.max_len, cfg.max_len), dtype=np.float32)
        for i in range(nu):
            if not (need_u[i] or any_v):
                continue
            t = tu0 + i
            li = tok.ln[t]
            distance_block(tok.frames[tok.off[t] : tok.off[t] + li], cols, cols_t, 0, col_start[nv], cfg.kind, acc,
                           block)
            for j in range(nv):
                if need_u[i] or need_v[j]:
                    ij, ji = dtw_both(block[:li, col_start[j] : col_start[j + 1]], li, tok.ln[tv0 + j], cost)
                    rows_u[i, j] = ij
                    rows_v[j, i] = ji
        _cells_of_direction(u, v, rows_v, tu0, tv0, grp, plan, out)
        _cells_of_direction(v, u, rows_u, tv0, tu0, grp, plan, out)
