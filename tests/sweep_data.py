"""Small inputs for the layer-sweep and notebook tests, built from vgprobe's own synthetic speech.

- :func:`small_zr2021`: ``vgprobe synth zr2021`` with 2 speakers x 8 sentences per phonetic subset (enough for
  within- and across-speaker ABX cells) and 2 sSIMI voices, then the sSIMI part cut down to the words of the
  first pairs of each (type, dataset) of ``pairs.csv`` (their wavs, gold rows and pairs), so a sweep extracts
  about 90 files instead of about 230. The pruned set is still a valid ZeroSpeech 2021 layout.
- :func:`pseudo_word_alignments`: word alignments ``{utt: [[onset, offset, word], ...]}`` whose "words" are
  consecutive phone pairs of the phoneme items (label ``P1_P2``); the speakers read the same sentences, so
  every label recurs across speakers, which the speaker-held-out word probes need.
- :func:`tiny_checkpoint`: the ``tiny`` recipe at a seeded random initialisation saved as a vgprobe checkpoint
  folder (stands in for a trained model: the sweep only needs its layers; its twin is ``random:tiny``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

PAIRS_PER_DATASET = 8


def small_zr2021(root: Path) -> Path:
    from vgprobe.synth import build_zr2021

    build_zr2021(root, speakers=2, sentences=8, seed=0, semantic_voices=2, semantic_sentences=8,
                 pairs_per_dataset=20)
    sem = root / "semantic" / "dev"
    with open(sem / "pairs.csv", newline="") as f:
        pairs = list(csv.DictReader(f))
    kept_pairs = first_pairs(pairs, PAIRS_PER_DATASET)
    words = {(r["type"], w) for r in kept_pairs for w in (r["word_1"], r["word_2"])}
    with open(sem / "gold.csv", newline="") as f:
        gold = list(csv.DictReader(f))
    kept_gold = [g for g in gold if (g["type"], g["word"]) in words]
    for g in gold:
        if (g["type"], g["word"]) not in words:
            (sem / g["type"] / f"{g['filename']}.wav").unlink()
    _write_csv(sem / "pairs.csv", kept_pairs, list(pairs[0]))
    _write_csv(sem / "gold.csv", kept_gold, list(gold[0]))
    return root


def first_pairs(pairs: list[dict], per_dataset: int) -> list[dict]:
    """The first ``per_dataset`` rows of ``pairs.csv`` for each (type, dataset), in file order."""
    kept, seen = [], {}
    for row in pairs:
        key = (row["type"], row["dataset"])
        if seen.get(key, 0) < per_dataset:
            seen[key] = seen.get(key, 0) + 1
            kept.append(row)
    return kept


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def pseudo_word_alignments(zr: Path, subset: str, path: Path) -> Path:
    phones: dict[str, list[tuple[float, float, str]]] = {}
    lines = (zr / "phonetic" / subset / f"{subset}.phoneme.item").read_text().splitlines()[1:]
    for line in lines:
        utt, on, off, phone, *_ = line.split()
        phones.setdefault(utt, []).append((float(on), float(off), phone))
    words = {utt: [[ps[i][0], ps[i + 1][1], f"{ps[i][2]}_{ps[i + 1][2]}"] for i in range(0, len(ps) - 1, 2)]
             for utt, ps in phones.items()}
    path.write_text(json.dumps(words), encoding="utf-8")
    return path


def tiny_checkpoint(folder: Path, *, seed: int = 123) -> Path:
    import torch

    import vgprobe.fastvgs as fv

    torch.manual_seed(seed)
    return fv.save(fv.FaSTVGS(fv.preset("tiny")).eval(), folder)
