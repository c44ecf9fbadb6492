"""The ``realistic`` difficulty: harder speech, the same exact alignments, the same determinism.

Specification:
- no transformation moves the signal in time: the room response is applied aligned to its direct
  path, the microphone filter has no delay, and a recorded word starts where its alignment says;
- prosody drawn per utterance and per word (SSML) keeps the words and phones of the text;
- ``clean`` is espeak's plain rendering, nothing added;
- ``realistic`` is harder than ``clean``, and its dev-other harder than its dev-clean, on a pooled
  log-mel phone ABX (measured 2026-12-02 with seeds 5 and 6, 2 speakers x 10 sentences: clean 0.02-0.03,
  realistic dev-clean 0.14, dev-other 0.24-0.27);
- a build is byte-identical whatever the number of processes.
"""

import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from synth_measures import pooled_within_speaker_abx

from vgprobe.cli import main
from vgprobe.errors import ConfigError

pytest.importorskip("espeakng_loader")
pytest.importorskip("pyroomacoustics")

from vgprobe.synth import build_zr2021  # noqa: E402
from vgprobe.synth.alignment import text_words  # noqa: E402
from vgprobe.synth.channel import draw_session, record  # noqa: E402
from vgprobe.synth.conditions import DIFFICULTIES, conditions  # noqa: E402
from vgprobe.synth.mic import TAPS, apply_fir, draw_response  # noqa: E402
from vgprobe.synth.prosody import utterance_job  # noqa: E402
from vgprobe.synth.room import draw_room, impulse_response, reverberate  # noqa: E402
from vgprobe.synth.speakers import pick_speakers, speaker_variants  # noqa: E402
from vgprobe.synth.speech import plain_job  # noqa: E402
from vgprobe.synth.worker import synthesize_all  # noqa: E402

SMALL = dict(speakers=2, sentences=10, seed=5, semantic_voices=1, semantic_sentences=1, pairs_per_dataset=1)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("zr")
    return {d: build_zr2021(base / d, difficulty=d, **SMALL) for d in ("clean", "realistic")}


@pytest.mark.parametrize("tier", ["clean", "other"])
def test_the_room_response_peaks_at_its_direct_path_and_reverberation_keeps_time(tier):
    rng = np.random.default_rng(0)
    for _ in range(3):
        rir = impulse_response(draw_room(rng, ranges=conditions("realistic", tier=tier).room))
        assert abs(int(np.argmax(np.abs(rir.samples))) - rir.direct) <= 1
        click = np.zeros(8000)
        click[3000] = 1.0
        assert abs(int(np.argmax(np.abs(reverberate(click, rir)))) - 3000) <= 1


def test_the_microphone_filter_is_symmetric_and_has_no_delay():
    rng = np.random.default_rng(1)
    for tier in ("clean", "other"):
        fir = draw_response(rng, ranges=conditions("realistic", tier=tier).mic)
        assert len(fir) == TAPS and np.allclose(fir, fir[::-1])
        click = np.zeros(4000)
        click[1234] = 1.0
        assert int(np.argmax(np.abs(apply_fir(click, fir)))) == 1234


@pytest.fixture(scope="module")
def dry_word():
    spk = pick_speakers(random.Random(0), n=1, pool="clean", first_id=100)[0]
    [utt] = synthesize_all([plain_job("map", spk, 0)])
    return utt


