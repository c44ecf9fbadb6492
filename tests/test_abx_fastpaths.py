"""The fast paths of the ABX engine give exactly what the plain loops give."""

from pathlib import Path

import numpy as np
import pytest

from vgprobe.zerospeech.abx.cells import build_layout
from vgprobe.zerospeech.abx.counting import count_one, count_sorted
from vgprobe.zerospeech.abx.dataset import load_tokens
from vgprobe.zerospeech.abx.distances import distance_block, frame_distance, gather_columns
from vgprobe.zerospeech.abx.score import score_cells
from vgprobe.zerospeech.items import read_item_file


def pairwise(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    return int((a[:, None] < b[None, :]).sum()), int((a[:, None] == b[None, :]).sum())


@pytest.mark.parametrize("seed", range(6))
def test_merge_count_equals_all_pairs_with_ties_and_nan(seed):
    rng = np.random.default_rng(seed)
    na, nb = rng.integers(0, 40, size=2)
    # few distinct values: many ties; some NaN, which count as neither
    a = rng.integers(0, 6, na).astype(np.float32)
    b = rng.integers(0, 6, nb).astype(np.float32)
    if seed % 2:
        a[rng.random(na) < 0.2] = np.nan
        b[rng.random(nb) < 0.2] = np.nan
    expected = pairwise(a, b)
    assert count_sorted(np.sort(a), na, np.sort(b), nb) == expected
    for v in (np.float32(2), np.float32(-1), np.float32(9), a[0] if na else np.float32(3)):
        assert count_one(v, np.sort(b), nb) == pairwise(np.array([v]), b)


@pytest.mark.parametrize("kind", [0, 1, 2, 3])
def test_block_distances_have_the_bits_of_single_pairs(kind):
    rng = np.random.default_rng(kind)
    frames = rng.standard_normal((300, 72)).astype(np.float32)
    frames[:, 65:] = 0
    frames /= np.linalg.norm(frames, axis=1, keepdims=True)
    if kind >= 2:
        frames = np.abs(frames)
    frames[7] = frames[3]  # an exact tie and an exact opposite
    frames[11] = frames[3] if kind >= 2 else -frames[3]
    length = np.full(60, 5)
    offset = np.arange(0, 300, 5)
    cols = np.empty((300, 72), np.float32)
    cols_t = np.empty((72, 300), np.float32)
    assert gather_columns(frames, offset, length, 0, 60, cols, cols_t) == 300
    acc = np.empty((8, 128), np.float32)
    out = np.empty((4, 300), np.float32)
    for c0, c1 in ((0, 300), (1, 7), (130, 299)):  # widths beyond, below and across a tile
        distance_block(frames[2:6], cols, cols_t, c0, c1, kind, acc, out)
        single = np.array([[frame_distance(frames[i], frames[j], kind) for j in range(c0, c1)] for i in range(2, 6)])
        assert np.array_equal(out[:, : c1 - c0].view(np.uint32), single.astype(np.float32).view(np.uint32))


DATA = Path(__file__).parent / "data" / "abx"


@pytest.mark.parametrize("name", ["continuous_triphone", "onehot_ties_triphone"])
@pytest.mark.parametrize("context_mode", ["within", "any"])
@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_caps_off_paths_give_the_cells_of_the_memoised_path(name, context_mode, distance):
    # caps of 10**9 never bite but keep the lazy, memoised per-cell path; None takes the up-front
    # block path (within) and the unit-pair path (across): every cell must come out identical
    tokens = load_tokens(DATA / name / "features", read_item_file(DATA / name / f"{name}.item"), frame_shift=0.02)
    layout = build_layout(tokens, context_mode=context_mode)
    for speaker_mode in ("within", "across"):
        fast, slow = (score_cells(tokens, layout, speaker_mode=speaker_mode, distance=distance, max_size_group=cap,
                                  max_x_across=cap, seed=0) for cap in (None, 10**9))
        assert len(fast.error) > 10
        for field in ("error", "n_triplets", "speaker", "phone_a", "phone_b", "context", "x_speaker"):
            assert np.array_equal(getattr(fast, field), getattr(slow, field)), field
