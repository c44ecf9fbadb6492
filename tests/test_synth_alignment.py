"""Alignment sanity on espeak's plain output (difficulty ``clean``): a small within-speaker ABX on
mean-pooled log-mel phone tokens (no DTW, ``synth_measures.py``) separates the phones far better than
shuffled labels; the end-to-end ABX with the real scorer is in ``test_pipeline.py``."""

from pathlib import Path

import numpy as np
import pytest
from synth_measures import pooled_within_speaker_abx

from vgprobe.synth.worker import Job, synthesize_all
from vgprobe.synth.zr2021 import build_zr2021

pytest.importorskip("espeakng_loader")


@pytest.fixture(scope="module")
def zr(tmp_path_factory) -> Path:
    return build_zr2021(
        tmp_path_factory.mktemp("zr") / "set", speakers=2, sentences=12, seed=3,
        semantic_voices=1, semantic_sentences=2, pairs_per_dataset=4, difficulty="clean",
    )


def test_phone_tokens_are_far_easier_to_tell_apart_than_with_shuffled_labels(zr):
    folder = zr / "phonetic" / "dev-clean"
    err = pooled_within_speaker_abx(folder, folder / "dev-clean.phoneme.item")
    chance = pooled_within_speaker_abx(folder, folder / "dev-clean.phoneme.item", shuffle_labels=True)
    # measured 2026-11-25: about 0.02 with the true alignment, about 0.5 with shuffled labels
    assert err < 0.08
    assert chance > 0.35


def test_the_closure_of_a_voiceless_stop_belongs_to_the_stop():
    [utt] = synthesize_all([Job("a cat ate a tart", "en-us", "m3", 50, 175, 0)])
    phones = utt.alignment.phones
    stops = [i for i, p in enumerate(phones) if p.label in ("K", "T") and i > 0 and phones[i - 1].end == p.start]
    assert stops
    x = np.abs(utt.audio.astype(np.int32))
    for i in stops:
        start = int(round(phones[i].start * 16000))
        peak = x.max()
        closure = x[start + 32 : start + 160]  # 2-10 ms into the stop (past resampling ringing): silence
        assert closure.max() < 0.02 * peak, phones[i]
        before = x[start - 160 : start]  # the last 10 ms of the previous phone: speech
        assert before.max() > 0.1 * peak, phones[i - 1]


def test_phones_are_ordered_and_inside_their_words():
    [utt] = synthesize_all([Job("a big red circle and a small blue square on the grass", "en", "m1", 50, 175, 0)])
    al = utt.alignment
    for p, q in zip(al.phones, al.phones[1:]):
        assert p.start < p.end <= q.start
    for p in al.phones:
        w = al.words[p.word]
        assert w.start <= p.start and p.end <= w.end


def test_words_espeak_merges_are_flagged_and_kept_whole():
    [utt] = synthesize_all([Job("a blue square on the grass", "en-us", "m3", 50, 175, 0)])
    texts = [w.text for w in utt.alignment.words]
    assert texts == ["a", "blue", "square", "on the", "grass"]
    assert [w.merged for w in utt.alignment.words] == [False, False, False, True, False]
