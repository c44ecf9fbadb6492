"""The recording of one utterance: room, background noise, microphone, level.

    >>> session = draw_session(rng, conditions=cond)              # one speaker's recording session
    >>> audio = record(dry, span=(0.15, 2.31), session=session, rng=rng, babble_pool=pool)   # int16 (n,)

A session (one per speaker and "chapter", drawn once) fixes the room (``room.py``), the noise kind
and its typical SNR, the microphone response (``mic.py``) and the recording level. Each utterance
then draws its own SNR (normal around the session's), its noise (``noise.py``) and a small level
change. The chain, in order:

1. reverberation, aligned to the direct path (no delay);
2. noise added at the drawn SNR, measured against the reverberant speech over ``span`` (the spoken
   part, in seconds); babble is reverberated in the same room first, coloured noise is not;
3. the microphone response (zero-delay FIR);
4. the level: speech RMS over ``span`` set to the drawn dBFS, lowered if the peak would clip;
5. rounding to int16.

No step moves the signal in time, so the alignment of the dry utterance holds for the recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgprobe.audio import SAMPLE_RATE
from vgprobe.synth.conditions import Conditions
from vgprobe.synth.mic import apply_fir, draw_response
from vgprobe.synth.noise import babble, coloured_noise, scaled_to_snr
from vgprobe.synth.room import RIR, Room, draw_room, impulse_response, reverberate

EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
PEAK_LIMIT = 0.98 * 32767


@dataclass(frozen=True)
class Session:
    room: Room
    rir: RIR
    noise: str  # "babble", "pink", "brown" or "white"
    talkers: int  # babble talkers
    snr_db: float
    snr_sd_db: float
    mic: np.ndarray  # FIR taps
    level_dbfs: float
    level_sd_db: float


def draw_session(rng: np.random.Generator, *, conditions: Conditions) -> Session:
    """One recording session drawn from the preset's ranges."""
    room = draw_room(rng, ranges=conditions.room)
    kinds, probs = zip(*conditions.noise.kinds)
    p = np.asarray(probs, dtype=np.float64)
    noise = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
    talkers = int(rng.integers(conditions.noise.talkers[0], conditions.noise.talkers[1] + 1))
    snr = float(rng.uniform(*conditions.noise.snr_db))
    mic = draw_response(rng, ranges=conditions.mic)
    level = float(rng.uniform(*conditions.mic.level_dbfs))
    return Session(room, impulse_response(room), noise, talkers, snr, conditions.noise.snr_sd_db, mic, level,
                   conditions.mic.level_sd_db)


def record(
    dry: np.ndarray,
    *,
    span: tuple[float, float],
    session: Session,
    rng: np.random.Generator,
    babble_pool: list[np.ndarray],
) -> np.ndarray:
    """The int16 recording (same length as ``dry``) of the dry utterance; see the module docstring."""
    n = len(dry)
    a, b = int(span[0] * SAMPLE_RATE), max(int(span[1] * SAMPLE_RATE), int(span[0] * SAMPLE_RATE) + 1)
    wet = reverberate(dry, session.rir)
    speech_power = float(np.mean(wet[a:b] ** 2))
    if session.noise == "babble":
        noise = reverberate(babble(rng, babble_pool, n, talkers=session.talkers), session.rir)
    else:
        noise = coloured_noise(rng, n, exponent=EXPONENTS[session.noise])
    snr = rng.normal(session.snr_db, session.snr_sd_db)
    mixed = apply_fir(wet + scaled_to_snr(noise, speech_power=speech_power, snr_db=snr), session.mic)
    level = rng.normal(session.level_dbfs, session.level_sd_db)
    rms = np.sqrt(np.mean(mixed[a:b] ** 2))
    y = mixed * (32768.0 * 10.0 ** (level / 20.0) / rms)
    peak = np.abs(y).max()
    if peak > PEAK_LIMIT:
        y *= PEAK_LIMIT / peak
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)
