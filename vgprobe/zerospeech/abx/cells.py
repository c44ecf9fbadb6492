"""How tokens are grouped into ABX cells.

A *unit* holds the tokens that can be A or B together: one (context, speaker) in
``within`` context mode, one speaker in ``any`` context mode. Inside a unit, tokens are
grouped by phone. Cells:

- within speaker: in a unit with ≥ 2 phones, each phone a with ≥ 2 tokens and each b ≠ a:
  A = X = the a-group, B = the b-group (a token is never its own X).
- across speaker: in a unit with ≥ 2 phones, each phone a, each other speaker s′ having the
  same (context, a) [at most ``max_x_across`` of them, drawn], each b ≠ a:
  A = the a-group, B = the b-group, X = the (context, s′, a) group.

Tokens are laid out unit by unit, phone by phone, then by (file stem, onset, offset, line):
with caps off this is Libri-Light's order when the files are listed in sorted order and each
file's items are in time order (Libri-Light itself follows the directory listing).

Caps (``max_size_group``, ``max_x_across``) draw subsets with a keyed hash of the seed,
the cell (by the *names* of its context, speakers and phones) and each token's identity
(its rank by file, onset, offset): the draw depends on neither the file listing order nor
the feature format nor the item order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vgprobe.zerospeech.abx.dataset import TokenSet

ContextMode = Literal["within", "any"]
SpeakerMode = Literal["within", "across"]


@dataclass(frozen=True)
class Layout:
    """Tokens ordered unit by unit and phone by phone, with the group and unit boundaries.

    ``order[k]`` is the token (index into the TokenSet) at position k. Group g covers
    positions ``[group_start[g], group_end[g])``; unit u covers groups
    ``[unit_group_start[u], unit_group_end[u])``. ``group_context`` is -1 in ``any`` mode.
    ``cp_groups[cp_start[g]:cp_end[g]]`` lists (by speaker code) the groups sharing g's
    context and phone: the candidates X groups of across-speaker cells.
    """

    context_mode: ContextMode
    order: np.ndarray
    token_key: np.ndarray  # (T,) uint64 identity of the token at each position
    group_start: np.ndarray
    group_end: np.ndarray
    group_phone: np.ndarray
    group_speaker: np.ndarray
    group_context: np.ndarray
    unit_group_start: np.ndarray
    unit_group_end: np.ndarray
    cp_groups: np.ndarray
    cp_start: np.ndarray
    cp_end: np.ndarray


def build_layout(tokens: TokenSet, *, context_mode: ContextMode) -> Layout:
    """Order the tokens and find the groups and units for ``context_mode``."""
    if context_mode not in ("within", "any"):
        raise ValueError(f"unknown context mode {context_mode!r}; expected 'within' or 'any'")
    n = len(tokens)
    context = tokens.context.astype(np.int64) if context_mode == "within" else np.full(n, -1, np.int64)
    speaker = tokens.speaker.astype(np.int64)
    phone = tokens.phone.astype(np.int64)
    order = np.lexsort((tokens.identity, phone, speaker, context))
    c, s, p = context[order], speaker[order], phone[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (c[1:] != c[:-1]) | (s[1:] != s[:-1]) | (p[1:] != p[:-1])
    group_start = np.flatnonzero(new_group)
    group_end = np.append(group_start[1:], n)
    gc, gs, gp = c[group_start], s[group_start], p[group_start]
    new_unit = np.ones(len(group_start), dtype=bool)
    new_unit[1:] = (gc[1:] != gc[:-1]) | (gs[1:] != gs[:-1])
    unit_group_start = np.flatnonzero(new_unit)
    unit_group_end = np.append(unit_group_start[1:], len(group_start))
    by_cp = np.lexsort((gs, gp, gc))
    cp_new = np.ones(len(by_cp), dtype=bool)
    cp_new[1:] = (gc[by_cp][1:] != gc[by_cp][:-1]) | (gp[by_cp][1:] != gp[by_cp][:-1])
    run = np.cumsum(cp_new) - 1
    run_start = np.flatnonzero(cp_new)
    run_end = np.append(run_start[1:], len(by_cp))
    cp_start = np.empty(len(by_cp), dtype=np.int64)
    cp_end = np.empty(len(by_cp), dtype=np.int64)
    cp_start[by_cp] = run_start[run]
    cp_end[by_cp] = run_end[run]
    return Layout(
        context_mode=context_mode,
        order=order.astype(np.int64),
        token_key=tokens.identity[order].astype(np.uint64),
        group_start=group_start.astype(np.int64),
        group_end=group_end.astype(np.int64),
        group_phone=gp,
        group_speaker=gs,
        group_context=gc,
        unit_group_start=unit_group_start.astype(np.int64),
        unit_group_end=unit_group_end.astype(np.int64),
        cp_groups=by_cp.astype(np.int64),
        cp_start=cp_start,
        cp_end=cp_end,
    )


def cells_per_unit(layout: Layout, *, speaker_mode: SpeakerMode, max_x_across: int | None) -> np.ndarray:
    """Number of cells each unit yields, (n_units,) int64."""
    sizes = layout.group_end - layout.group_start
    counts = np.zeros(len(layout.unit_group_start), dtype=np.int64)
    for u, (g0, g1) in enumerate(zip(layout.unit_group_start, layout.unit_group_end)):
        ng = g1 - g0
        if ng < 2:
            continue
        if speaker_mode == "within":
            counts[u] = int((sizes[g0:g1] >= 2).sum()) * (ng - 1)
        else:
            others = layout.cp_end[g0:g1] - layout.cp_start[g0:g1] - 1
            if max_x_across is not None:
                others = np.minimum(others, max_x_across)
            counts[u] = int(others.sum()) * (ng - 1)
    return counts
