"""Room reverberation: a simulated shoebox room's impulse response, applied aligned to the direct path.

    >>> room = draw_room(rng, ranges=cond.room)          # doctest: +SKIP
    >>> rir = impulse_response(room)                     # RIR(samples=(n,) float64 at 16 kHz, direct=...)
    >>> wet = reverberate(dry, rir)                      # same length as dry; no delay

The response is pyroomacoustics' image-source model (``ShoeBox``, one absorption coefficient for all
walls from Sabine's formula for the drawn RT60, every image order up to the one the RT60 needs, no air
absorption, one thread so sums are always made in the same order). pyroomacoustics delays every
image by its distance over the speed of sound, plus half its fractional-delay filter; the direct
path arrives at :attr:`RIR.direct` = ``round(distance / c · fs) + frac_delay_length // 2`` samples
(the response's largest peak, checked by the tests).

:func:`reverberate` drops those ``direct`` samples from the full convolution, so the direct sound of
each sample stays where it was: phone and word times are unchanged, and the reverberation tail
spreads after them, as in a recording. The output keeps the dry signal's length (the tail past the
end is cut, as when a recording stops).

The room: floor sides and height uniform in the preset's ranges; the talker at a random point at
least 0.5 m from the walls, 1.2–1.8 m high; the microphone at the drawn distance in a random
horizontal direction, 0.8–1.6 m high, also at least 0.5 m from the walls (positions are redrawn until
they fit; a distance that never fits is a :class:`vgprobe.errors.ConfigError`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgprobe.audio import SAMPLE_RATE
from vgprobe.errors import ConfigError
from vgprobe.synth.conditions import RoomRanges

WALL_MARGIN_M = 0.5
_TRIES = 200


@dataclass(frozen=True)
class Room:
    size: tuple[float, float, float]  # metres (x, y, height)
    rt60: float  # seconds
    talker: tuple[float, float, float]
    mic: tuple[float, float, float]

    @property
    def distance(self) -> float:
        return float(np.linalg.norm(np.subtract(self.talker, self.mic)))


@dataclass(frozen=True)
class RIR:
    samples: np.ndarray  # (n,) float64 at SAMPLE_RATE
    direct: int  # sample index of the direct path's arrival


def draw_room(rng: np.random.Generator, *, ranges: RoomRanges) -> Room:
    """A room of the given ranges (see the module docstring)."""
    lx, ly = rng.uniform(*ranges.floor_m, size=2)
    lz = rng.uniform(*ranges.height_m)
    rt60 = rng.uniform(*ranges.rt60_s)
    want = rng.uniform(*ranges.distance_m)
    for _ in range(_TRIES):
        talker = np.array([rng.uniform(WALL_MARGIN_M, lx - WALL_MARGIN_M), rng.uniform(WALL_MARGIN_M, ly - WALL_MARGIN_M),
                           rng.uniform(1.2, 1.8)])
        angle = rng.uniform(0.0, 2 * np.pi)
        z = rng.uniform(0.8, 1.6)
        horizontal = np.sqrt(max(want**2 - (talker[2] - z) ** 2, 0.0))
        mic = talker + np.array([horizontal * np.cos(angle), horizontal * np.sin(angle), z - talker[2]])
        if WALL_MARGIN_M <= mic[0] <= lx - WALL_MARGIN_M and WALL_MARGIN_M <= mic[1] <= ly - WALL_MARGIN_M:
            return Room((float(lx), float(ly), float(lz)), float(rt60), tuple(map(float, talker)), tuple(map(float, mic)))
    raise ConfigError(f"cannot place a microphone {want:.2f} m from the talker in a {lx:.1f} x {ly:.1f} m room")


def impulse_response(room: Room) -> RIR:
    """The room's impulse response from talker to microphone, at :data:`vgprobe.audio.SAMPLE_RATE`."""
    try:
        import pyroomacoustics as pra
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the realistic difficulty simulates rooms with pyroomacoustics: pip install 'vgprobe[synth]' "
            "(or build with --difficulty clean)"
        ) from exc

    try:
        absorption, max_order = pra.inverse_sabine(room.rt60, list(room.size))
    except ValueError as exc:
        raise ConfigError(f"RT60 {room.rt60:.2f} s is impossible in a room of {room.size} m: {exc}") from exc
    threads = pra.constants.get("num_threads")
    pra.constants.set("num_threads", 1)
    try:
        sim = pra.ShoeBox(
            list(room.size), fs=SAMPLE_RATE, materials=pra.Material(absorption), max_order=max_order,
            air_absorption=False, use_rand_ism=False,
        )
        sim.add_source(list(room.talker))
        sim.add_microphone(list(room.mic))
        sim.compute_rir()
        samples = np.asarray(sim.rir[0][0], dtype=np.float64)
    finally:
        pra.constants.set("num_threads", threads)
    c = pra.constants.get("c")
    direct = round(room.distance / c * SAMPLE_RATE) + pra.constants.get("frac_delay_length") // 2
    return RIR(samples, direct)


def reverberate(x: np.ndarray, rir: RIR) -> np.ndarray:
    """``x`` (n,) convolved with the response, aligned to its direct path, cut to n samples (float64)."""
    from scipy.signal import oaconvolve

    wet = oaconvolve(np.asarray(x, dtype=np.float64), rir.samples)
    return wet[rir.direct : rir.direct + len(x)]
