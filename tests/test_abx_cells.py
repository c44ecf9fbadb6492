"""Units, groups and cell counts."""

import numpy as np

from vgprobe.zerospeech.abx.cells import build_layout, cells_per_unit
from vgprobe.zerospeech.abx.dataset import TokenSet


def token_set(rows):
    """rows: (context, speaker, phone) codes, one token of one frame each."""
    c, s, p = (np.asarray(col, dtype=np.int32) for col in zip(*rows))
    n = len(rows)
    return TokenSet(frames=np.zeros((n, 8), np.float32), offset=np.arange(n), length=np.ones(n, np.int64),
                    phone=p, context=c, speaker=s, line=np.arange(2, n + 2), identity=np.arange(n)[::-1].copy(),
                    phone_names=tuple("abc"), context_names=("x+y", "y+z"), speaker_names=("s0", "s1", "s2"),
                    dim=2, n_dropped=0)


# context 0: speaker 0 has phones a (2 tokens) and b (1); speaker 1 has a (1) and b (2); speaker 2 has a (1)
# context 1: speaker 0 has only phone c
ROWS = [(0, 0, 0), (0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1), (0, 1, 1), (0, 2, 0), (1, 0, 2)]


def test_groups_are_runs_of_context_speaker_phone_ordered_by_identity():
    layout = build_layout(token_set(ROWS), context_mode="within")
    assert (layout.group_end - layout.group_start).tolist() == [2, 1, 1, 2, 1, 1]
    assert layout.order[:2].tolist() == [1, 0]  # identity (file, onset, offset) order, not item order
    assert (layout.unit_group_end - layout.unit_group_start).tolist() == [2, 2, 1, 1]


def test_within_speaker_cells_need_two_phones_and_two_tokens_of_a():
    layout = build_layout(token_set(ROWS), context_mode="within")
    # (c0,s0): a has 2 tokens -> (a,b); (c0,s1): b has 2 -> (b,a); (c0,s2) and (c1,s0) have one phone
    assert cells_per_unit(layout, speaker_mode="within", max_x_across=None).tolist() == [1, 1, 0, 0]


def test_across_speaker_cells_count_the_other_speakers_of_the_same_context_and_phone():
    layout = build_layout(token_set(ROWS), context_mode="within")
    # (c0,s0): a is also said by s1, s2 -> 2 cells; b by s1 -> 1 cell; (c0,s1): a by s0, s2 -> 2; b by s0 -> 1
    assert cells_per_unit(layout, speaker_mode="across", max_x_across=None).tolist() == [3, 3, 0, 0]
    assert cells_per_unit(layout, speaker_mode="across", max_x_across=1).tolist() == [2, 2, 0, 0]


def test_any_context_merges_contexts_into_one_unit_per_speaker():
    layout = build_layout(token_set(ROWS), context_mode="any")
    assert (layout.unit_group_end - layout.unit_group_start).tolist() == [3, 2, 1]
    assert (layout.group_context == -1).all()
    # speaker 0: phones a(2), b(1), c(1): a with 2 tokens against b and c
    assert cells_per_unit(layout, speaker_mode="within", max_x_across=None).tolist() == [2, 1, 0]
