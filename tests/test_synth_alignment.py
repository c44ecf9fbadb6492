"""Alignment sanity. The ZR2021 ABX scorer was not in the repository when this was written, so the
end-to-end check is a small within-speaker ABX on mean-pooled log-mel phone tokens (no DTW); once
``vgprobe.zerospeech.abx.score_abx`` exists, an ABX test on the triphone items should join it."""

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from vgprobe.synth.worker import Job, synthesize_all
from vgprobe.synth.zr2021 import build_zr2021

pytest.importorskip("espeakng_loader")


def _mel_filterbank(n_mels: int = 40, n_fft: int = 400, sr: int = 16000) -> torch.Tensor:
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges = hz(np.linspace(mel(20.0), mel(sr / 2), n_mels + 2))
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    fb = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0.0, None)
    return torch.tensor(fb, dtype=torch.float32)


def log_mel(path: Path) -> np.ndarray:
    """(T, 40) log-mel frames, 25 ms window, 10 ms shift, frame i centred at i * 10 ms."""
    x, _ = sf.read(str(path), dtype="float32")
    spec = torch.stft(torch.from_numpy(x), 400, 160, window=torch.hann_window(400), return_complex=True)
    return torch.log(_mel_filterbank() @ spec.abs() ** 2 + 1e-6).T.numpy()


def pooled_within_speaker_abx(folder: Path, item_file: Path, *, shuffle_labels: bool = False) -> float:
    """Mean over speakers and ordered phone pairs (a, b) of P(d(A, X) >= d(B, X)), ties half, A != X."""
    tokens = defaultdict(list)
    feats = {}
    rng = np.random.default_rng(0)
    for line in item_file.read_text().splitlines()[1:]:
        f, on, off, phone, _, _, spk = line.split()
        if f not in feats:
            feats[f] = log_mel(folder / f"{f}.wav")
        start = max(0, int(np.ceil(100 * float(on) - 0.5)))
        end = min(len(feats[f]), int(np.floor(100 * float(off) - 0.5)))
        if end > start:
            tokens[spk, phone].append(feats[f][start:end].mean(0))
    errors = []
    for spk in sorted({s for s, _ in tokens}):
        phones = sorted(p for s, p in tokens if s == spk)
        allv = np.concatenate([tokens[spk, p] for p in phones])
        labels = np.concatenate([[p] * len(tokens[spk, p]) for p in phones])
        if shuffle_labels:
            labels = rng.permutation(labels)
        allv = allv - allv.mean(0)
        allv /= np.linalg.norm(allv, axis=1, keepdims=True)
        by = {p: allv[labels == p] for p in phones}
        for a in phones:
            if len(by[a]) < 2:
                continue
            d_aa = 1 - by[a] @ by[a].T
            off_diag = ~np.eye(len(by[a]), dtype=bool)
            for b in phones:
                if b == a or len(by[b]) == 0:
                    continue
                d_ab = 1 - by[a] @ by[b].T
                win = (d_aa[:, :, None] < d_ab[:, None, :]) + 0.5 * (d_aa[:, :, None] == d_ab[:, None, :])
                errors.append(1.0 - win[off_diag].mean())
    return float(np.mean(errors))


@pytest.fixture(scope="module")
def zr(tmp_path_factory) -> Path:
    return build_zr2021(
        tmp_path_factory.mktemp("zr") / "set", speakers=2, sentences=12, seed=3,
        semantic_voices=1, semantic_sentences=2, pairs_per_dataset=4,
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
