"""Feature normalisation and token slicing into a TokenSet; what slicing reports."""

import math

import numpy as np
import pytest

from vgprobe.errors import InputError
from vgprobe.zerospeech.abx.dataset import NotScorableError, load_tokens, normalize_with_singularity
from vgprobe.zerospeech.items import ItemWarning, read_item_file


def test_frames_are_unit_vectors_with_a_singularity_column():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float64)
    out = normalize_with_singularity(x)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_allclose(out[0], [0.6, 0.8, 1e-12], rtol=1e-6)
    # a zero frame: 1/sqrt(D) per dim and -2e12: at angular distance 1 from every other frame
    np.testing.assert_allclose(out[1], [1 / math.sqrt(2), 1 / math.sqrt(2), -2e12], rtol=1e-6)


def test_tokens_are_sliced_codes_sorted_and_empty_tokens_dropped(tmp_path):
    feats = tmp_path / "f"
    feats.mkdir()
    np.save(feats / "u1.npy", np.arange(1, 41, dtype=np.float32).reshape(10, 4))
    item = tmp_path / "x.item"
    item.write_text("#file onset offset #phone prev-phone next-phone speaker\n"
                    "u1 0.00 0.10 b x y s2\n"  # frames [0, 4)
                    "u1 0.05 0.056 a x y s1\n"  # shorter than a frame: dropped
                    "u1 0.10 0.30 a y x s1\n")  # frames [5, 10) clipped to the file
    with pytest.warns(ItemWarning, match="x.item:4"):
        tokens = load_tokens(feats, read_item_file(item), frame_shift=0.02)
    assert tokens.n_dropped == 1
    assert tokens.length.tolist() == [4, 5]
    assert tokens.phone_names == ("a", "b") and tokens.phone.tolist() == [1, 0]
    assert tokens.context_names == ("x+y", "y+x") and tokens.speaker.tolist() == [1, 0]
    assert tokens.frames.shape == (9, 8) and tokens.dim == 5
    assert not tokens.frames[:, 5:].any()  # zero padding


def test_tokens_ending_after_the_last_frame_are_clipped_and_reported(tmp_path):
    feats = tmp_path / "f"
    feats.mkdir()
    np.save(feats / "u1.npy", np.ones((10, 4), dtype=np.float32))  # 10 frames: 0.2 s
    item = tmp_path / "x.item"
    item.write_text("#file onset offset #phone prev-phone next-phone speaker\n"
                    "u1 0.00 0.21 b x y s2\n"  # ends in the last frame's right half: frames [0, 10), no clipping
                    "u1 0.10 0.50 a y x s1\n")  # 0.3 s past the end: frames [5, 24) clipped to [5, 10)
    with pytest.warns(ItemWarning, match=r"^1 item line\(s\) end after the last feature frame .*x.item:3 "
                      r"\(u1.npy has 10 frames\)$"):
        tokens = load_tokens(feats, read_item_file(item), frame_shift=0.02)
    assert tokens.length.tolist() == [10, 5]


def test_tokens_all_shorter_than_a_frame_make_a_not_scorable_error(tmp_path):
    feats = tmp_path / "f"
    feats.mkdir()
    np.save(feats / "u1.npy", np.ones((4, 4), dtype=np.float32))  # 320 ms frames
    item = tmp_path / "x.item"
    item.write_text("#file onset offset #phone prev-phone next-phone speaker\n"
                    "u1 0.00 0.21 b x y s2\nu1 0.21 0.40 a x y s2\n")
    with pytest.raises(NotScorableError, match=r"f: not scorable by ABX with frames 320 ms apart: 2 of 2 tokens "
                       r"\(100.0 %\) are shorter than one frame .*leaving no token") as caught:
        load_tokens(feats, read_item_file(item), frame_shift=0.32)
    assert (caught.value.frame_shift, caught.value.empty_fraction) == (0.32, 1.0)
    assert isinstance(caught.value, InputError)
