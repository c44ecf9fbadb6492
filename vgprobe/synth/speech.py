"""From lines to recorded utterances: espeak jobs, synthesis, then the recording conditions.

    >>> lines = [Line("a red cat", speaker, tier="clean"), Line("dog", speaker, tier=None)]
    >>> utts = speak_all(lines, seed=0, difficulty="realistic", processes=2)    # doctest: +SKIP
    >>> utts[0].audio, utts[0].alignment            # int16 (n,) at 16 kHz; exact phone/word times

A line with ``tier=None``, and every line under difficulty ``clean``, is espeak's plain output
(``worker.py``: padded, dithered), exactly as before the difficulty presets existed. Otherwise, with
the ranges of ``conditions.conditions(difficulty, tier=...)``:

1. the job is drawn by ``prosody.utterance_job`` (variant, rate, pitch, per-word SSML prosody, pauses);
   a speaker's variants come from ``speakers.speaker_variants``;
2. all jobs, plus a pool of :data:`BABBLE_LINES` babble sentences said by :data:`BABBLE_TALKERS`
   dedicated talkers (never tested speakers), are synthesised in one ``synthesize_all`` call;
3. each utterance is recorded (``channel.record``) in a session of its speaker: a speaker has
   ``sessions_per_speaker`` sessions (drawn once per speaker and session), each utterance picks one.

Every draw comes from its own seeded stream (``seeding.stream``), keyed by the line's index or the
speaker, so the output depends on the arguments only, never on the number of processes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from vgprobe.synth import vocabulary
from vgprobe.synth.channel import Session, draw_session, record
from vgprobe.synth.conditions import Conditions, Tier, conditions
from vgprobe.synth.prosody import utterance_job
from vgprobe.synth.seeding import stream
from vgprobe.synth.speakers import Speaker, pick_speakers, speaker_variants
from vgprobe.synth.worker import Job, Utterance, synthesize_all

BABBLE_TALKERS = (("clean", 6, 900), ("other", 2, 950))  # (pool, talkers, first speaker id)
BABBLE_LINES = 24
_TIERS: dict[str, int] = {"clean": 0, "other": 1}


@dataclass(frozen=True)
class Line:
    text: str
    speaker: Speaker
    tier: Tier | None  # recording conditions of this tier; None: espeak's plain output
    dither_seed: int  # seeds the faint dither of espeak's output (worker.py)


def plain_job(text: str, speaker: Speaker, seed: int) -> Job:
    """espeak's plain rendering of ``text`` by ``speaker`` (difficulty ``clean``)."""
    return Job(text=text, voice=speaker.voice, variant=speaker.variant, pitch=speaker.pitch, rate=speaker.rate,
               seed=seed)


def _babble_lines(seed: int) -> list[Line]:
    rng = random.Random(int(stream(seed=seed, name="babble").integers(2**63)))
    talkers = [spk for pool, n, first in BABBLE_TALKERS for spk in pick_speakers(rng, n=n, pool=pool, first_id=first)]
    return [Line(vocabulary.sentence(rng), talkers[i % len(talkers)], "clean", i) for i in range(BABBLE_LINES)]


def _variants(seed: int, speaker: Speaker, cond: Conditions) -> tuple[str | None, ...]:
    rng = random.Random(int(stream(seed=seed, name="variants", keys=(int(speaker.name),)).integers(2**63)))
    return speaker_variants(rng, speaker, n=len(cond.prosody.variant_weights))


def _job(line: Line, key: tuple[str, int], *, seed: int, difficulty: str) -> Job:
    cond = conditions(difficulty, tier=line.tier) if line.tier is not None else None
    if cond is None:
        return plain_job(line.text, line.speaker, line.dither_seed)
    return utterance_job(
        line.text, speaker=line.speaker, variants=_variants(seed, line.speaker, cond), ranges=cond.prosody,
        rng=stream(seed=seed, name=key[0], keys=(key[1],)), seed=line.dither_seed,
    )


def speak_all(lines: list[Line], *, seed: int, difficulty: str, processes: int = 1) -> list[Utterance]:
    """One recorded utterance per line, in order (see the module docstring)."""
    recorded = [line.tier is not None and conditions(difficulty, tier=line.tier) is not None for line in lines]
    babble_lines = _babble_lines(seed) if any(recorded) else []
    jobs = [_job(line, ("prosody", i), seed=seed, difficulty=difficulty) for i, line in enumerate(lines)]
    jobs += [_job(line, ("babble-prosody", i), seed=seed, difficulty=difficulty) for i, line in enumerate(babble_lines)]
    utts = synthesize_all(jobs, processes=processes)
    utts, pool = utts[: len(lines)], [u.audio for u in utts[len(lines) :]]
    sessions: dict[tuple[int, int, int], Session] = {}
    out = []
    for i, (line, utt) in enumerate(zip(lines, utts)):
        if not recorded[i]:
            out.append(utt)
            continue
        cond = conditions(difficulty, tier=line.tier)
        rng = stream(seed=seed, name="channel", keys=(i,))
        key = (int(line.speaker.name), _TIERS[line.tier], int(rng.integers(cond.sessions_per_speaker)))
        if key not in sessions:
            sessions[key] = draw_session(stream(seed=seed, name="session", keys=key), conditions=cond)
        phones = utt.alignment.phones
        span = (phones[0].start, phones[-1].end)
        audio = record(utt.audio.astype(np.float64), span=span, session=sessions[key], rng=rng, babble_pool=pool)
        out.append(replace(utt, audio=audio))
    return out
