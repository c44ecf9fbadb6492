"""The masked margin softmax loss equals the paper's equations, transcribed term by term in float64."""

import math

import numpy as np
import pytest
import torch

from vgprobe.errors import InputError
from vgprobe.fastvgs.loss import LossWeights, fastvgs_loss, margin_softmax_loss, same_image_matrix


def paper_loss(s: np.ndarray, margin: float, ids: list) -> float:
    """L = -1/B Σ_i log softmax over rows + the same over columns, positives minus δ, other captions of
    the same image left out of the denominators. Plain Python loops, float64."""
    b = s.shape[0]

    def one_direction(m):
        total = 0.0
        for i in range(b):
            pos = math.exp(m[i][i] - margin)
            denom = pos
            for j in range(b):
                if j != i and ids[j] != ids[i]:
                    denom += math.exp(m[i][j])
            total += -math.log(pos / denom)
        return total / b

    rows = [[float(v) for v in r] for r in s]
    cols = [list(c) for c in zip(*rows)]
    return one_direction(rows) + one_direction(cols)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_float64_transcription_with_shared_images(seed):
    rng = np.random.default_rng(seed)
    b = 9
    s = rng.normal(scale=3.0, size=(b, b))
    ids = [str(v) for v in rng.integers(0, 4, size=b)]  # several captions per image
    assert len(set(ids)) < b
    got = margin_softmax_loss(torch.from_numpy(s), margin=1.0, image_ids=ids)
    assert got.dtype == torch.float64
    assert got.item() == pytest.approx(paper_loss(s, 1.0, ids), rel=1e-12, abs=1e-12)


def test_float32_matches_float64_transcription():
    rng = np.random.default_rng(5)
    s = rng.normal(size=(16, 16))
    ids = list(rng.integers(0, 6, size=16))
    got = margin_softmax_loss(torch.from_numpy(s).float(), margin=0.5, image_ids=ids)
    assert got.item() == pytest.approx(paper_loss(s, 0.5, ids), rel=1e-5)


def test_masking_changes_the_loss_and_unique_ids_mask_nothing():
    rng = np.random.default_rng(3)
    s = torch.from_numpy(rng.normal(size=(6, 6)))
    ids = ["a", "a", "b", "b", "c", "d"]
    masked = margin_softmax_loss(s, margin=1.0, image_ids=ids)
    unmasked = margin_softmax_loss(s, margin=1.0, image_ids=None)
    distinct = margin_softmax_loss(s, margin=1.0, image_ids=list("uvwxyz"))
    assert masked.item() < unmasked.item()  # fewer negatives in every denominator that had one
    assert distinct.item() == pytest.approx(unmasked.item(), rel=1e-14)
    assert unmasked.item() == pytest.approx(paper_loss(s.numpy(), 1.0, list(range(6))), rel=1e-12)


def test_masked_entries_get_no_gradient():
    s = torch.randn(5, 5, dtype=torch.float64, requires_grad=True)
    ids = [0, 0, 1, 2, 2]
    margin_softmax_loss(s, margin=1.0, image_ids=ids).backward()
    same = same_image_matrix(ids) & ~torch.eye(5, dtype=torch.bool)
    assert torch.all(s.grad[same] == 0)
    assert torch.all(s.grad[~same] != 0)


def test_margin_is_subtracted_from_the_positives_only():
    s = torch.zeros(3, 3, dtype=torch.float64)
    # every row: exp(-δ) / (exp(-δ) + 2)
    expected = -2 * math.log(math.exp(-2.0) / (math.exp(-2.0) + 2))
    assert margin_softmax_loss(s, margin=2.0).item() == pytest.approx(expected, rel=1e-14)


def test_integer_tensor_ids_equal_string_ids():
    s = torch.randn(7, 7, dtype=torch.float64)
    ids = torch.tensor([3, 1, 3, 0, 1, 9, 9])
    a = margin_softmax_loss(s, margin=1.0, image_ids=ids)
    b = margin_softmax_loss(s, margin=1.0, image_ids=[str(int(v)) for v in ids])
    assert a.item() == b.item()


def test_weighted_total_and_skipped_fine_term():
    rng = np.random.default_rng(11)
    c, f = rng.normal(size=(2, 8, 8))
    ids = list(rng.integers(0, 5, size=8))
    w = LossWeights(coarse=0.1, fine=1.0, margin=1.0)
    out = fastvgs_loss(torch.from_numpy(c), torch.from_numpy(f), image_ids=ids, weights=w)
    assert out["coarse"].item() == pytest.approx(paper_loss(c, 1.0, ids), rel=1e-12)
    assert out["fine"].item() == pytest.approx(paper_loss(f, 1.0, ids), rel=1e-12)
    assert out["loss"].item() == pytest.approx(0.1 * paper_loss(c, 1.0, ids) + paper_loss(f, 1.0, ids), rel=1e-12)
    coarse_only = fastvgs_loss(torch.from_numpy(c), None, image_ids=ids, weights=LossWeights(1.0, 0.0, 1.0))
    assert coarse_only["fine"].item() == 0.0
    with pytest.raises(InputError, match="fine scores are needed"):
        fastvgs_loss(torch.from_numpy(c), None, image_ids=ids, weights=w)


@pytest.mark.parametrize("shape", [(3, 4), (0, 0), (2, 2, 2)])
def test_rejects_non_square_or_empty_scores(shape):
    with pytest.raises(InputError):
        margin_softmax_loss(torch.zeros(shape), margin=1.0)


def test_rejects_ids_of_the_wrong_length():
    with pytest.raises(InputError, match="image_ids has 2 entries for a batch of 3"):
        margin_softmax_loss(torch.zeros(3, 3), margin=1.0, image_ids=["a", "b"])
