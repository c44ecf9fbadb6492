"""The few typed bundles the compiled ABX loops take instead of twenty-odd loose arrays.

They are ``typing.NamedTuple`` classes: numba passes a named tuple of arrays into a compiled
function as one struct, so ``tok.frames`` costs what a separate argument costs. A bundle of
arrays of one dtype and rank (:class:`Groups`, :class:`Settings`) is a homogeneous tuple
for numba, the others heterogeneous; both compile and cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vgprobe.zerospeech.abx.cells import Layout


class Tokens(NamedTuple):
    """The tokens in layout order: token k is ``frames[off[k] : off[k] + ln[k]]``.

    frames (F, Dp) float32; off, ln (T,) int64; key (T,) uint64, the token's identity, which
    keys the seeded draws.
    """

    frames: np.ndarray
    off: np.ndarray
    ln: np.ndarray
    key: np.ndarray


class Groups(NamedTuple):
    """The layout's groups and units, all int64 (see :class:`.cells.Layout`).

    Group g covers token positions ``[start[g], end[g])``; unit u covers groups
    ``[unit_start[u], unit_end[u])``; ``cp_groups[cp_start[g] : cp_end[g]]`` are the groups
    with g's context and phone (g's own included), ordered by speaker.
    """

    start: np.ndarray
    end: np.ndarray
    phone: np.ndarray
    speaker: np.ndarray
    context: np.ndarray
    unit_start: np.ndarray
    unit_end: np.ndarray
    cp_groups: np.ndarray
    cp_start: np.ndarray
    cp_end: np.ndarray


class Settings(NamedTuple):
    """Scalars of a run: distance code, longest token (frames), caps (-1: off) and seed."""

    kind: int
    max_len: int
    cap: int
    max_x: int
    seed: int


class CellOut(NamedTuple):
    """Per-cell outputs, all (n_cells,), filled by the loops: error float64, the rest int64
    (codes into the TokenSet's names; ``context`` is -1 in ``any`` mode, ``x_speaker`` -1 within speaker)."""

    error: np.ndarray
    n_triplets: np.ndarray
    speaker: np.ndarray
    phone_a: np.ndarray
    phone_b: np.ndarray
    context: np.ndarray
    x_speaker: np.ndarray


class PairPlan(NamedTuple):
    """For the across-speaker unit-pair path (:mod:`.pairs`): each group's unit, its position
    in its (context, phone) run, the first cell of each a-group, and the unit pairs (P, 2)."""

    unit_of_group: np.ndarray
    run_pos: np.ndarray
    ga_base: np.ndarray
    pairs: np.ndarray


def groups_of(layout: Layout) -> Groups:
    """The layout's group arrays as one bundle."""
    return Groups(start=layout.group_start, end=layout.group_end, phone=layout.group_phone,
                  speaker=layout.group_speaker, context=layout.group_context, unit_start=layout.unit_group_start,
                  unit_end=layout.unit_group_end, cp_groups=layout.cp_groups, cp_start=layout.cp_start,
                  cp_end=layout.cp_end)


def empty_cells(n: int) -> CellOut:
    """Outputs for ``n`` cells: error NaN, counts 0, coordinates -1 until the loops fill them."""
    return CellOut(np.full(n, np.nan), np.zeros(n, dtype=np.int64), *(np.full(n, -1, dtype=np.int64) for _ in range(5)))
