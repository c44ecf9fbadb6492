"""On speech-like features, caps off, vgprobe's ABX equals zerospeech-libriabx2's to 1e-6, for every distance.

The set under tests/data/abx/speech is espeak-ng speech (3 speakers × 8 sentences of a
synthetic ZR2021 dev-clean) as noisy 40-band log-mel frames (``logmel``) and as per-frame
probability vectors (``melprob``, each frame sums to 1), 10 ms frames; see its README.md.
Scores are 2–30 %, unlike the random sets of test_abx_parity.py (≈ 50 %).

PINNED holds what the reference returned, produced on 2026-12-02 with
``/work/refenv/libriabx2/bin/python tests/data_gen/abx_speech_sets.py pin tests/data/abx/speech``
(zerospeech-libriabx2 0.9.8 built from its sdist with Cython 3.3.1, torchaudio stubbed, torch
2.13.0 CPU, numpy 2.4.6), caps off (10**9), speaker and context mode "all", files listed in
sorted order. Keys: features/item kind/distance, then speaker-context.

``kl`` is the asymmetric divergence Σ p·log(p/q) with p the frame of the token whose frames are
the DTW rows: the X token against A and B, and, for the A–X pairs of a within-speaker cell
(both from the same group), the token earlier in the group. A scorer that computes one
orientation and reuses it for the other gets the within-speaker modes wrong by ~0.03 here.
"""

from pathlib import Path

import numpy as np
import pytest

from vgprobe.zerospeech.abx import score_abx
from vgprobe.zerospeech.abx.cells import build_layout
from vgprobe.zerospeech.abx.dataset import load_tokens
from vgprobe.zerospeech.abx.score import score_cells
from vgprobe.zerospeech.items import read_item_file

SPEECH = Path(__file__).parent / "data" / "abx" / "speech"
ITEMS = {"triphone": SPEECH / "dev-clean.item", "phoneme": SPEECH / "dev-clean.phoneme.item"}

PINNED = {
    "logmel/triphone/cosine": {"within-within": 0.03333333134651184, "across-within": 0.029398145154118538, "within-any": 0.16578815877437592, "across-any": 0.12976880371570587},
    "logmel/triphone/euclidean": {"within-within": 0.03333333134651184, "across-within": 0.029696829617023468, "within-any": 0.1540779173374176, "across-any": 0.12154398113489151},
    "logmel/phoneme/cosine": {"within-within": 0.04027777537703514, "across-within": 0.03629032149910927, "within-any": 0.029733560979366302, "across-any": 0.036289870738983154},
    "melprob/phoneme/kl": {"within-within": 0.013888890855014324, "across-within": 0.08243727684020996, "within-any": 0.09518817812204361, "across-any": 0.1033313050866127},
    "melprob/triphone/kl_symmetric": {"within-within": 0.03194444254040718, "across-within": 0.03300477936863899, "within-any": 0.1771714687347412, "across-any": 0.14037689566612244},
    "melprob/triphone/kl": {"within-within": 0.02708333358168602, "across-within": 0.13358722627162933, "within-any": 0.23332396149635315, "across-any": 0.16099746525287628},
}


def score_all(features: str, kind: str, distance: str) -> dict[str, float]:
    results = score_abx(SPEECH / features, ITEMS[kind], frame_shift=0.01, speaker_modes=("within", "across"),
                        context_modes=("within", "any"), distance=distance, max_size_group=None, max_x_across=None)
    return {f"{r.speaker}-{r.context}": r.score for r in results}


@pytest.mark.parametrize("key", sorted(PINNED))
def test_speech_scores_equal_the_pinned_reference(key):
    ours = score_all(*key.split("/"))
    assert ours.keys() == PINNED[key].keys()
    for mode, ref in PINNED[key].items():
        assert ours[mode] == pytest.approx(ref, abs=1e-6), mode


def test_the_pins_lie_in_the_informative_range():
    # the 2–30 % range separates a right scorer from a wrong one far better than scores near 50 %
    for key, modes in PINNED.items():
        for mode, value in modes.items():
            if not key.endswith("phoneme/kl") or mode != "within-within":
                assert 0.02 <= value <= 0.30, (key, mode)


@pytest.mark.parametrize("context_mode", ["within", "any"])
@pytest.mark.parametrize("distance", ["kl", "kl_symmetric"])
def test_kl_paths_give_the_cells_of_the_memoised_path(context_mode, distance):
    # caps of 10**9 never bite but take the lazy per-cell path; None fills every DTW up front
    tokens = load_tokens(SPEECH / "melprob", read_item_file(ITEMS["triphone"]), frame_shift=0.01)
    layout = build_layout(tokens, context_mode=context_mode)
    for speaker_mode in ("within", "across"):
        fast, slow = (score_cells(tokens, layout, speaker_mode=speaker_mode, distance=distance, max_size_group=cap,
                                  max_x_across=cap, seed=0) for cap in (None, 10**9))
        assert len(fast.error) > 10
        assert np.array_equal(fast.error, slow.error)
