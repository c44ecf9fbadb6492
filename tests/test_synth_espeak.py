import pytest

from vgprobe.errors import ConfigError, InputError
from vgprobe.synth.worker import Job, check_voices, synthesize_all

pytest.importorskip("espeakng_loader")


def test_unknown_voice_and_variant_are_rejected_before_synthesis():
    check_voices([("en-us", "m3"), ("en-gb-scotland", None)])
    with pytest.raises(ConfigError, match="unknown espeak voice 'xx-nowhere'"):
        check_voices([("xx-nowhere", None)])
    with pytest.raises(ConfigError, match="unknown espeak variant 'nobody'"):
        check_voices([("en-us", "nobody")])


def test_a_worker_rejects_an_unknown_voice_with_a_clear_error():
    with pytest.raises(InputError, match="unknown espeak voice"):
        synthesize_all([Job("a cat", "xx-nowhere", None, 50, 175, 0)])


def test_empty_text_is_an_error():
    with pytest.raises(InputError, match="empty text"):
        synthesize_all([Job("   ", "en-us", None, 50, 175, 0)])


def test_synthesis_gives_16khz_int16_audio_with_phones_inside_it():
    [utt] = synthesize_all([Job("get the cat", "en-us", "m3", 50, 175, 0)])
    assert utt.audio.dtype.name == "int16" and utt.audio.ndim == 1
    labels = [p.label for p in utt.alignment.phones]
    assert labels == ["G", "EH", "T", "DH", "AH", "K", "AE", "T"]
    assert 0.15 <= utt.alignment.phones[0].start and utt.alignment.phones[-1].end <= utt.duration - 0.15 + 1e-9


def test_same_jobs_give_identical_audio_whatever_the_number_of_processes():
    jobs = [Job(f"the {w} dog ate the bread", "en", "m2", 40, 190, i) for i, w in enumerate(["big", "small"] * 40)]
    one = synthesize_all(jobs, processes=1)
    two = synthesize_all(jobs, processes=2)
    assert all((a.audio == b.audio).all() and a.alignment == b.alignment for a, b in zip(one, two))


def test_rate_changes_the_duration_and_pitch_the_audio():
    slow, fast, high = synthesize_all(
        [Job("a red square", "en-us", "m1", 50, 120, 0), Job("a red square", "en-us", "m1", 50, 260, 0),
         Job("a red square", "en-us", "m1", 90, 120, 0)]
    )
    assert slow.duration > fast.duration * 1.3
    n = min(len(high.audio), len(slow.audio))
    assert len(high.audio) == pytest.approx(len(slow.audio), rel=0.05)
    assert (high.audio[:n] != slow.audio[:n]).mean() > 0.5