def _onset(x: np.ndarray, *, above_db: float) -> float:
    """Start (s) of the first 10 ms frame whose energy exceeds the first 100 ms's by ``above_db``."""
    frames = x[: len(x) // 160 * 160].astype(np.float64).reshape(-1, 160)
    energy = 10 * np.log10((frames**2).mean(1) + 1e-9)
    floor = np.median(energy[:10])
    return float(np.argmax(energy > floor + above_db)) * 0.01


@pytest.mark.parametrize("tier", ["clean", "other"])
def test_a_recorded_word_starts_where_its_alignment_says(dry_word, tier):
    cond = conditions("realistic", tier=tier)
    quiet = replace(cond, noise=replace(cond.noise, snr_db=(40.0, 40.0), snr_sd_db=0.0))
    rng = np.random.default_rng(2)
    start = dry_word.alignment.phones[0].start
    span = (start, dry_word.alignment.phones[-1].end)
    for _ in range(3):
        session = draw_session(rng, conditions=quiet)
        wet = record(dry_word.audio.astype(np.float64), span=span, session=session, rng=rng, babble_pool=[dry_word.audio])
        assert len(wet) == len(dry_word.audio) and wet.dtype == np.int16
        assert abs(_onset(wet, above_db=20.0) - start) <= 0.010, session.room


def test_at_realistic_snr_the_recording_lines_up_with_the_dry_signal(dry_word):
    cond = conditions("realistic", tier="other")
    rng = np.random.default_rng(3)
    phones = dry_word.alignment.phones
    dry = dry_word.audio.astype(np.float64)
    for _ in range(3):
        session = draw_session(rng, conditions=cond)
        wet = record(dry, span=(phones[0].start, phones[-1].end), session=session, rng=rng, babble_pool=[dry_word.audio])
        lags = np.arange(-200, 201)
        xc = [np.dot(dry[200:-200], wet[200 + k : len(wet) - 200 + k]) for k in lags]
        assert abs(lags[int(np.argmax(xc))]) <= 1  # within a sample: the direct path lands on the nearest one


def test_drawn_prosody_keeps_the_words_and_phones_of_the_text():
    rng = random.Random(1)
    spk = pick_speakers(rng, n=1, pool="other", first_id=200)[0]
    ranges = replace(conditions("realistic", tier="other").prosody, pause_probability=0.5)
    text = "a big red circle, a small blue star and a heart on the grass"
    jobs = [utterance_job(text, speaker=spk, variants=speaker_variants(rng, spk, n=3), ranges=ranges,
                          rng=np.random.default_rng(i), seed=i) for i in range(6)]
    assert all(j.ssml and "<break" in j.text for j in jobs)
    for utt in synthesize_all(jobs):
        al = utt.alignment
        assert " ".join(w.text for w in al.words) == " ".join(w for _, w in text_words(text))
        for p, q in zip(al.phones, al.phones[1:]):
            assert p.start < p.end <= q.start
        for p in al.phones:
            assert al.words[p.word].start <= p.start and p.end <= al.words[p.word].end
    durations = {round(u.duration, 3) for u in synthesize_all(jobs)}
    assert len(durations) == len(jobs)  # every draw says it differently


def test_clean_is_espeaks_plain_output(sets):
    """The first dev-clean speaker's first sentence, rendered alone by the worker, is the file's audio."""
    root = sets["clean"]
    spk = pick_speakers(random.Random(SMALL["seed"]), n=SMALL["speakers"], pool="clean", first_id=100)[0]
    words = [w for _, _, w in json.loads((root / "phonetic/dev-clean/dev-clean.words.json").read_text())["100-1-0000"]]
    [utt] = synthesize_all([plain_job(" ".join(words), spk, SMALL["seed"] * 1_000_003)])
    audio, rate = sf.read(root / "phonetic/dev-clean/100-1-0000.wav", dtype="int16")
    assert rate == 16000 and np.array_equal(audio, utt.audio)


def test_realistic_is_harder_than_clean_and_dev_other_harder_than_dev_clean(sets):
    err = {
        (d, s): pooled_within_speaker_abx(root / "phonetic" / s, root / "phonetic" / s / f"{s}.phoneme.item")
        for d, root in sets.items() for s in ("dev-clean", "dev-other")
    }
    assert err["clean", "dev-clean"] < 0.06
    assert err["realistic", "dev-clean"] > 2 * err["clean", "dev-clean"] and err["realistic", "dev-clean"] > 0.07
    assert err["realistic", "dev-other"] > err["realistic", "dev-clean"] + 0.04


def test_a_realistic_build_is_byte_identical_whatever_the_number_of_processes(sets, tmp_path):
    again = build_zr2021(tmp_path / "again", difficulty="realistic", processes=2, **SMALL)
    assert _files(again) == _files(sets["realistic"])


def test_an_unknown_difficulty_is_refused_and_the_cli_offers_the_known_ones(tmp_path, capsys):
    from vgprobe.commands import synth as synth_command

    assert synth_command.DIFFICULTIES == DIFFICULTIES
    with pytest.raises(ConfigError, match="unknown difficulty 'noisy'; expected one of clean, realistic"):
        build_zr2021(tmp_path / "x", difficulty="noisy", **SMALL)
    assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):
        main(["synth", "zr2021", "--out", str(tmp_path / "y"), "--difficulty", "noisy"])
    assert "invalid choice: 'noisy'" in capsys.readouterr().err
