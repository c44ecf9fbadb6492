"""With caps off, vgprobe's ABX equals zerospeech-libriabx2's (the ZR2021 code path) to 1e-6.

PINNED holds the peer's scores on the sets under tests/data/abx/, produced on 2026-11-25 by
``/tmp/peervenv/bin/python tests/data_gen/abx_random_sets.py tests/data/abx`` with
zerospeech-libriabx2 0.9.8 (sdist, built with Cython 3.3.1, torchaudio stubbed), torch 2.13.0
CPU (AVX512), numpy 2.4, caps off (max_size_group = max_x_across = 10**9), speaker and context
mode "all", files listed in sorted order. The sets hold zero frames, tokens that slice to
nothing, onsets on exact frame boundaries, one-hot features (angular distances exactly 0, ½, 1:
ties everywhere) and float64 features.
"""

import contextlib
import io
import sys
from pathlib import Path

import pytest

from vgprobe.zerospeech.abx import score_abx

DATA = Path(__file__).parent / "data" / "abx"
sys.path.insert(0, str(Path(__file__).parent / "data_gen"))
from abx_random_sets import PINNED_SETS, run_peer  # noqa: E402

PINNED = {
    "continuous_triphone/cosine": {"within-within": 0.5112889409065247, "across-within": 0.4952366352081299, "within-any": 0.5029650926589966, "across-any": 0.4979332983493805},
    "continuous_triphone/euclidean": {"within-within": 0.4224742352962494, "across-within": 0.5025076270103455, "within-any": 0.5012745261192322, "across-any": 0.49837052822113037},
    "onehot_ties_triphone/cosine": {"within-within": 0.49721741676330566, "across-within": 0.49646803736686707, "within-any": 0.4997020661830902, "across-any": 0.49963441491127014},
    "onehot_ties_triphone/euclidean": {"within-within": 0.4872075319290161, "across-within": 0.5032662749290466, "within-any": 0.49979913234710693, "across-any": 0.5012454390525818},
    "continuous_float64_phoneme/cosine": {"within-within": 0.4564882814884186, "across-within": 0.4815296232700348, "within-any": 0.49370521306991577, "across-any": 0.5023277997970581},
    "continuous_float64_phoneme/euclidean": {"within-within": 0.3717324733734131, "across-within": 0.4861129820346832, "within-any": 0.4957159161567688, "across-any": 0.5022972822189331},
}
SPECS = {spec.name: spec for spec in PINNED_SETS}


def score_all(name: str, distance: str) -> dict[str, float]:
    spec = SPECS[name]
    results = score_abx(DATA / name / "features", DATA / name / f"{name}.item", frame_shift=spec.frame_shift,
                        speaker_modes=("within", "across"), context_modes=("within", "any"), distance=distance,
                        max_size_group=None, max_x_across=None)
    return {f"{r.speaker}-{r.context}": r.score for r in results}


@pytest.mark.parametrize("key", sorted(PINNED))
def test_scores_equal_the_pinned_reference(key):
    name, distance = key.split("/")
    ours = score_all(name, distance)
    assert ours.keys() == PINNED[key].keys()
    for mode, ref in PINNED[key].items():
        assert ours[mode] == pytest.approx(ref, abs=1e-6), mode


def test_scores_equal_the_reference_run_live():
    try:
        sys.modules.setdefault("torchaudio", __import__("types").ModuleType("torchaudio"))
        import zrc_abx2  # noqa: F401
    except ImportError:
        pytest.skip("zerospeech-libriabx2 is not installed (it builds from its sdist with Cython; tests/data/abx/README.md says how)")
    name = "onehot_ties_triphone"
    with contextlib.redirect_stdout(io.StringIO()):
        ref = run_peer(DATA / name / "features", DATA / name / f"{name}.item", frame_shift=0.02,
                       speaker_mode="all", context_mode="within")
    ours = score_all(name, "cosine")
    for mode, value in ref.items():
        assert ours[mode] == pytest.approx(value, abs=1e-6), mode
