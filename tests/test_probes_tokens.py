"""Token tables (vgprobe.analysis.probes.tokens) from a tiny layer folder written here.

Every feature file has frames ``[t, 10 t, -t]`` (t = frame index), so a token's mean-pooled vector
tells exactly which frames it took: the mean frame index m gives ``[m, 10 m, -m]``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from vgprobe.analysis.probes import phone_tokens, read_word_alignments, semantic_word_tokens, word_tokens
from vgprobe.errors import InputError

HEADER = "#file onset offset #phone prev-phone next-phone speaker"


def ramp(n: int, dim: int = 3) -> np.ndarray:
    t = np.arange(n, dtype=np.float32)[:, None]
    return np.concatenate([t, 10 * t, -t], axis=1)[:, :dim]


def expected(first: int, last: int) -> list[float]:
    """The pooled vector of frames first..last (inclusive)."""
    m = (first + last) / 2
    return [m, 10 * m, -m]


@pytest.fixture
def layer_dir(tmp_path):
    feats = tmp_path / "phonetic" / "dev-clean"
    feats.mkdir(parents=True)
    np.save(feats / "100-1-0000.npy", ramp(50))
    np.save(feats / "100-1-0001.npy", ramp(30))
    np.save(feats / "200-1-0000.npy", ramp(40))
    return feats


def write_items(path, lines):
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def test_phone_tokens_pool_the_frames_abx_uses(layer_dir, tmp_path):
    items = write_items(tmp_path / "dev-clean.phoneme.item", [
        "100-1-0000 0.1000 0.2000 AH SIL T 100",   # librilight: frames 5..8 (centre 0.19 s left out)
        "100-1-0001 0.0000 0.0500 T AH IY 100",    # frames 0..1
        "200-1-0000 0.5000 0.9000 IY T SIL 200",   # frames 25..44 -> clipped to 25..39
    ])
    t = phone_tokens(layer_dir, items, frame_shift=0.02)
    np.testing.assert_allclose(t.features, [expected(5, 8), expected(0, 1), expected(25, 39)])
    assert t.features.dtype == np.float64
    assert t.labels.tolist() == ["AH", "T", "IY"]
    assert t.groups.tolist() == ["100", "100", "200"]
    assert t.files == ("100-1-0000", "100-1-0001", "200-1-0000")
    np.testing.assert_allclose(t.onset, [0.1, 0.0, 0.5])
    assert t.n_dropped == 0 and len(t) == 3


def test_exact_slicing_takes_every_frame_whose_centre_is_inside(layer_dir, tmp_path):
    items = write_items(tmp_path / "x.item", ["100-1-0000 0.1000 0.2000 AH SIL T 100"])
    t = phone_tokens(layer_dir, items, frame_shift=0.02, slicing="exact")
    np.testing.assert_allclose(t.features, [expected(5, 9)])


def test_a_token_without_frames_is_dropped_and_counted(layer_dir, tmp_path):
    items = write_items(tmp_path / "x.item", [
        "100-1-0000 0.3000 0.3100 AH SIL T 100",  # no frame centre inside
        "100-1-0000 0.1000 0.2000 T AH SIL 100",
    ])
    t = phone_tokens(layer_dir, items, frame_shift=0.02)
    assert t.labels.tolist() == ["T"] and t.n_dropped == 1


def test_files_missing_from_the_feature_folder_are_a_clear_error(layer_dir, tmp_path):
    items = write_items(tmp_path / "x.item", [
        "100-1-0000 0.1000 0.2000 AH SIL T 100",
        "300-1-0000 0.1000 0.2000 T AH SIL 300",
    ])
    with pytest.raises(InputError, match=r"no features for 1 of the 2 files .*first: 300-1-0000"):
        phone_tokens(layer_dir, items, frame_shift=0.02)
    with pytest.warns(UserWarning, match="ignoring 1 files"):
        t = phone_tokens(layer_dir, items, frame_shift=0.02, ignore_missing=True)
    assert t.labels.tolist() == ["AH"]


def test_feature_files_of_different_dimensions_are_an_error(layer_dir, tmp_path):
    np.save(layer_dir / "100-1-0001.npy", ramp(30, dim=2))
    items = write_items(tmp_path / "x.item", [
        "100-1-0000 0.1000 0.2000 AH SIL T 100",
        "100-1-0001 0.0000 0.0500 T AH IY 100",
    ])
    with pytest.raises(InputError, match="dimension 2"):
        phone_tokens(layer_dir, items, frame_shift=0.02)


def test_a_bad_frame_shift_or_slicing_is_an_error(layer_dir, tmp_path):
    items = write_items(tmp_path / "x.item", ["100-1-0000 0.1000 0.2000 AH SIL T 100"])
    with pytest.raises(InputError, match="frame shift"):
        phone_tokens(layer_dir, items, frame_shift=0)
    with pytest.raises(InputError, match="slicing"):
        phone_tokens(layer_dir, items, frame_shift=0.02, slicing="nearest")


def test_word_tokens_from_alignments(layer_dir, tmp_path):
    path = tmp_path / "words.json"
    path.write_text(json.dumps({
        "100-1-0000": [[0.1, 0.2, "cat"], [0.2, 0.3, "<UNK>"], [0.3, 0.5, "sat"]],
        "200-1-0000": [[0.0, 0.1, "cat"]],
    }))
    t = word_tokens(layer_dir, path, frame_shift=0.02)
    assert t.labels.tolist() == ["cat", "sat", "cat"]  # <UNK> is a stop word
    assert t.groups.tolist() == ["100", "100", "200"]  # speaker = utterance id before the first '-'
    np.testing.assert_allclose(t.features, [expected(5, 8), expected(15, 23), expected(0, 3)])
    mapped = word_tokens(layer_dir, path, frame_shift=0.02, speakers={"100-1-0000": "ann", "200-1-0000": "bob"})
    assert mapped.groups.tolist() == ["ann", "ann", "bob"]


def test_word_tokens_accept_an_in_memory_mapping(layer_dir):
    t = word_tokens(layer_dir, {"100-1-0001": [(0.0, 0.1, "go")]}, frame_shift=0.02)
    assert t.labels.tolist() == ["go"]


def test_utterances_without_speaker_prefix_need_a_speaker_map(layer_dir, tmp_path):
    np.save(layer_dir / "utt7.npy", ramp(20))
    with pytest.raises(InputError, match="'utt7' has no 'speaker-' prefix"):
        word_tokens(layer_dir, {"utt7": [[0.0, 0.1, "go"]]}, frame_shift=0.02)
    with pytest.raises(InputError, match="no speaker given for utterance 'utt7'"):
        word_tokens(layer_dir, {"utt7": [[0.0, 0.1, "go"]]}, frame_shift=0.02, speakers={})


@pytest.mark.parametrize("content,message", [
    ("[1, 2]", "expected an object"),
    ('{"u-1": [[0.1, 0.2]]}', "'u-1' entry 0: expected \\[onset, offset, word\\]"),
    ('{"u-1": [[0.3, 0.2, "a"]]}', "onset <= offset"),
    ('{"u-1": [["0.1", 0.2, "a"]]}', "must be numbers"),
    ("{not json", "cannot read word alignments"),
])
def test_malformed_alignments_name_the_utterance_and_entry(tmp_path, content, message):
    path = tmp_path / "words.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_word_alignments(path)


def test_semantic_tokens_pool_whole_files(tmp_path):
    root = tmp_path / "semantic" / "dev"
    for type_, names in (("synthetic", ["s1", "s2"]), ("librispeech", ["l1"])):
        (root / type_).mkdir(parents=True)
        for i, name in enumerate(names):
            np.save(root / type_ / f"{name}.npy", ramp(10 + 2 * i))
    gold = tmp_path / "gold.csv"
    gold.write_text("type,filename,word,voice\nsynthetic,s1,cat,v1\nsynthetic,s2,cat,v2\nlibrispeech,l1,dog,\n")
    t = semantic_word_tokens(root, gold)
    assert t.labels.tolist() == ["dog", "cat", "cat"]  # types in sorted order, then gold order
    assert t.groups.tolist() == ["librispeech/l1", "v1", "v2"]  # no voice: the token is its own group
    np.testing.assert_allclose(t.features, [expected(0, 9), expected(0, 9), expected(0, 11)])
    assert np.isnan(t.onset).all()
    only = semantic_word_tokens(root, gold, types=("synthetic",))
    assert only.files == ("s1", "s2")
    (root / "synthetic" / "s2.npy").unlink()
    with pytest.raises(InputError, match="no features for 1 of the 2 files"):
        semantic_word_tokens(root, gold)


def test_min_count_keeps_labels_with_enough_tokens(layer_dir, tmp_path):
    items = write_items(tmp_path / "x.item", [
        "100-1-0000 0.1000 0.2000 AH SIL T 100",
        "100-1-0000 0.3000 0.4000 AH SIL T 100",
        "200-1-0000 0.1000 0.2000 T AH SIL 200",
    ])
    t = phone_tokens(layer_dir, items, frame_shift=0.02).with_min_count(2)
    assert t.labels.tolist() == ["AH", "AH"]
