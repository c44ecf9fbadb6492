"""Retrieval: recall equals a brute-force computation; CTF with K_c ≥ database size equals fine; a target
outside the coarse top K_c is a miss; scores are only ever computed block by block."""

import numpy as np
import pytest
import torch

from vgprobe.errors import ConfigError, InputError
from vgprobe.fastvgs import FaSTVGS, preset
from vgprobe.fastvgs.retrieval import TopLists, recalls, rerank, retrieve, retrieve_scores, streaming_topk


def brute_force(s: np.ndarray, audio_image: np.ndarray, ks, allowed: np.ndarray | None = None) -> dict:
    """Sort every query's full score row; hit at k if a target is among the first k (of the allowed items)."""
    n_a, n_i = s.shape
    allowed = np.ones_like(s, dtype=bool) if allowed is None else allowed
    out = {}
    for k in ks:
        hits = []
        for a in range(n_a):
            order = [j for j in np.argsort(-s[a], kind="stable") if allowed[a, j]]
            hits.append(audio_image[a] in order[:k])
        out[f"speech_to_image.R@{k}"] = float(np.mean(hits))
        hits = []
        for i in range(n_i):
            order = [a for a in np.argsort(-s[:, i], kind="stable") if allowed[a, i]]
            hits.append(any(audio_image[a] == i for a in order[:k]))
        out[f"image_to_speech.R@{k}"] = float(np.mean(hits))
    return out


def scorers(coarse: np.ndarray, fine: np.ndarray, calls: list | None = None):
    c, f = torch.from_numpy(coarse), torch.from_numpy(fine)

    def fine_block(rows):
        if calls is not None:
            calls.append(len(rows))
        return f[rows]

    return dict(coarse_block=lambda rows: c[rows], fine_block=fine_block, pair_scores=lambda a, v: f[a, v])


def one_to_many(rng, n_image: int, per_image: int) -> np.ndarray:
    return rng.permutation(np.repeat(np.arange(n_image), per_image))


def strip(d: dict, prefix: str) -> dict:
    return {k[len(prefix) + 1:]: v for k, v in d.items() if k.startswith(prefix + ".") and "R@" in k}


@pytest.mark.parametrize("rows_per_block", [1, 7, 1000])
def test_streaming_topk_equals_full_sort(rows_per_block):
    rng = np.random.default_rng(0)
    s = torch.from_numpy(rng.normal(size=(53, 17)))
    lists = streaming_topk(lambda r: s[r], n_audio=53, n_image=17, k=5, rows_per_block=rows_per_block)
    assert torch.equal(lists.speech_to_image, s.argsort(dim=1, descending=True)[:, :5])
    assert torch.equal(lists.image_to_speech, s.T.argsort(dim=1, descending=True)[:, :5])


@pytest.mark.parametrize("seed", [0, 1])
def test_recalls_equal_brute_force_for_every_mode(seed):
    rng = np.random.default_rng(seed)
    n_image, per = 30, 3
    ai = one_to_many(rng, n_image, per)
    coarse, fine = rng.normal(size=(2, len(ai), n_image))
    kc = 8
    out = retrieve_scores(**scorers(coarse, fine), audio_image=torch.from_numpy(ai), n_image=n_image,
                          kc=kc, ks=(1, 5, 10), rows_per_block=11, fine_rows_per_block=4)
    assert strip(out, "coarse") == brute_force(coarse, ai, (1, 5, 10, 100))
    assert strip(out, "fine") == brute_force(fine, ai, (1, 5, 10))
    # ctf: the fine ranking restricted to each query's coarse top kc (per direction)
    s2i_allowed = np.zeros_like(coarse, dtype=bool)
    np.put_along_axis(s2i_allowed, np.argsort(-coarse, axis=1)[:, :kc], True, axis=1)
    i2s_allowed = np.zeros_like(coarse, dtype=bool)
    np.put_along_axis(i2s_allowed, np.argsort(-coarse, axis=0)[:kc], True, axis=0)
    expected_s2i = brute_force(fine, ai, (1, 5, 10), s2i_allowed)
    expected_i2s = brute_force(fine, ai, (1, 5, 10), i2s_allowed)
    got = strip(out, "ctf")
    for k in (1, 5, 10):
        assert got[f"speech_to_image.R@{k}"] == expected_s2i[f"speech_to_image.R@{k}"]
        assert got[f"image_to_speech.R@{k}"] == expected_i2s[f"image_to_speech.R@{k}"]
    assert out["kc"] == kc and out["n_audio"] == 90 and out["n_image"] == 30
    assert 0 < out["ctf.coarse_seconds_per_query"] <= out["ctf.seconds_per_query"]


def test_recall_is_not_trivially_one():
    rng = np.random.default_rng(4)
    ai = one_to_many(rng, 40, 2)
    s = rng.normal(size=(80, 40))
    out = retrieve_scores(**scorers(s, s), audio_image=torch.from_numpy(ai), n_image=40, modes=("coarse",))
    assert 0 < out["coarse.speech_to_image.R@1"] < out["coarse.speech_to_image.R@10"] < 1


