"""Small lexical (sWUGGY-like) and syntactic (sBLIMP-like) dev sets for a synthetic ZeroSpeech 2021 set.

    >>> write_lm_sets(root, spoken=texts, speakers=voices, seed=0)            # doctest: +SKIP

What it writes under ``root`` (official layout and gold columns, see
:mod:`vgprobe.zerospeech.lm.gold`; file names are random 12-letter names, seeded):

- ``lexical/dev/<name>.wav`` and ``lexical/dev/gold.csv``: each lexical item spoken in
  isolation by each of ``speakers``. Items: the words of ``spoken`` outside the vocabulary
  (``the``, ``sat``, ...: the frequent ones), a seeded sample of the vocabulary words, and a few English words that
  never occur in the set (out of vocabulary). Each word gets a non-word of the same
  length made by changing one vowel letter and one consonant letter (never another item
  or vocabulary word); espeak-ng reads it with its letter-to-sound rules. Items and
  non-words that some speaker's espeak-ng reads with a phoneme outside ARPAbet are
  screened out first (another non-word is drawn). A word and its
  non-word share an ``id`` (one id per word); the non-word's ``word`` field is empty, as
  in the official files. ``phones`` lists the ARPAbet phones of that file's alignment and
  ``length`` their number. ``frequency`` is the number of times the word is spoken in
  ``spoken`` (the texts of the set's phonetic utterances, one entry per utterance), so the
  frequency bands refer to the set's own sentence audio, not to LibriSpeech.
- ``syntactic/dev/<name>.wav`` and ``syntactic/dev/gold.csv``: minimal sentence pairs
  built from the vocabulary (:data:`PHENOMENA`), each spoken by each of ``speakers``;
  ``transcription`` holds the text. Each grammatical line is followed by its ungrammatical
  twin, so the official positional pairing holds.

Generation uses its own random generator (seeded from ``seed``), so adding these sets
leaves every other file of the set unchanged.
"""

from __future__ import annotations

import csv
import json
import random
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from vgprobe.errors import InputError
from vgprobe.synth import vocabulary
from vgprobe.synth.speakers import Speaker
from vgprobe.audio import SAMPLE_RATE
from vgprobe.synth.speech import plain_job
from vgprobe.synth.worker import Utterance, synthesize_all

SEED_OFFSET = 7_919  # this module's generator: random.Random(seed * SEED_OFFSET + 1)
VOCABULARY_SAMPLE = 20
OUT_OF_VOCABULARY: tuple[str, ...] = ("window", "pencil", "candle", "ladder", "basket", "hammer", "violin", "wallet")
IDS_PER_SUBTYPE = 4
MAX_SCREENING_ROUNDS = 10
VOWELS = "aeiou"
CONSONANTS = "bdfgklmnprstvz"


def _pick(rng: random.Random, category: str) -> str:
    return rng.choice([w for ws in vocabulary.TAXONOMY[category].values() for w in ws])


def _template(categories: tuple[str, ...], grammatical: str, ungrammatical: str
              ) -> Callable[[random.Random], tuple[str, str]]:
    """A builder that picks one word of each of ``categories``, in order, into ``{0}``, ``{1}``, ... of both
    sentences."""

    def build(rng: random.Random) -> tuple[str, str]:
        words = [_pick(rng, category) for category in categories]
        return grammatical.format(*words), ungrammatical.format(*words)

    return build


# (type, subtype) -> builder of (grammatical, ungrammatical) from a generator
PHENOMENA: dict[tuple[str, str], Callable[[random.Random], tuple[str, str]]] = {
    ("agreement", "subject_verb"): _template(("animal", "colour"), "the {0} is {1}", "the {0} are {1}"),
    ("agreement", "determiner_noun"): _template(("animal", "size"), "this {0} is {1}", "these {0} is {1}"),
    ("word_order", "adjective_noun"): _template(("colour", "animal", "place"), "the {0} {1} sat on the {2}",
                                               "the {1} {0} sat on the {2}"),
    ("word_order", "determiner"): _template(("animal", "food"), "we saw the {0} near the {1}",
                                            "we saw {0} the near the {1}"),
    ("argument_structure", "transitive"): _template(("animal", "food"), "the {0} ate the {1}",
                                                    "the {0} slept the {1}"),
    ("quantifiers", "existential"): _template(("animal", "place"), "there is a {0} on the {1}",
                                              "there is every {0} on the {1}"),
}


def frame_words(spoken: Sequence[str]) -> tuple[str, ...]:
    """The words of ``spoken`` that are not vocabulary words (``the``, ``sat``, ...), sorted."""
    vocab = set(vocabulary.words())
    return tuple(sorted({w for text in spoken for w in text.split()} - vocab))


def lexical_items(rng: random.Random, spoken: Sequence[str]) -> list[str]:
    """Frame words of ``spoken``, a sample of vocabulary words, and the out-of-vocabulary words, in a fixed order."""
    vocab = sorted(vocabulary.words())
    items = list(frame_words(spoken)) + sorted(rng.sample(vocab, min(VOCABULARY_SAMPLE, len(vocab))))
    items += [w for w in OUT_OF_VOCABULARY if w not in items]
    return [w for w in dict.fromkeys(items) if len(w) >= 2]


def non_word(word: str, rng: random.Random, *, avoid: set[str]) -> str:
    """``word`` with one vowel letter and one consonant letter changed (same length), not in ``avoid``.

    >>> non_word("garden", random.Random(0), avoid=set())        # doctest: +SKIP
    'gerdel'
    """
    for _ in range(1000):
        letters = list(word)
        vowels = [i for i, ch in enumerate(letters) if ch in VOWELS]
        consonants = [i for i, ch in enumerate(letters) if ch in CONSONANTS]
        for positions, alphabet in ((vowels, VOWELS), (consonants, CONSONANTS)):
            if positions:
                i = rng.choice(positions)
                letters[i] = rng.choice([ch for ch in alphabet if ch != letters[i]])
        candidate = "".join(letters)
        if candidate != word and candidate not in avoid:
            return candidate
    raise RuntimeError(f"no non-word found for {word!r}")


