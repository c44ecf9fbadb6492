import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from praatio import textgrid

from vgprobe.cli import main
from vgprobe.errors import ConfigError
from vgprobe.synth.alignment import text_words
from vgprobe.synth.phones import ARPABET
from vgprobe.zerospeech import layout

pytest.importorskip("espeakng_loader")

from vgprobe.synth import build_zr2021  # noqa: E402

SMALL = dict(speakers=2, sentences=4, seed=1, semantic_voices=2, semantic_sentences=12, pairs_per_dataset=12)


@pytest.fixture(scope="module")
def zr(tmp_path_factory) -> Path:
    return build_zr2021(tmp_path_factory.mktemp("zr") / "set", **SMALL)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_is_the_zerospeech_2021_one(zr):
    for subset in layout.phonetic_subsets("dev"):
        assert len(list(layout.phonetic_wav_dir(zr, subset).glob("*.wav"))) == 2 * 4
        assert layout.item_file(zr, subset).name == f"{subset}.item"
        assert layout.item_file(zr, subset, kind="phoneme").name == f"{subset}.phoneme.item"
    for type_ in layout.SEMANTIC_TYPES:
        assert list(layout.semantic_wav_dir(zr, "dev", type_).glob("*.wav"))
    assert layout.semantic_gold(zr, "dev").is_file() and layout.semantic_pairs(zr, "dev").is_file()


def test_every_wav_is_16khz_mono_pcm16(zr):
    for path in zr.rglob("*.wav"):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), path


def test_item_files_parse_and_spans_lie_inside_their_files(zr):
    for subset in layout.phonetic_subsets("dev"):
        durations = {p.stem: sf.info(str(p)).duration for p in layout.phonetic_wav_dir(zr, subset).glob("*.wav")}
        for kind in ("triphone", "phoneme"):
            lines = layout.item_file(zr, subset, kind=kind).read_text().splitlines()
            assert lines[0] == "#file onset offset #phone prev-phone next-phone speaker"
            assert len(lines) > 100
            for line in lines[1:]:
                f, on, off, phone, prev, nxt, spk = line.split(" ")
                assert 0 < float(on) < float(off) <= durations[f], line
                assert f.startswith(f"{spk}-")
                if kind == "triphone":
                    assert "SIL" not in (prev, phone, nxt)


def test_word_alignments_lie_beside_the_audio_as_json_and_textgrids(zr):
    for subset in layout.phonetic_subsets("dev"):
        folder = layout.phonetic_wav_dir(zr, subset)
        table = json.loads((folder / f"{subset}.words.json").read_text())
        assert set(table) == {p.stem for p in folder.glob("*.wav")}
        phone_items: dict[str, list[tuple[float, float, str]]] = {}
        for line in layout.item_file(zr, subset, kind="phoneme").read_text().splitlines()[1:]:
            f, on, off, phone, *_ = line.split()
            phone_items.setdefault(f, []).append((float(on), float(off), phone))
        for stem, words in table.items():
            duration = sf.info(str(folder / f"{stem}.wav")).duration
            assert all(isinstance(on, float) and isinstance(off, float) for on, off, _ in words)
            assert all(0 < on < off <= duration for on, off, _ in words)
            assert all(a[1] <= b[0] for a, b in zip(words, words[1:]))
            grid = textgrid.openTextgrid(str(folder / f"{stem}.TextGrid"), includeEmptyIntervals=False)
            assert grid.tierNames == ("words", "phones") and grid.maxTimestamp == pytest.approx(duration, abs=1e-5)
            assert [list(e) for e in grid.getTier("words").entries] == words
            phones = grid.getTier("phones").entries
            assert {p.label for p in phones} <= set(ARPABET)
            assert [p.label for p in phones] == [lab for _, _, lab in phone_items[stem]]
            spans = np.array([(p.start, p.end) for p in phones])
            items = np.array([(on, off) for on, off, _ in phone_items[stem]])
            np.testing.assert_allclose(spans, items, rtol=0, atol=6e-5)  # 5 vs 4 decimals
            for on, off, w in words:  # each word's phones tile it
                inside = [p for p in phones if on <= p.start and p.end <= off]
                assert inside and inside[0].start == on and inside[-1].end == off, (stem, w)


