"""Cheap measures on synthetic sets, shared by the synth tests: log-mel frames and a pooled phone ABX."""

from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf
import torch


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
