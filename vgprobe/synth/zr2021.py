"""A small ZeroSpeech 2021 dev set, in the official dataset layout, from synthetic speech with known alignments.

    >>> root = build_zr2021(Path("zr"), speakers=4, sentences=25, seed=0)      # doctest: +SKIP

What it writes under ``root`` (``<spk>`` is a numeric speaker id: 100+ clean, 200+ other, 300+ semantic):

- ``phonetic/dev-clean/<spk>-1-<nnnn>.wav`` and ``phonetic/dev-other/...``: each of ``speakers``
  speakers of the subset reads the same ``sentences`` sentences (so across-speaker ABX cells exist).
  ``dev-other`` uses the harder speaker pool of ``speakers.py`` (unusual voices, faster rate) and,
  under the ``realistic`` difficulty, harder recording conditions (``conditions.py``).
- ``phonetic/<subset>/<subset>.item``: triphone items, ``#file onset offset #phone prev-phone
  next-phone speaker``; the span covers previous + centre + next phone, all three contiguous (no pause
  inside); times in seconds with 4 decimals.
- ``phonetic/<subset>/<subset>.phoneme.item``: the same columns, one item per phone, span = the phone;
  a phone next to a pause or the file edge has the context ``SIL``.
- ``phonetic/<subset>/<subset>.words.json``: word alignments, ``{"<spk>-1-<nnnn>": [[onset_s,
  offset_s, word], ...]}`` (``alignment_files.py``).
- ``phonetic/<subset>/<spk>-1-<nnnn>.TextGrid``: the same words and the phones, one Praat TextGrid
  per wav (tiers ``words`` and ``phones``).
- ``semantic/dev/synthetic/<random>.wav``: every vocabulary word (``vocabulary.words()``) spoken in
  isolation by each of ``semantic_voices`` clean speakers: espeak's plain output at every difficulty
  (the official set's synthetic words are studio TTS too).
- ``semantic/dev/librispeech/<random>.wav``: word tokens cut from synthesised sentences with the word
  alignments (at most 10 tokens per word; words espeak merged with a neighbour are not cut); the
  sentences are recorded in ``clean``-tier conditions, like dev-clean. Each file is one word, so the
  semantic sets have no alignment files.
- ``semantic/dev/gold.csv``: ``type,filename,word,voice`` (filename without extension), the
  official column order (the official scorer reads type and filename by position).
- ``semantic/dev/pairs.csv``: ``type,dataset,word_1,word_2,similarity,relatedness``; dataset
  ``taxonomy`` fills similarity, ``themes`` fills relatedness (scores: ``vocabulary.py``). Only words
  with tokens of the given type appear.
- ``vgprobe-synth.json``: what built it (kind and configuration).

File names of the semantic sets are random 12-letter names (seeded), as in ZR2021.

``difficulty`` (``conditions.py``): ``realistic`` (default) varies prosody within each speaker and
records every sentence in a simulated room with noise and a microphone; ``clean`` writes espeak's
plain output, byte for byte the audio and item files vgprobe wrote before difficulties existed.
Alignments are exact at both: every transformation keeps the signal in time (``channel.py``).
"""

from __future__ import annotations

import csv
import itertools
import random
import string
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vgprobe.audio import SAMPLE_RATE
from vgprobe.errors import ConfigError
from vgprobe.synth import vocabulary
from vgprobe.synth.alignment import Alignment
from vgprobe.synth.alignment_files import write_textgrid, write_words_json
from vgprobe.synth.conditions import DEFAULT_DIFFICULTY, Tier, check_difficulty
from vgprobe.synth.lm_sets import write_lm_sets
from vgprobe.synth.output import atomic_dataset
from vgprobe.synth.speakers import Speaker, pick_speakers
from vgprobe.synth.speech import Line, speak_all
from vgprobe.synth.worker import Utterance

MAX_TOKENS = 10
ITEM_HEADER = "#file onset offset #phone prev-phone next-phone speaker"


@dataclass(frozen=True)
class ZR2021Config:
    speakers: int = 4  # per phonetic subset
    sentences: int = 25  # per speaker
    seed: int = 0
    semantic_voices: int = 4
    semantic_sentences: int = 120
    pairs_per_dataset: int = 120
    difficulty: str = DEFAULT_DIFFICULTY