def write_lm_sets(
    root: Path, *, spoken: Sequence[str], speakers: Sequence[Speaker], seed: int, processes: int = 1
) -> None:
    """Write ``lexical/dev`` and ``syntactic/dev`` under ``root`` (see the module docstring)."""
    rng = random.Random(seed * SEED_OFFSET + 1)
    counts = Counter(w for text in spoken for w in text.split())
    candidates = lexical_items(rng, spoken)
    avoid = set(candidates) | set(vocabulary.words()) | set(counts)
    pseudo: dict[str, str] = {}
    for w in candidates:
        pseudo[w] = non_word(w, rng, avoid=avoid)
        avoid.add(pseudo[w])
    failed = _unspeakable(candidates + list(pseudo.values()), speakers)
    words = [w for w in candidates if w not in failed]
    for _ in range(MAX_SCREENING_ROUNDS):
        redraw = [w for w in words if pseudo[w] in failed]
        if not redraw:
            break
        for w in redraw:
            pseudo[w] = non_word(w, rng, avoid=avoid)
            avoid.add(pseudo[w])
        failed = _unspeakable([pseudo[w] for w in redraw], speakers)
    else:
        raise InputError(f"espeak-ng cannot speak non-words for {redraw} after {MAX_SCREENING_ROUNDS} draws")
    pseudo = [pseudo[w] for w in words]
    pairs = [(type_, subtype, k + 1, *build(rng)) for (type_, subtype), build in PHENOMENA.items()
             for k in range(IDS_PER_SUBTYPE)]

    lexical_keys = [(i, spk, text, correct) for i, (w, nw) in enumerate(zip(words, pseudo))
                    for spk in speakers for text, correct in ((w, True), (nw, False))]
    syntactic_keys = [(pair, spk, correct) for pair in pairs for spk in speakers for correct in (True, False)]
    texts = [text for _, _, text, _ in lexical_keys] + [p[3] if ok else p[4] for p, _, ok in syntactic_keys]
    voices = [spk for _, spk, _, _ in lexical_keys] + [spk for _, spk, _ in syntactic_keys]
    # the official sWUGGY / sBLIMP sets are TTS: espeak's plain output at every difficulty
    jobs = [plain_job(t, s, seed * 1_000_003 + 500_000 + k) for k, (t, s) in enumerate(zip(texts, voices))]
    utts = synthesize_all(jobs, processes=processes)
    names = _random_names(rng, len(jobs))

    folder = root / "lexical" / "dev"
    folder.mkdir(parents=True)
    rows = []
    for (i, spk, text, correct), utt, name in zip(lexical_keys, utts, names):
        _write_wav(folder / f"{name}.wav", utt.audio)
        phones = _phones(utt)
        frequency = counts[words[i]] if correct else ""
        rows.append([1000 + i, name, spk.label, frequency, text if correct else "", " ".join(phones), len(phones), int(correct)])
    _write_csv(folder / "gold.csv", ["id", "filename", "voice", "frequency", "word", "phones", "length", "correct"], rows)

    folder = root / "syntactic" / "dev"
    folder.mkdir(parents=True)
    rows = []
    offset = len(lexical_keys)
    for (pair, spk, correct), utt, name in zip(syntactic_keys, utts[offset:], names[offset:]):
        _write_wav(folder / f"{name}.wav", utt.audio)
        type_, subtype, id_, good, bad = pair
        rows.append([id_, name, spk.label, type_, subtype, int(correct), good if correct else bad])
    _write_csv(folder / "gold.csv", ["id", "filename", "voice", "type", "subtype", "correct", "transcription"], rows)


def _unspeakable(texts: Sequence[str], speakers: Sequence[Speaker]) -> set[str]:
    """The texts that some speaker's espeak-ng reads with a phoneme that has no ARPAbet phone.

    Screened in a fresh process (``python -m vgprobe.synth.lm_sets``), as libespeak-ng keeps
    state within a process: a letter string can contain a spelling espeak reads with a rare
    phoneme (a glottal stop, a Welsh ``ll``), and the set must never hold a file without phones.
    """
    request = {"texts": list(texts), "speakers": [[s.voice, s.variant, s.pitch, s.rate] for s in speakers]}
    proc = subprocess.run([sys.executable, "-m", "vgprobe.synth.lm_sets"], input=json.dumps(request),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise InputError(f"screening words with espeak-ng failed: {lines[-1] if lines else proc.returncode}")
    return set(json.loads(proc.stdout))


def _screen_main() -> int:
    from vgprobe.synth.alignment import align
    from vgprobe.synth.espeak import Espeak

    request = json.load(sys.stdin)
    tts = Espeak()
    bad = []
    for text in request["texts"]:
        for voice, variant, pitch, rate in request["speakers"]:
            try:
                align(tts.synthesize(text, voice=voice, variant=variant, pitch=pitch, rate=rate), text=text)
            except InputError:
                bad.append(text)
                break
    print(json.dumps(bad))
    return 0


def _phones(utt: Utterance) -> list[str]:
    return [p.label for p in utt.alignment.phones]


def _random_names(rng: random.Random, n: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < n:
        names.setdefault("".join(rng.choice(string.ascii_letters) for _ in range(12)), None)
    return list(names)


def _write_wav(path: Path, audio: np.ndarray) -> None:
    import soundfile as sf

    sf.write(str(path), audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(_screen_main())