def test_aligned_words_are_the_words_of_the_text(zr):
    """Every dev-clean and dev-other speaker reads the same sentences, so word sequences repeat."""
    for subset in layout.phonetic_subsets("dev"):
        table = json.loads((layout.phonetic_wav_dir(zr, subset) / f"{subset}.words.json").read_text())
        by_sentence: dict[str, set[str]] = {}
        for stem, words in table.items():
            by_sentence.setdefault(stem.split("-")[-1], set()).add(" ".join(w for _, _, w in words))
        assert all(len(texts) == 1 for texts in by_sentence.values()), by_sentence
        for (text,) in by_sentence.values():
            assert text == " ".join(w for _, w in text_words(text))


def test_dev_clean_and_dev_other_have_different_speakers(zr):
    speakers = {
        s: {line.split()[-1] for line in layout.item_file(zr, s).read_text().splitlines()[1:]}
        for s in layout.phonetic_subsets("dev")
    }
    assert len(speakers["dev-clean"]) == len(speakers["dev-other"]) == 2
    assert not speakers["dev-clean"] & speakers["dev-other"]


def test_gold_and_pairs_have_the_zr2021_columns_and_agree(zr):
    gold = list(csv.DictReader(open(layout.semantic_gold(zr, "dev"))))
    assert list(gold[0]) == ["type", "filename", "word", "voice"]
    for row in gold:
        assert (layout.semantic_wav_dir(zr, "dev", row["type"]) / f"{row['filename']}.wav").is_file()
    tokens: dict[tuple[str, str], int] = {}
    for row in gold:
        tokens[row["type"], row["word"]] = tokens.get((row["type"], row["word"]), 0) + 1
    assert max(tokens.values()) <= 10
    pairs = list(csv.DictReader(open(layout.semantic_pairs(zr, "dev"))))
    assert list(pairs[0]) == ["type", "dataset", "word_1", "word_2", "similarity", "relatedness"]
    seen = set()
    for row in pairs:
        assert (row["type"], row["word_1"]) in tokens and (row["type"], row["word_2"]) in tokens
        filled = [c for c in ("similarity", "relatedness") if row[c] != ""]
        assert filled == (["similarity"] if row["dataset"] == "taxonomy" else ["relatedness"])
        seen.add((row["type"], row["dataset"]))
    assert seen == {(t, d) for t in ("synthetic", "librispeech") for d in ("taxonomy", "themes")}


def test_synthetic_words_are_spoken_by_every_voice(zr):
    gold = [r for r in csv.DictReader(open(layout.semantic_gold(zr, "dev"))) if r["type"] == "synthetic"]
    voices = {r["voice"] for r in gold}
    words = {r["word"] for r in gold}
    assert len(voices) == 2 and len(gold) == len(words) * len(voices)


def test_same_arguments_give_byte_identical_files(zr, tmp_path):
    again = build_zr2021(tmp_path / "again", **SMALL)
    assert _files(again) == _files(zr)


def test_rebuilding_in_place_is_a_no_op_and_other_arguments_are_refused(zr):
    before = _files(zr)
    assert build_zr2021(zr, **SMALL) == zr
    assert _files(zr) == before
    with pytest.raises(ConfigError, match="already holds other data"):
        build_zr2021(zr, **{**SMALL, "seed": 2})


def test_a_folder_with_foreign_files_is_refused_and_left_alone(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="already holds other data"):
        build_zr2021(tmp_path, **SMALL)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_an_unwritable_parent_is_a_clear_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="cannot write the output folder"):
            build_zr2021(locked / "zr", **SMALL)
    finally:
        locked.chmod(0o700)


def test_a_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    import vgprobe.synth.zr2021 as zr2021

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(zr2021, "_write_semantic_csvs", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        build_zr2021(tmp_path / "zr", **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_builds_the_set_and_reports_bad_arguments(tmp_path, capsys):
    assert main(["synth", "zr2021", "--out", str(tmp_path / "a"), "--speakers", "1", "--sentences", "1"]) == 0
    assert layout.item_file(tmp_path / "a", "dev-clean").is_file()
    assert main(["synth", "zr2021", "--out", str(tmp_path / "b"), "--speakers", "0"]) == 2
    assert "--speakers must be between 1 and" in capsys.readouterr().err


def test_an_output_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot write the output folder"):
        build_zr2021(tmp_path / "file" / "zr", **SMALL)
