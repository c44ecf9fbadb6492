"""``vgprobe synth zr2021`` writes lexical and syntactic dev sets in the official layout, which the scorers accept."""

import csv
import random
import warnings
from collections import Counter

import pytest
import soundfile as sf

from vgprobe.synth.lm_sets import OUT_OF_VOCABULARY, PHENOMENA, non_word
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.lm.gold import LEXICAL_COLUMNS, SYNTACTIC_COLUMNS
from vgprobe.zerospeech.lm.lexical import score_lexical
from vgprobe.zerospeech.lm.syntactic import score_syntactic


def test_a_non_word_keeps_the_length_changes_letters_and_avoids_real_words():
    rng = random.Random(0)
    for word in ("garden", "the", "on", "rabbit"):
        nw = non_word(word, rng, avoid={"gorden", "garten"})
        assert len(nw) == len(word) and nw != word and nw not in {"gorden", "garten"}


def test_every_phenomenon_gives_two_different_sentences_of_vocabulary_words():
    rng = random.Random(1)
    for build in PHENOMENA.values():
        good, bad = build(rng)
        assert good != bad and sorted(good.split()) != [] and len(good.split()) >= 3


@pytest.fixture(scope="module")
def zr(tmp_path_factory):
    pytest.importorskip("espeakng_loader")
    from vgprobe.synth import build_zr2021

    return build_zr2021(tmp_path_factory.mktemp("lm") / "zr", speakers=2, sentences=3, seed=3, semantic_voices=2,
                        semantic_sentences=4, pairs_per_dataset=4)


def rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, r)) for r in reader]


def test_lexical_gold_has_the_official_columns_and_a_wav_per_line(zr):
    header, lines = rows(layout.lexical_gold(zr, "dev"))
    assert tuple(header) == LEXICAL_COLUMNS
    folder = layout.lm_wav_dir(zr, "lexical", "dev")
    assert sorted(p.stem for p in folder.glob("*.wav")) == sorted(r["filename"] for r in lines)
    info = sf.info(str(folder / f"{lines[0]['filename']}.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    pairs = Counter((r["id"], r["voice"], r["correct"]) for r in lines)
    assert set(pairs.values()) == {1} and len(pairs) == len(lines)
    for r in lines:
        assert r["phones"] and int(r["length"]) == len(r["phones"].split())
        if r["correct"] == "0":
            assert r["word"] == "" and r["frequency"] == ""
    frequency = {r["word"]: int(r["frequency"]) for r in lines if r["correct"] == "1"}
    assert frequency["the"] > 0 and 0 in frequency.values()  # in vocabulary and out of vocabulary words


def test_frequencies_count_the_words_of_the_spoken_texts(tmp_path):
    pytest.importorskip("espeakng_loader")
    from vgprobe.synth.lm_sets import write_lm_sets
    from vgprobe.synth.speakers import pick_speakers

    spoken = ["the dog sat near the car", "the cat ate the cake", "we saw the dog"]
    write_lm_sets(tmp_path, spoken=spoken, speakers=pick_speakers(random.Random(0), n=1, pool="clean", first_id=300),
                  seed=0)
    _, lines = rows(layout.lexical_gold(tmp_path, "dev"))
    freq = {r["word"]: int(r["frequency"]) for r in lines if r["correct"] == "1"}
    counts = Counter(w for text in spoken for w in text.split())
    assert {w: freq[w] for w in ("the", "sat", "near", "ate", "we", "saw")} == {
        w: counts[w] for w in ("the", "sat", "near", "ate", "we", "saw")}
    assert all(freq[w] == counts[w] for w in freq)
    assert {w for w in OUT_OF_VOCABULARY if w in freq} and all(freq[w] == 0 for w in OUT_OF_VOCABULARY if w in freq)


def test_syntactic_gold_pairs_each_sentence_with_its_twin_on_the_next_line(zr):
    header, lines = rows(layout.syntactic_gold(zr, "dev"))
    assert tuple(header) == SYNTACTIC_COLUMNS
    assert [r["correct"] for r in lines] == ["1", "0"] * (len(lines) // 2)
    for good, bad in zip(lines[::2], lines[1::2]):
        assert [good[k] for k in ("id", "voice", "type", "subtype")] == [bad[k] for k in ("id", "voice", "type", "subtype")]
        assert good["transcription"] != bad["transcription"]
    assert {(r["type"], r["subtype"]) for r in lines} == set(PHENOMENA)


def test_the_scorers_accept_the_sets_without_warnings(zr, tmp_path):
    for task, gold, score in (("lexical", layout.lexical_gold(zr, "dev"), score_lexical),
                              ("syntactic", layout.syntactic_gold(zr, "dev"), score_syntactic)):
        _, lines = rows(gold)
        txt = tmp_path / f"{task}.txt"
        txt.write_text("".join(f"{r['filename']} {-len(r['filename'])}\n" for r in lines))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = score(gold, txt)
        assert result.results[0].n_pairs > 0 and result.results[0].score == 0.5  # all ties
