"""CLS-attention word segmentation equals the authors' ``cls_attn_seg_feats`` on the reference set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from wordseg_reference import C, c_predictions, expected, load_json

from vgprobe.analysis.segmentation import (POOLS, discover_units, kmeans_codebook, nearest_centroid,
                                           pool_segments, seconds_per_frame, segment_cls_attention)
from vgprobe.errors import ConfigError, InputError

META = load_json(C / "meta.json")
Q_VALUES = META["q_values"]
UTTS = list(META["utterances"])


@pytest.fixture(scope="module")
def arrays():
    return np.load(C / "attn.npz"), np.load(C / "frame_feats.npz"), np.load(C / "expected_pooled_feats.npz")


def test_seconds_per_frame_is_duration_over_frame_count_not_20ms():
    for m in META["utterances"].values():
        t = (m["n_samples"] - 400) // 320 + 1
        assert t == m["n_frames"]
        assert seconds_per_frame(m["n_samples"], t, sample_rate=m["sample_rate"]) == m["spf"]
    assert seconds_per_frame(27406, 85) != 0.02


@pytest.mark.parametrize("q", Q_VALUES)
def test_segments_equal_the_reference_exactly(q, arrays):
    attn, _, _ = arrays
    for utt in UTTS:
        want = expected("C")["segmentation"][str(q)][utt]
        seg = segment_cls_attention(attn[utt], q, META["utterances"][utt]["spf"])
        assert seg.frames == want["frames"], utt
        assert seg.seconds == want["seconds"], utt
        assert seg.locations == want["locations"], utt
        assert len(seg.runs_before_drop) == want["n_runs_before_drop"], utt
        # float32 quantiles of torch.quantile, compared as float32 values (bit-equal)
        assert np.array_equal(np.float32(seg.thresholds), np.float32(want["thresholds_per_head"])), utt
        assert seg["frames"] is seg.frames  # readable as a mapping too


def test_special_attention_patterns_segment_as_the_reference():
    cases = load_json(C / "special.json")
    assert len(cases) == 8
    for case in cases:
        for q, want in expected("C")["special"][case["name"]]["by_q"].items():
            seg = segment_cls_attention(np.array(case["attn"], dtype=np.float32), float(q), 0.02)
            assert seg.frames == want["frames"], case["name"]
            assert seg.runs_before_drop == want["runs_before_drop"], case["name"]
            assert seg.thresholds == want["thresholds_per_head"], case["name"]
            assert seg.seconds == want["seconds_at_spf_0.02"], case["name"]


def test_runs_of_one_frame_are_dropped_unless_all_runs_have_one_frame():
    one_peak_and_a_plateau = np.array([[0.9, 0.0, 0.8, 0.8, 0.8, 0.0]], dtype=np.float32)
    assert segment_cls_attention(one_peak_and_a_plateau, 0.5, 0.02).frames == [[2, 5]]
    isolated = np.array([[0.9, 0.0, 0.9, 0.0, 0.9]], dtype=np.float32)
    assert segment_cls_attention(isolated, 0.5, 0.02).frames == [[0, 1], [2, 3], [4, 5]]


def test_a_frame_is_kept_when_any_head_reaches_its_threshold():
    attn = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]], dtype=np.float32)
    seg = segment_cls_attention(attn, 0.8, 0.02)  # each head's threshold is 1: its own two frames
    assert seg.thresholds == [1.0, 1.0]
    assert seg.frames == [[0, 2], [4, 6]]
    assert seg.locations == [0.02, 0.1]


@pytest.mark.parametrize("q", Q_VALUES)
def test_pooled_features_equal_the_reference_bit_for_bit(q, arrays):
    attn, frame_feats, pooled = arrays
    for utt in UTTS:
        seg = segment_cls_attention(attn[utt], q, META["utterances"][utt]["spf"])
        for pool in POOLS:
            got = pool_segments(frame_feats[utt], attn[utt], seg.frames, pool)
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, pooled[f"q{q}/{pool}/{utt}"], err_msg=f"{utt} {pool}")


def test_max_pooling_takes_the_first_frame_of_largest_summed_attention():
    feats = np.arange(12, dtype=np.float32).reshape(4, 3)
    attn = np.array([[0.1, 0.4, 0.4, 0.1], [0.1, 0.1, 0.1, 0.1]], dtype=np.float32)
    np.testing.assert_array_equal(pool_segments(feats, attn, [[0, 4]], "max"), feats[[1]])
    np.testing.assert_array_equal(pool_segments(feats, attn, [[1, 4]], "median"), feats[[2]])


@pytest.mark.parametrize("q", Q_VALUES)
def test_codes_are_the_nearest_centroid_of_max_pooled_features(q, arrays):
    _, _, pooled = arrays
    centroids = np.load(C / "centroids.npy")
    for utt in UTTS:
        assert nearest_centroid(pooled[f"q{q}/max/{utt}"], centroids) == \
            expected("C")["segmentation"][str(q)][utt]["codes"], utt


def test_kmeans_codebook_is_seeded_and_finds_separated_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]], dtype=np.float32)
    x = np.concatenate([c + 0.1 * rng.standard_normal((30, 2)) for c in centres]).astype(np.float32)
    book = kmeans_codebook(x, 3, seed=1)
    assert book.dtype == np.float32 and book.shape == (3, 2)
    np.testing.assert_array_equal(book, kmeans_codebook(x, 3, seed=1))
    codes = nearest_centroid(x, book)
    assert [len(set(codes[i * 30:(i + 1) * 30])) for i in range(3)] == [1, 1, 1]
    assert len(set(codes)) == 3


@pytest.mark.parametrize("attn, q, spf, error", [
    (np.ones((2, 5), np.float32), 1.5, 0.02, ConfigError),
    (np.ones((2, 5), np.float32), 0.5, 0.0, ConfigError),
    (np.ones(5, np.float32), 0.5, 0.02, InputError),
    (np.array([[0.1, np.nan, 0.2]], np.float32), 0.5, 0.02, InputError),
])
def test_bad_segmentation_inputs_are_refused(attn, q, spf, error):
    with pytest.raises(error):
        segment_cls_attention(attn, q, spf)


def test_bad_pooling_inputs_are_refused():
    feats, attn = np.zeros((5, 3), np.float32), np.ones((2, 5), np.float32)
    with pytest.raises(ConfigError, match="pool"):
        pool_segments(feats, attn, [[0, 2]], "sum")
    with pytest.raises(InputError, match="frames"):
        pool_segments(feats, np.ones((2, 4), np.float32), [[0, 2]], "mean")
    with pytest.raises(InputError, match=r"frames\[0\]"):
        pool_segments(feats, attn, [[3, 9]], "mean")
    with pytest.raises(InputError, match="centroids"):
        nearest_centroid(feats, np.zeros((4, 2), np.float32))


def test_segmentation_serialises_to_the_prediction_format(tmp_path, arrays):
    from vgprobe.analysis.wordseg import pred_entry, read_pred, write_pred

    attn, _, _ = arrays
    seg = segment_cls_attention(attn["c000"], 0.7, META["utterances"]["c000"]["spf"])
    path = write_pred(tmp_path / "pred.json", {"c000": pred_entry(seg.seconds, seg.locations, [3] * len(seg.frames),
                                                                  seg.spf, frames=seg.frames)})
    back = read_pred(path)["c000"]
    assert [list(s) for s in back.segments] == seg.seconds and list(back.locations) == seg.locations
    assert json.loads(path.read_text())["c000"]["frames"] == seg.frames


def test_discover_units_codes_a_corpus_with_given_centroids_or_a_seeded_kmeans(arrays):
    attn, frame_feats, _ = arrays
    corpus = {u: (attn[u], frame_feats[u], META["utterances"][u]["spf"]) for u in UTTS}
    preds, feats = discover_units(corpus, q=0.7, pool="max", centroids=np.load(C / "centroids.npy"))
    want_preds, want_feats = c_predictions(0.7)
    assert preds == want_preds
    assert all(np.array_equal(feats[u], want_feats[u]) for u in UTTS)
    km_preds, _ = discover_units(corpus, q=0.7, n_clusters=8, seed=3)
    again, _ = discover_units(corpus, q=0.7, n_clusters=8, seed=3)
    assert km_preds == again
    assert {c for p in km_preds.values() for c in p["codes"]} == set(range(8))
    with pytest.raises(ConfigError, match="either centroids or n_clusters"):
        discover_units(corpus, q=0.7)
