"""Deterministic lexical (sWUGGY-like) and syntactic (sBLIMP-like) gold files and score files.

Used by the lexical/syntactic tests and by ``tests/toolkit/make_lm_pins.py``, which runs the
official scorer on the same files to produce the pinned numbers. Only numpy and the
standard library are used, so the official scorer's separate virtual environment can
import this file too.

Gold files use the official column order (see :mod:`vgprobe.zerospeech.lm.gold`) with the
lines in a shuffled order. Lexical sets cover every frequency band, including the band
edges (0, 1, 4, 5, 19, 20, 99, 100), several lengths, ids present in some voices only;
``non_words_per_word=2`` gives two non-words per word and voice. Syntactic sets repeat ids
across subtypes; ``order="blocked"`` writes every grammatical line first and then the
ungrammatical ones in the same key order (the official positional pairing still holds),
``order="interleaved"`` writes each pair's two lines next to each other.

Score files: ``continuous`` (normal draws, no ties), ``ties`` (integers: many ties),
``inf`` (continuous with some ``-inf``); each lists the files in a shuffled order.
"""

from __future__ import annotations

import hashlib
import string
from pathlib import Path

import numpy as np

VOICES = ("Alex", "Bruce", "Junior", "Kathy")
FREQUENCIES = (0, 0, 1, 4, 5, 19, 20, 99, 100, 2, 3, 7, 12, 33, 64, 150, 480)
SYNTACTIC_TYPES = {
    "agreement": ("det_noun", "subj_verb"),
    "island": ("adjunct", "wh"),
    "filler_gap": ("wh_question",),
    "quantifiers": ("existential", "superlative", "only_npi"),
}
SCORE_KINDS = ("continuous", "ties", "inf")


def _names(rng: np.random.Generator, n: int) -> list[str]:
    letters = np.array(list(string.ascii_letters))
    out: set[str] = set()
    names = []
    while len(names) < n:
        name = "".join(rng.choice(letters, 10))
        if name not in out:
            out.add(name)
            names.append(name)
    return names


def _pseudo(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("bdfgklmnprstvz")) + rng.choice(list("aeiou")) for _ in range(n))


def write_lexical_gold(
    path: str | Path, *, seed: int = 0, n_ids: int = 60, non_words_per_word: int = 1, label_non_words: bool = False
) -> Path:
    """Write a lexical ``gold.csv``; non-words have an empty ``word`` unless ``label_non_words``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_ids):
        id_ = 1000 + 7 * i
        length = int(rng.integers(3, 9))
        frequency = FREQUENCIES[i % len(FREQUENCIES)]
        word = _pseudo(rng, max(1, length // 2))
        voices = [v for v in VOICES if rng.random() < 0.7] or [VOICES[i % len(VOICES)]]
        phones = " ".join(word)
        for voice in voices:
            rows.append([id_, voice, frequency, word, phones, length, 1])
            for k in range(non_words_per_word):
                nw = _pseudo(rng, max(1, length // 2))
                rows.append([id_, voice, "", nw if label_non_words else "", " ".join(nw), length, 0])
    order = rng.permutation(len(rows))
    names = _names(rng, len(rows))
    lines = ["id,filename,voice,frequency,word,phones,length,correct"]
    for name, k in zip(names, order):
        id_, voice, freq, word, phones, length, correct = rows[k]
        lines.append(f"{id_},{name},{voice},{freq},{word},{phones},{length},{correct}")
    return _write(path, lines)


def write_syntactic_gold(path: str | Path, *, seed: int = 0, ids_per_subtype: int = 6, order: str = "interleaved") -> Path:
    """Write a syntactic ``gold.csv`` (``order``: ``interleaved`` or ``blocked``, see the module docstring)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for type_, subtypes in SYNTACTIC_TYPES.items():
        for subtype in subtypes:
            for id_ in range(1, ids_per_subtype + 1):
                words = [_pseudo(rng, 2) for _ in range(4)]
                good, bad = " ".join(words), " ".join(words[::-1])
                voices = [v for v in VOICES if rng.random() < 0.6] or [VOICES[id_ % len(VOICES)]]
                for voice in voices:
                    pairs.append((id_, voice, type_, subtype, good, bad))
    pairs = [pairs[k] for k in rng.permutation(len(pairs))]
    names = iter(_names(rng, 2 * len(pairs)))
    good_lines = [f"{i},{next(names)},{v},{t},{s},1,{g}" for i, v, t, s, g, _ in pairs]
    bad_lines = [f"{i},{next(names)},{v},{t},{s},0,{b}" for i, v, t, s, _, b in pairs]
    if order == "blocked":
        body = good_lines + bad_lines
    elif order == "interleaved":
        body = [line for pair in zip(good_lines, bad_lines) for line in pair]
    else:
        raise ValueError(order)
    return _write(path, ["id,filename,voice,type,subtype,correct,transcription", *body])


def write_scores(gold: str | Path, path: str | Path, *, kind: str, seed: int = 0) -> Path:
    """Write a ``<filename> <score>`` file for every file of ``gold`` (``kind`` in :data:`SCORE_KINDS`)."""
    rng = np.random.default_rng(seed)
    names = [line.split(",")[1] for line in Path(gold).read_text().splitlines()[1:]]
    values = rng.normal(-20.0, 3.0, len(names))
    if kind == "ties":
        values = np.round(values / 2.0)
    elif kind == "inf":
        values[rng.random(len(names)) < 0.1] = -np.inf
    elif kind != "continuous":
        raise ValueError(kind)
    order = rng.permutation(len(names))
    return _write(path, [f"{names[k]} {float(values[k])!r}" for k in order])


def write_hand_made(folder: Path, header: str, gold_lines: list[str], scores: dict[str, object]) -> tuple[Path, Path]:
    """``folder/gold.csv`` (``header``, then ``gold_lines``) and ``folder/dev.txt`` (a ``<name> <score>`` line per
    item of ``scores``), written as given."""
    gold = folder / "gold.csv"
    gold.write_text(header + "".join(line + "\n" for line in gold_lines))
    txt = folder / "dev.txt"
    txt.write_text("".join(f"{k} {v}\n" for k, v in scores.items()))
    return gold, txt


def sha256(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()


def _write(path: str | Path, lines: list[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
