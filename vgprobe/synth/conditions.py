"""How hard the synthetic speech is: the ``--difficulty`` presets and the random ranges behind them.

espeak-ng says the same phone the same way every time, so its raw output is far easier than read
speech: log-mel features score about 1 % ABX error on it, against 10–20 % on LibriSpeech. The
``realistic`` preset adds the two kinds of variability that recorded speech has (ranges below):

- inside a speaker (:class:`ProsodyRanges`, applied by ``prosody.py``): each utterance draws its
  rate, pitch and pitch range around the speaker's own, each word its rate and pitch (SSML
  ``<prosody>``), word boundaries get pauses now and then (``<break>``), and a speaker alternates
  between a few espeak variants of one voice family (the same accent);
- the recording (:class:`RoomRanges`, :class:`NoiseRanges`, :class:`MicRanges`, applied by
  ``channel.py``): each speaker records a few sessions ("chapters"); a session is a simulated room
  (reverberation time, talker-to-microphone distance), a background noise (babble of other
  synthetic talkers, or pink, brown or white noise) at a signal-to-noise ratio that varies per
  utterance around the session's, and a microphone response (high-pass, band limit, a random smooth
  colouring) with a recording level.

Tiers mirror LibriSpeech: ``clean`` (dev-clean, the semantic ``librispeech`` tokens and the image
captions) and ``other`` (dev-other: besides its rarer voices, more noise, more reverberation, a
narrower band and livelier prosody).

Difficulty ``clean`` draws none of this: the audio is espeak's, padded and dithered, byte for byte
what vgprobe wrote before the presets existed (:func:`conditions` returns ``None``).

    >>> conditions("realistic", tier="other").noise.snr_db       # (session SNR range, dB)
    (8.0, 25.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vgprobe.errors import ConfigError

Difficulty = Literal["clean", "realistic"]
DIFFICULTIES: tuple[str, ...] = ("clean", "realistic")
DEFAULT_DIFFICULTY: Difficulty = "realistic"
Tier = Literal["clean", "other"]


@dataclass(frozen=True)
class ProsodyRanges:
    variant_weights: tuple[float, ...]  # how often a speaker uses its 1st, 2nd, ... espeak variant
    rate_sd: float  # per utterance: std of the log rate factor around the speaker's rate
    pitch_sd: float  # per utterance: std of the pitch around the speaker's (espeak units, 0..100)
    range_mean: float  # per utterance: pitch range (espeak units, 0 monotone .. 100, default 50)
    range_sd: float
    word_rate_sd: float  # per word: std of the log rate factor (SSML <prosody rate>)
    word_pitch_sd: float  # per word: std of the pitch change, percent (SSML <prosody pitch>)
    pause_probability: float  # per word boundary: probability of an SSML <break>
    pause_ms: tuple[int, int]  # its length, uniform


@dataclass(frozen=True)
class RoomRanges:
    rt60_s: tuple[float, float]  # reverberation time (Sabine), uniform
    distance_m: tuple[float, float]  # talker to microphone, uniform
    floor_m: tuple[float, float]  # each side of the (shoebox) floor, uniform
    height_m: tuple[float, float]


@dataclass(frozen=True)
class NoiseRanges:
    snr_db: tuple[float, float]  # the session's SNR, uniform (speech power over the spoken span)
    snr_sd_db: float  # per utterance around the session's
    kinds: tuple[tuple[str, float], ...]  # (noise kind, probability): babble, pink, brown, white
    talkers: tuple[int, int]  # babble: simultaneous talkers, uniform


@dataclass(frozen=True)
class MicRanges:
    highpass_hz: tuple[float, float]  # 2nd-order high-pass corner, uniform
    lowpass_hz: tuple[float, float]  # 8th-order low-pass corner (band limit), uniform; >= 7.9 kHz: none
    colour_sd_db: float  # std of the smooth random gain curve (dB, at log-spaced frequencies)
    level_dbfs: tuple[float, float]  # the session's speech RMS level, uniform
    level_sd_db: float  # per utterance around the session's


@dataclass(frozen=True)
class Conditions:
    prosody: ProsodyRanges
    room: RoomRanges
    noise: NoiseRanges
    mic: MicRanges
    sessions_per_speaker: int


_NOISE_KINDS = (("babble", 0.4), ("pink", 0.3), ("brown", 0.2), ("white", 0.1))

_REALISTIC: dict[str, Conditions] = {
    "clean": Conditions(
        prosody=ProsodyRanges(
            variant_weights=(0.75, 0.25), rate_sd=0.08, pitch_sd=5.0, range_mean=50.0, range_sd=12.0,
            word_rate_sd=0.10, word_pitch_sd=6.0, pause_probability=0.10, pause_ms=(40, 300),
        ),
        room=RoomRanges(rt60_s=(0.15, 0.5), distance_m=(0.3, 1.2), floor_m=(3.0, 6.0), height_m=(2.4, 3.0)),
        noise=NoiseRanges(snr_db=(12.0, 30.0), snr_sd_db=3.0, kinds=_NOISE_KINDS, talkers=(3, 8)),
        mic=MicRanges(highpass_hz=(50.0, 150.0), lowpass_hz=(5000.0, 8000.0), colour_sd_db=3.0,
                      level_dbfs=(-32.0, -20.0), level_sd_db=1.5),
        sessions_per_speaker=2,
    ),
    "other": Conditions(
        prosody=ProsodyRanges(
            variant_weights=(0.7, 0.2, 0.1), rate_sd=0.10, pitch_sd=6.0, range_mean=50.0, range_sd=15.0,
            word_rate_sd=0.12, word_pitch_sd=8.0, pause_probability=0.12, pause_ms=(40, 400),
        ),
        room=RoomRanges(rt60_s=(0.2, 0.6), distance_m=(0.4, 1.5), floor_m=(3.5, 8.0), height_m=(2.4, 3.5)),
        noise=NoiseRanges(snr_db=(8.0, 25.0), snr_sd_db=4.0, kinds=_NOISE_KINDS, talkers=(2, 6)),
        mic=MicRanges(highpass_hz=(60.0, 200.0), lowpass_hz=(4500.0, 8000.0), colour_sd_db=4.0,
                      level_dbfs=(-36.0, -18.0), level_sd_db=2.5),
        sessions_per_speaker=2,
    ),
}


def check_difficulty(difficulty: str) -> None:
    if difficulty not in DIFFICULTIES:
        raise ConfigError(f"unknown difficulty {difficulty!r}; expected one of {', '.join(DIFFICULTIES)}")


def conditions(difficulty: str, *, tier: Tier) -> Conditions | None:
    """The ranges of ``tier`` under ``difficulty``; ``None`` for difficulty ``clean`` (espeak as is)."""
    check_difficulty(difficulty)
    if difficulty == "clean":
        return None
    return _REALISTIC[tier]
