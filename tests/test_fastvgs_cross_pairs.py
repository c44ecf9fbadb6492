"""The pair scorer computes what the authors' tiled cross-encoder pass computes — scores and gradients —
for any number of cross layers, padded captions, any list of pairs and any chunking."""

import dataclasses

import pytest
import torch

from vgprobe.errors import InputError
from vgprobe.fastvgs import FaSTVGS, preset
from vgprobe.fastvgs.cross_pairs import PairScorer
from vgprobe.fastvgs.model import AudioEncoding, ImageEncoding


def encodings(model: FaSTVGS, n_audio: int, n_image: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    d = model.cfg.hidden_size
    seq = torch.randn(n_audio, 9, d, generator=g, requires_grad=True)
    pad = torch.zeros(n_audio, 9, dtype=torch.bool)
    pad[1, 5:] = True
    pad[-1, 3:] = True
    visual = torch.randn(n_image, 1 + model.cfg.num_regions, d, generator=g, requires_grad=True)
    return AudioEncoding(seq, pad, torch.zeros(n_audio, d)), ImageEncoding(visual, torch.zeros(n_image, d))


def tiled(model: FaSTVGS, audio: AudioEncoding, image: ImageEncoding) -> torch.Tensor:
    """The authors' training pass: caption i repeated for every image, the images tiled, one big batch."""
    n, m = len(audio), len(image)
    ai = torch.arange(n).repeat_interleave(m)
    vi = torch.arange(m).repeat(n)
    return model.cross(audio.seq[ai], audio.additive_mask[ai], image.seq[vi]).view(n, m)


@pytest.fixture(params=[1, 2, 3], ids=lambda n: f"{n}-cross-layers")
def model(request) -> FaSTVGS:
    torch.manual_seed(request.param)
    cfg = dataclasses.replace(preset("tiny"), cross_layers=request.param)
    return FaSTVGS(cfg).eval()


def test_all_pairs_equal_the_tiled_pass_in_scores_and_gradients(model):
    audio, image = encodings(model, 4, 5)
    ref = tiled(model, audio, image)
    new = model.fine_scores(audio=audio, image=image, pairs_per_chunk=None)
    assert new.shape == (4, 5)
    torch.testing.assert_close(new, ref, rtol=0, atol=1e-5)
    weights = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    params = [p for p in model.cross.parameters()]
    g_ref = torch.autograd.grad((ref * weights).sum(), [audio.seq, image.seq, *params])
    g_new = torch.autograd.grad((new * weights).sum(), [audio.seq, image.seq, *params])
    for a, b in zip(g_new, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_any_pair_list_and_chunking_give_the_same_scores(model):
    audio, image = encodings(model, 4, 5)
    with torch.no_grad():
        full = tiled(model, audio, image)
        scorer = model.pair_scorer(audio, image)
        ai = torch.tensor([3, 0, 0, 2, 3, 1, 1])
        vi = torch.tensor([4, 0, 4, 2, 0, 1, 1])
        for chunk in (None, 1, 3, 100):
            torch.testing.assert_close(scorer(ai, vi, pairs_per_chunk=chunk), full[ai, vi], rtol=0, atol=1e-5)
        torch.testing.assert_close(model.pair_scores(audio, image, ai, vi, pairs_per_chunk=2), full[ai, vi],
                                   rtol=0, atol=1e-5)
        rows = torch.tensor([2, 0])
        torch.testing.assert_close(scorer.all_pairs(rows, pairs_per_chunk=4), full[rows], rtol=0, atol=1e-5)
        assert scorer(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)).shape == (0,)


def test_padding_frames_do_not_change_a_score():
    torch.manual_seed(0)
    model = FaSTVGS(preset("tiny")).eval()
    audio, image = encodings(model, 3, 2)
    with torch.no_grad():
        before = model.fine_scores(audio=audio, image=image)
        audio.seq[1, 5:] = 1e3  # caption 1 is padded from frame 5 on
        after = model.fine_scores(audio=audio, image=image)
    torch.testing.assert_close(after, before, rtol=0, atol=1e-5)


def test_bad_pair_lists_and_shapes_are_refused():
    torch.manual_seed(0)
    model = FaSTVGS(preset("tiny")).eval()
    audio, image = encodings(model, 2, 2)
    scorer = model.pair_scorer(audio, image)
    with pytest.raises(InputError, match="1-D of one length"):
        scorer(torch.tensor([0, 1]), torch.tensor([0]))
    with pytest.raises(InputError, match=r"audio \(n, Ta, D\)"):
        PairScorer(model.cross, audio.seq[0], None, image.seq)


def test_checkpointed_chunks_give_the_same_scores_and_gradients():
    torch.manual_seed(0)
    model = FaSTVGS(preset("tiny")).train()  # dropout is 0 in the tiny recipe
    audio, image = encodings(model, 4, 3)
    plain = model.fine_scores(audio=audio, image=image, pairs_per_chunk=5)
    saved = model.fine_scores(audio=audio, image=image, pairs_per_chunk=5, checkpoint=True)
    torch.testing.assert_close(saved, plain, rtol=0, atol=0)
    params = [audio.seq, image.seq, *model.cross.parameters()]
    for a, b in zip(torch.autograd.grad(saved.square().sum(), params), torch.autograd.grad(plain.square().sum(), params)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