def _write_wav(path: Path, audio: np.ndarray) -> None:
    import soundfile as sf

    sf.write(str(path), audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def _fmt(t: float) -> str:
    return f"{t:.4f}"


def item_lines(stem: str, speaker: str, utt: Utterance, *, kind: str) -> list[str]:
    """Item-file lines (no header) of one utterance; ``kind`` is ``triphone`` or ``phoneme``."""
    phones = utt.alignment.phones
    lines = []
    for i, p in enumerate(phones):
        prev_ok = i > 0 and phones[i - 1].end == p.start
        next_ok = i + 1 < len(phones) and phones[i + 1].start == p.end
        prev = phones[i - 1].label if prev_ok else "SIL"
        nxt = phones[i + 1].label if next_ok else "SIL"
        if kind == "triphone":
            if not (prev_ok and next_ok):
                continue
            onset, offset = phones[i - 1].start, phones[i + 1].end
        else:
            onset, offset = p.start, p.end
        lines.append(f"{stem} {_fmt(onset)} {_fmt(offset)} {p.label} {prev} {nxt} {speaker}")
    return lines


def _random_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    out = []
    while len(out) < n:
        name = "".join(rng.choice(string.ascii_letters) for _ in range(12))
        if name not in names:
            names.add(name)
            out.append(name)
    return out


def _pairs(rng: random.Random, words: list[str], n: int) -> list[tuple[str, str, float, str]]:
    """(word_1, word_2, score, dataset) rows: stratified samples of all word pairs."""
    all_pairs = list(itertools.combinations(sorted(words), 2))
    rows = []
    for dataset, score_fn in (("taxonomy", vocabulary.similarity), ("themes", vocabulary.relatedness)):
        strata: dict[float, list[tuple[str, str]]] = {}
        for a, b in all_pairs:
            strata.setdefault(score_fn(a, b), []).append((a, b))
        per = max(1, n // len(strata))
        chosen = []
        for score in sorted(strata):
            group = strata[score]
            chosen += rng.sample(group, min(per, len(group)))
        for a, b in sorted(chosen):
            rows.append((a, b, score_fn(a, b), dataset))
    return rows


def build_zr2021(
    out: Path,
    *,
    speakers: int = 4,
    sentences: int = 25,
    seed: int = 0,
    semantic_voices: int = 4,
    semantic_sentences: int = 120,
    pairs_per_dataset: int = 120,
    difficulty: str = DEFAULT_DIFFICULTY,
    processes: int = 1,
) -> Path:
    """Build the set under ``out`` (see the module docstring) and return ``out``.

    Deterministic: the same arguments give byte-identical files (``processes`` changes speed only).
    An ``out`` already built with the same arguments is returned as is.
    """
    cfg = ZR2021Config(speakers, sentences, seed, semantic_voices, semantic_sentences, pairs_per_dataset, difficulty)
    check_difficulty(difficulty)
    if sentences < 1 or semantic_voices < 1 or semantic_sentences < 1 or pairs_per_dataset < 1:
        raise ConfigError(f"sizes must be positive: {cfg}")
    rng = random.Random(seed)
    subsets = {
        "dev-clean": pick_speakers(rng, n=speakers, pool="clean", first_id=100),
        "dev-other": pick_speakers(rng, n=speakers, pool="other", first_id=200),
    }
    tiers: dict[str, Tier] = {"dev-clean": "clean", "dev-other": "other"}
    texts = {name: [vocabulary.sentence(rng) for _ in range(sentences)] for name in subsets}
    sem_speakers = pick_speakers(rng, n=semantic_voices, pool="clean", first_id=300)
    sem_texts = [vocabulary.sentence(rng) for _ in range(semantic_sentences)]
    words = list(vocabulary.words())

    def dither(index: int) -> int:
        # the semantic blocks share one dither seed each, as they always have (byte-identical rebuilds)
        return seed * 1_000_003 + index

    lines: list[Line] = []
    phonetic_keys: list[tuple[str, Speaker, str]] = []
    for subset, spks in subsets.items():
        for spk in spks:
            for k, text in enumerate(texts[subset]):
                phonetic_keys.append((subset, spk, f"{spk.name}-1-{k:04d}"))
                lines.append(Line(text, spk, tiers[subset], dither(len(lines))))
    n_phonetic = len(lines)
    # the synthetic sSIMI words are studio TTS in ZR2021 too: espeak's plain output at every difficulty
    synthetic_keys = [(spk, w) for w in words for spk in sem_speakers]
    lines += [Line(w, spk, None, dither(n_phonetic)) for spk, w in synthetic_keys]
    n_synthetic = len(synthetic_keys)
    sentence_speakers = [sem_speakers[i % len(sem_speakers)] for i in range(len(sem_texts))]
    lines += [Line(t, spk, "clean", dither(n_phonetic + n_synthetic)) for t, spk in zip(sem_texts, sentence_speakers)]

    with atomic_dataset(out, kind="zr2021", config=asdict(cfg)) as tmp:
        if tmp is None:
            return Path(out)
        utts = speak_all(lines, seed=seed, difficulty=difficulty, processes=processes)
        _write_phonetic(tmp, phonetic_keys, utts[:n_phonetic])
        gold: list[tuple[str, str, str, str]] = []
        syn_dir = tmp / "semantic" / "dev" / "synthetic"
        syn_dir.mkdir(parents=True)
        for name, (spk, w), utt in zip(_random_names(rng, n_synthetic), synthetic_keys, utts[n_phonetic:]):
            _write_wav(syn_dir / f"{name}.wav", utt.audio)
            gold.append((name, spk.label, w, "synthetic"))
        gold += _write_librispeech(
            tmp / "semantic" / "dev" / "librispeech",
            rng,
            set(words),
            sentence_speakers,
            utts[n_phonetic + n_synthetic :],
        )
        _write_semantic_csvs(tmp / "semantic" / "dev", rng, gold, pairs_per_dataset)
        write_lm_sets(tmp, spoken=[line.text for line in lines[:n_phonetic]], speakers=sem_speakers, seed=seed,
                      processes=processes)
    return Path(out)


def _write_phonetic(tmp: Path, keys: list[tuple[str, Speaker, str]], utts: list[Utterance]) -> None:
    items: dict[str, dict[str, list[str]]] = {}
    alignments: dict[str, dict[str, Alignment]] = {}
    for (subset, spk, stem), utt in zip(keys, utts):
        folder = tmp / "phonetic" / subset
        folder.mkdir(parents=True, exist_ok=True)
        _write_wav(folder / f"{stem}.wav", utt.audio)
        write_textgrid(folder / f"{stem}.TextGrid", utt.alignment, duration=utt.duration)
        alignments.setdefault(subset, {})[stem] = utt.alignment
        per = items.setdefault(subset, {"triphone": [], "phoneme": []})
        for kind in per:
            per[kind] += item_lines(stem, spk.name, utt, kind=kind)
    for subset, per in items.items():
        for kind, lines in per.items():
            name = f"{subset}.item" if kind == "triphone" else f"{subset}.phoneme.item"
            (tmp / "phonetic" / subset / name).write_text("\n".join([ITEM_HEADER, *lines]) + "\n")
        write_words_json(tmp / "phonetic" / subset / f"{subset}.words.json", alignments[subset])


def _write_librispeech(
    folder: Path, rng: random.Random, vocab: set[str], spks: list[Speaker], utts: list[Utterance]
) -> list[tuple[str, str, str, str]]:
    folder.mkdir(parents=True)
    tokens: dict[str, list[tuple[Speaker, np.ndarray]]] = {}
    for spk, utt in zip(spks, utts):
        for w in utt.alignment.words:
            if w.merged or w.text not in vocab or len(tokens.get(w.text, [])) >= MAX_TOKENS:
                continue
            a, b = int(round(w.start * SAMPLE_RATE)), int(round(w.end * SAMPLE_RATE))
            tokens.setdefault(w.text, []).append((spk, utt.audio[a:b]))
    rows = []
    flat = [(w, spk, audio) for w in sorted(tokens) for spk, audio in tokens[w]]
    for name, (w, spk, audio) in zip(_random_names(rng, len(flat)), flat):
        _write_wav(folder / f"{name}.wav", audio)
        rows.append((name, spk.label, w, "librispeech"))
    return rows


def _write_semantic_csvs(folder: Path, rng: random.Random, gold: list, n_pairs: int) -> None:
    with open(folder / "gold.csv", "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        # The official scorer reads the first two columns by position (type, filename).
        wr.writerow(["type", "filename", "word", "voice"])
        wr.writerows((t, name, w, voice) for name, voice, w, t in gold)
    with open(folder / "pairs.csv", "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["type", "dataset", "word_1", "word_2", "similarity", "relatedness"])
        for type_ in ("librispeech", "synthetic"):
            present = sorted({w for _, _, w, t in gold if t == type_})
            for a, b, score, dataset in _pairs(rng, present, n_pairs):
                sim, rel = (score, "") if dataset == "taxonomy" else ("", score)
                wr.writerow([type_, dataset, a, b, sim, rel])
