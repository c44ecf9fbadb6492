"""Word-discovery metrics equal jasonppy/word-discovery's on the reference set (1e-12, counts exact)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from wordseg_reference import A, a_inputs, assert_block_equal, c_predictions, expected, expected_word_block, load_json

from vgprobe.analysis.wordseg import score_word_discovery
from vgprobe.analysis.wordseg.kamper import frame_intervals, kamper_scores


@pytest.fixture(scope="module")
def a_report():
    gold, pred, feats = a_inputs()
    return score_word_discovery(gold, pred, features=feats, details=True)


def test_a_codes_are_the_nearest_centroid_of_the_segment_features():
    from vgprobe.analysis.segmentation import nearest_centroid

    _, pred, feats = a_inputs()
    centroids = np.load(A / "centroids.npy")
    for utt, p in pred.items():
        assert nearest_centroid(feats[utt], centroids) == list(p.codes), utt


def test_a_boundary_area_and_word_blocks_equal_the_reference(a_report):
    want = expected("A")
    assert want["errors"] == {} and a_report["warnings"] == []
    assert_block_equal(a_report["boundary"], want["boundary"], where="boundary.")
    assert_block_equal(a_report["area"], want["area"], where="area.")
    assert_block_equal(a_report["word"], expected_word_block(want["word"]), where="word.")


def test_a_boundary_scores_at_30ms_tolerance():
    gold, pred, feats = a_inputs()
    report = score_word_discovery(gold, pred, features=feats, tolerance=0.03)
    assert_block_equal(report["boundary"], expected("A")["boundary_tol_0.03"])


def test_a_per_utterance_boundaries_and_matches(a_report):
    for utt, want in expected("A")["per_utterance"].items():
        want = {k: v for k, v in want.items() if k != "near_tolerance_pairs"}
        assert_block_equal(a_report["per_utterance"][utt], want, where=f"{utt}.")


def test_a_area_of_each_utterance_scored_alone():
    gold, pred, feats = a_inputs()
    crashed = []
    for utt, want in expected("A")["per_utterance_area"].items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = score_word_discovery({utt: gold.words[utt]}, {utt: pred[utt]}, features={utt: feats[utt]})
        assert_block_equal(report["area"], want["area"], where=f"{utt}.")
        if want["errors"]:  # the reference divided by zero in the boundary scores (no match: P = 0)
            crashed.append(utt)
            assert report["boundary"]["precision"] == 0 and "os" in report["boundary"]["undefined"]
    assert len(crashed) == 20


def test_a_true_nmi_and_entropies_equal_the_restatement(a_report):
    word = expected("A")["word"]
    for sel in ("var_le_1", "all_codes", "var_le_1_plain_variance"):
        restated = word[f"restated_{sel}"]
        got = a_report["word"]
        assert got[f"nmi_{sel}"] == pytest.approx(restated["nmi_true_arithmetic"], abs=1e-12)
        assert got[f"h_codes_{sel}"] == pytest.approx(restated["H_codes"], abs=1e-12)
        assert got[f"h_words_{sel}"] == pytest.approx(restated["H_words"], abs=1e-12)
        assert got[f"h_words_given_codes_{sel}"] == pytest.approx(restated["H_words_given_codes"], abs=1e-12)
        assert got[f"n_cooccurrences_{sel}"] == restated["total_cooccurrences"]
        assert got[f"n_codes_with_f1_tie_changing_purity_f1_{sel}"] == \
            word[f"codes_with_f1_tie_changing_purity_f1_{sel}"]


def test_true_nmi_is_sklearns_arithmetic_nmi_of_the_code_word_pairs():
    from sklearn.metrics import normalized_mutual_info_score

    from vgprobe.analysis.wordseg.word_groups import CodeWordTable, cluster_scores

    tokens = [("ba", [1, 1, 2]), ("ba", [1]), ("cu", [2]), ("cu", [3, 2]), ("di", [3]), ("di", [])]
    table = CodeWordTable(tokens)
    cands = table.code_candidates()
    pairs = [(c.code, c.word) for code in cands for c in cands[code] for _ in range(c.occ)]
    codes, words = zip(*pairs)
    got = cluster_scores(cands, sorted(cands))
    assert got["nmi"] == pytest.approx(normalized_mutual_info_score(words, codes, average_method="arithmetic"))
    # the reference's "nmi" is 2 H(W|C) / (H(C) + H(W)): it and the true NMI add up to 2 H(W) / (H(C) + H(W))
    assert got["norm_cond_entropy_as_in_reference"] + got["nmi"] == pytest.approx(
        2 * got["h_words"] / (got["h_codes"] + got["h_words"]), abs=1e-12)
    assert got["norm_cond_entropy_as_in_reference"] != pytest.approx(got["nmi"])


def test_a_variance_filter_selects_the_reference_codes(a_report):
    want = expected("A")
    details = a_report["details"]
    assert details["codes_kept"] == want["details"]["codes_kept_var_le_1"]
    assert details["codes_kept_plain_variance"] == want["plain_variance_check"]["codes_kept_plain_variance"]
    ref = {int(k): v for k, v in want["details"]["code_variance_as_in_code"].items()}
    assert sorted(details["code_variance_as_in_reference"]) == sorted(ref)
    for code, v in ref.items():  # the reference's float32 torch variance vs float64 here
        assert details["code_variance_as_in_reference"][code] == pytest.approx(v, rel=1e-6, abs=1e-9)


def test_a_best_code_of_every_word_including_the_tie_order(a_report):
    want = expected("A")["details"]["word_best_code"]
    got = a_report["details"]["word_best_code"]
    assert sorted(got) == sorted(want)
    for word, w in want.items():
        if w is None:
            assert got[word] is None, word
            continue
        assert got[word][0] == w[0], word
        assert got[word][4] == w[4], word
        np.testing.assert_allclose(got[word][1:4], w[1:4], rtol=0, atol=1e-12, err_msg=word)


def test_a_kamper_frame_scores_equal_buckeye_eval(a_report):
    frames = load_json(A / "buckeye_frames.json")
    want = expected("A")["buckeye_eval"]
    got = kamper_scores({u: [tuple(i) for i in v["ref"]] for u, v in frames.items()},
                        {u: [tuple(i) for i in v["seg"]] for u, v in frames.items()}, tolerance=2)
    assert_block_equal(got, want)
    assert_block_equal(a_report["buckeye_eval"], want)


def test_frame_intervals_are_made_from_seconds_as_in_the_reference():
    gold, pred, _ = a_inputs()
    for utt, want in load_json(A / "buckeye_frames.json").items():
        ref, seg = frame_intervals(gold.words[utt], pred[utt])
        assert [list(i) for i in ref] == want["ref"], utt
        assert [list(i) for i in seg] == want["seg"], utt


@pytest.mark.parametrize("q", [0.5, 0.7, 0.8, 0.9])
def test_c_attention_segmentation_metrics_equal_the_reference(q):
    preds, feats = c_predictions(q)
    want = expected("C")["metrics"][str(q)]
    gold = load_json(A.parent / "C_attention" / "gold.json")
    report = score_word_discovery(gold, preds, features=feats, details=True)
    assert want["errors"] == {} and report["warnings"] == []
    assert_block_equal(report["boundary"], want["boundary"], where="boundary.")
    assert_block_equal(report["area"], want["area"], where="area.")
    assert_block_equal(report["word"], expected_word_block(want["word"]), where="word.")
    assert report["details"]["codes_kept"] == want["details"]["codes_kept_var_le_1"]
    for utt, w in want["per_utterance"].items():
        w = {k: v for k, v in w.items() if k != "near_tolerance_pairs"}
        assert_block_equal(report["per_utterance"][utt], w, where=f"{utt}.")
    best = want["details"]["word_best_code"]
    assert {w: v[0] for w, v in best.items() if v} == \
        {w: v[0] for w, v in report["details"]["word_best_code"].items() if v}
