"""Deterministic synthetic sSIMI sets: gold.csv, pairs.csv and one feature matrix per token.

Used by the sSIMI tests, by ``tests/reference/semantic_pins.py`` (which runs the official
scorer on the same data to produce the pinned numbers) and by ``benchmarks/semantic_speed.py``.
Only numpy and the standard library are used, so the official scorer's separate virtual
environment can import this file too.

Layout written under ``root``::

    gold.csv  pairs.csv  features/synthetic/<stem>.txt  features/librispeech/<stem>.txt

Each word has a latent vector; its tokens' frames are that vector plus noise, and the
human scores follow the latent cosine similarity plus noise, rounded to one decimal
(so human scores have ties, as real ratings do).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOICES = ("voice_a", "voice_b", "voice_c", "voice_d")
# (type, dataset, human column): "similarity", "relatedness" or "both" filled
DATASETS = (
    ("synthetic", "mc-30", "similarity"),
    ("synthetic", "simlex", "similarity"),
    ("synthetic", "ws353", "relatedness"),
    ("librispeech", "men", "relatedness"),
    ("librispeech", "rw", "both"),
    ("librispeech", "simlex", "similarity"),
    ("librispeech", "ws353rel", "relatedness"),
)


@dataclass(frozen=True)
class SemanticSet:
    root: Path
    features: Path  # holds synthetic/ and librispeech/
    gold: Path
    pairs: Path
    sha256: str  # over every file written, in sorted path order


def write_semantic_set(
    root: str | Path,
    *,
    seed: int = 0,
    n_words: int = 40,
    pairs_per_dataset: int = 30,
    dim: int = 8,
    frames: tuple[int, int] = (2, 12),
    ext: str = ".txt",
) -> SemanticSet:
    """Write a set under ``root`` and return its paths and checksum.

    Synthetic words have tokens in a random subset of the voices (sometimes two tokens in
    one voice); librispeech words have 1 to 10 tokens. Each dataset holds random word pairs
    plus one repeated and one reversed pair; synthetic pairs always share a voice.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    features = root / "features"
    latent = {t: rng.normal(size=(n_words, dim)) for t in ("synthetic", "librispeech")}
    words = [f"w{i:03d}" for i in range(n_words)]

    gold_rows: list[tuple[str, str, str, str]] = []
    voices_of: dict[tuple[str, int], set[str]] = {}
    for type_ in ("synthetic", "librispeech"):
        (features / type_).mkdir(parents=True, exist_ok=True)
        for w in range(n_words):
            if type_ == "synthetic":
                chosen = list(rng.choice(VOICES, size=int(rng.integers(1, len(VOICES) + 1)), replace=False))
                if rng.random() < 0.2:
                    chosen.append(chosen[0])  # a second token in the same voice
                token_voices = [str(v) for v in chosen]
            else:
                token_voices = [""] * int(rng.integers(1, 11))
            voices_of[(type_, w)] = set(token_voices)
            for k, voice in enumerate(token_voices):
                stem = f"{type_[:3]}_{words[w]}_{k}"
                n = int(rng.integers(frames[0], frames[1] + 1))
                x = latent[type_][w] + 0.8 * rng.normal(size=(n, dim)) + 0.3 * rng.normal(size=dim)
                _write_matrix(features / type_ / f"{stem}{ext}", x)
                gold_rows.append((type_, stem, words[w], voice))
    order = rng.permutation(len(gold_rows))
    gold = root / "gold.csv"
    gold.write_text("type,filename,word,voice\n" + "".join(",".join(gold_rows[i]) + "\n" for i in order))

    pair_lines = []
    for d, (type_, dataset, column) in enumerate(DATASETS):
        chosen_pairs: list[tuple[int, int]] = []
        while len(chosen_pairs) < pairs_per_dataset + 5 * (d % 3):  # unequal sizes
            a, b = (int(v) for v in rng.choice(n_words, size=2, replace=False))
            if type_ == "synthetic" and not voices_of[(type_, a)] & voices_of[(type_, b)]:
                continue
            chosen_pairs.append((a, b))
        chosen_pairs += [chosen_pairs[0], chosen_pairs[1][::-1]]
        for a, b in chosen_pairs:
            u, v = latent[type_][a], latent[type_][b]
            cos = float(u @ v / np.sqrt((u @ u) * (v @ v)))
            score = f"{round(5 + 4 * cos + rng.normal(scale=1.0), 1):.1f}"
            sim = score if column in ("similarity", "both") else ""
            rel = score if column == "relatedness" else ""
            if column == "both":
                rel = f"{round(5 + 4 * cos + rng.normal(scale=1.0), 1):.1f}"
            pair_lines.append(f"{type_},{dataset},{words[a]},{words[b]},{sim},{rel}\n")
    pairs = root / "pairs.csv"
    pairs.write_text("type,dataset,word_1,word_2,similarity,relatedness\n" + "".join(pair_lines))
    return SemanticSet(root=root, features=features, gold=gold, pairs=pairs, sha256=_checksum(root))


def _write_matrix(path: Path, x: np.ndarray) -> None:
    if path.suffix == ".txt":
        np.savetxt(path, x, fmt="%.18e")
    else:
        np.save(path, x)


def _checksum(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()
