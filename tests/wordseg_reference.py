"""Loading and comparing the word-discovery reference set (tests/data/analysis_reference/segmentation).

The expected numbers were produced by running jasonppy/word-discovery's own functions; see the
README in tests/data/analysis_reference/. Non-finite expected values are stored as "nan"/"inf".
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np

from vgprobe.analysis.segmentation import nearest_centroid, pool_segments, segment_cls_attention
from vgprobe.analysis.wordseg import pred_entry, read_gold, read_pred, read_segment_features

ROOT = Path(__file__).parent / "data" / "analysis_reference" / "segmentation"
A = ROOT / "A_perturbed"
C = ROOT / "C_attention"
STOP = ("<SPOKEN_NOISE>", "<UNK>")

# the reference's word-block names -> this library's (its "nmi" is a normalised conditional entropy)
RENAMED = {"nmi_as_in_code": "norm_cond_entropy_as_in_reference"}


def load_json(path: Path):
    return json.loads(path.read_text())


@cache
def expected(which: str) -> dict:
    return load_json((A if which == "A" else C) / "expected.json")


def a_inputs():
    pred = read_pred(A / "pred.json")
    return read_gold(A / "gold.json"), pred, read_segment_features(A / "feats.npz", pred)


@cache
def c_predictions(q: float) -> tuple[dict, dict]:
    """C's predictions at quantile q, built with this library's segmentation, pooling and codes."""
    meta = load_json(C / "meta.json")
    attn, frame_feats = np.load(C / "attn.npz"), np.load(C / "frame_feats.npz")
    centroids = np.load(C / "centroids.npy")
    preds, feats = {}, {}
    for utt, m in meta["utterances"].items():
        seg = segment_cls_attention(attn[utt], q, m["spf"])
        pooled = pool_segments(frame_feats[utt], attn[utt], seg.frames, meta["pool_for_codes"])
        preds[utt] = pred_entry(seg.seconds, seg.locations, nearest_centroid(pooled, centroids), m["spf"],
                                frames=seg.frames)
        feats[utt] = pooled
    return preds, feats


def expected_word_block(block: dict) -> dict:
    """The reference's word block under this library's names (restatements and tie counters left out)."""
    out = {}
    for key, value in block.items():
        if key.startswith(("restated_", "codes_with_f1_tie")):
            continue
        for old, new in RENAMED.items():
            key = key.replace(old, new)
        out[key] = value
    return out


def assert_block_equal(got: dict, want: dict, *, atol: float = 1e-12, where: str = "") -> None:
    """Every key of ``want`` in ``got``: ints exactly, floats to ``atol``, "nan" as NaN."""
    for key, w in want.items():
        assert key in got, f"{where}{key} missing"
        g = got[key]
        if isinstance(w, dict):
            assert_block_equal(g, w, atol=atol, where=f"{where}{key}.")
        elif isinstance(w, str) and w in ("nan", "inf", "-inf"):
            assert (math.isnan(g) if w == "nan" else g == float(w)), f"{where}{key}: {g} != {w}"
        elif isinstance(w, bool) or not isinstance(w, (int, float)):
            assert g == w, f"{where}{key}: {g!r} != {w!r}"
        elif isinstance(w, int):
            assert g == w and isinstance(g, int), f"{where}{key}: {g!r} != {w} (counts are exact)"
        else:
            assert abs(g - w) <= atol, f"{where}{key}: {g!r} != {w!r}"