def test_ctf_with_kc_at_least_the_database_equals_fine_exactly():
    rng = np.random.default_rng(2)
    ai = one_to_many(rng, 12, 4)
    coarse, fine = rng.normal(size=(2, 48, 12))
    for kc in (48, 500):
        out = retrieve_scores(**scorers(coarse, fine), audio_image=torch.from_numpy(ai), n_image=12, kc=kc,
                              modes=("fine", "ctf"))
        assert strip(out, "ctf") == strip(out, "fine")


def test_a_target_outside_the_coarse_top_kc_is_a_miss():
    # caption 0's image (0) has the best fine score but the worst coarse score of its row
    coarse = np.array([[0.0, 2.0, 1.0], [0.0, 3.0, 1.0], [0.0, 1.0, 3.0]])
    fine = np.array([[9.0, 0.0, 1.0], [0.0, 9.0, 1.0], [0.0, 1.0, 9.0]])
    ai = torch.tensor([0, 1, 2])
    out = retrieve_scores(**scorers(coarse, fine), audio_image=ai, n_image=3, kc=2, ks=(1, 2, 3),
                          directions=("speech_to_image",), modes=("fine", "ctf"))
    assert out["fine.speech_to_image.R@3"] == 1.0
    assert out["ctf.speech_to_image.R@1"] == pytest.approx(2 / 3)
    assert out["ctf.speech_to_image.R@3"] == pytest.approx(2 / 3)  # never found, even at k > K_c
    reranked = rerank(TopLists(torch.tensor([[1, 2]]), None), lambda a, v: torch.from_numpy(fine)[a, v], k=10)
    assert reranked.speech_to_image.tolist() == [[2, 1]]
    assert recalls(reranked, ai[:1], ks=(1, 10), prefix="ctf") == {
        "ctf.speech_to_image.R@1": 0.0, "ctf.speech_to_image.R@10": 0.0}


def test_images_without_captions_are_refused():
    s = np.zeros((1, 3))
    with pytest.raises(InputError, match="2 images have no caption"):
        retrieve_scores(**scorers(s, s), audio_image=torch.tensor([0]), n_image=3)


def test_fine_scores_are_requested_in_bounded_blocks():
    rng = np.random.default_rng(3)
    ai = one_to_many(rng, 20, 5)
    calls = []
    s = rng.normal(size=(100, 20))
    retrieve_scores(**scorers(s, s, calls), audio_image=torch.from_numpy(ai), n_image=20, modes=("fine",),
                    fine_rows_per_block=6)
    assert max(calls) == 6 and sum(calls) == 100


def test_one_direction_only():
    rng = np.random.default_rng(6)
    ai = one_to_many(rng, 10, 2)
    s = rng.normal(size=(20, 10))
    out = retrieve_scores(**scorers(s, s), audio_image=torch.from_numpy(ai), n_image=10,
                          directions=("speech_to_image",))
    assert not any("image_to_speech" in k for k in out)
    assert strip(out, "fine") == {k: v for k, v in brute_force(s, ai, (1, 5, 10)).items() if k.startswith("speech")}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(modes=("coarse", "exact")), "unknown retrieval modes"),
        (dict(directions=("sideways",)), "directions must be"),
        (dict(kc=0), "kc must be at least 1"),
    ],
)
def test_bad_settings(kwargs, match):
    s = np.zeros((2, 2))
    with pytest.raises(ConfigError, match=match):
        retrieve_scores(**scorers(s, s), audio_image=torch.tensor([0, 1]), n_image=2, **kwargs)


def test_bad_caption_to_image_map():
    s = np.zeros((2, 2))
    with pytest.raises(InputError, match="outside"):
        retrieve_scores(**scorers(s, s), audio_image=torch.tensor([0, 2]), n_image=2)


@pytest.fixture(scope="module")
def tiny_encodings():
    torch.manual_seed(0)
    model = FaSTVGS(preset("tiny")).eval()
    n_image, per = 6, 2
    with torch.no_grad():
        audio = model.encode_audio(torch.randn(n_image * per, 4000))
        image = model.encode_image(torch.randn(n_image, 36, 2048), torch.rand(n_image, 36, 4))
    ai = torch.arange(n_image).repeat_interleave(per)
    return model, audio, image, ai


def test_model_retrieval_matches_full_score_matrices(tiny_encodings):
    model, audio, image, ai = tiny_encodings
    out = retrieve(model, audio, image, ai, kc=len(audio), pairs_per_chunk=5, rows_per_block=4)
    with torch.no_grad():
        coarse = model.coarse_scores(audio=audio, image=image).numpy()
        fine = model.fine_scores(audio=audio, image=image).numpy()
    assert strip(out, "coarse") == brute_force(coarse, ai.numpy(), (1, 5, 10, 100))
    assert strip(out, "fine") == brute_force(fine, ai.numpy(), (1, 5, 10))
    assert strip(out, "ctf") == strip(out, "fine")
    assert out["fine.seconds_per_query"] > 0
    assert not model.training


def test_model_retrieval_rejects_mismatched_map(tiny_encodings):
    model, audio, image, ai = tiny_encodings
    with pytest.raises(InputError, match="encoded captions"):
        retrieve(model, audio, image, ai[:-1])
