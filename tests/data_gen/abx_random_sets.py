"""Random ABX feature sets + item files, and a runner for the reference scorer.

Used to produce the numbers pinned in ``tests/test_abx_parity.py`` and by
``benchmarks/abx_speed.py``. Regenerate the pinned numbers with (zerospeech-libriabx2
0.9.8 built from its sdist in a separate venv, as README.md under tests/data/abx says; torch 2.13.0 CPU)::

    /tmp/peervenv/bin/python tests/data_gen/abx_random_sets.py tests/data/abx

which writes the sets under ``tests/data/abx/<name>/`` and prints the peer's scores.
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class SetSpec:
    """A random set: files of one speaker each, phone strings over a small inventory."""

    name: str
    n_files: int
    n_speakers: int
    n_phones: int
    dim: int
    phones_per_file: int
    kind: Literal["triphone", "phoneme"]
    style: Literal["continuous", "onehot", "codebook"]
    dtype: str = "float32"
    seed: int = 0
    frame_shift: float = 0.02


PINNED_SETS: tuple[SetSpec, ...] = (
    SetSpec("continuous_triphone", n_files=24, n_speakers=4, n_phones=4, dim=12, phones_per_file=30,
            kind="triphone", style="continuous", seed=1),
    SetSpec("onehot_ties_triphone", n_files=24, n_speakers=4, n_phones=3, dim=5, phones_per_file=30,
            kind="triphone", style="onehot", seed=2),
    SetSpec("continuous_float64_phoneme", n_files=16, n_speakers=3, n_phones=5, dim=8, phones_per_file=30,
            kind="phoneme", style="continuous", dtype="float64", seed=3),
)


def write_set(out_dir: str | Path, spec: SetSpec) -> tuple[Path, Path]:
    """Write ``features/<stem>.npy`` and ``<name>.item``; returns (features dir, item file).

    Phone durations are 1–6 frame shifts, some on exact frame boundaries and some shorter
    than a frame (tokens that slice to nothing); a few frames are exactly zero. ``onehot``
    frames are one-hot or zero (angular distances exactly 0, ½ or 1: ties everywhere),
    ``codebook`` frames repeat 6 random vectors (duplicated frames: exact ties).
    """
    rng = np.random.default_rng(spec.seed)
    out = Path(out_dir)
    feats = out / "features"
    feats.mkdir(parents=True, exist_ok=True)
    codebook = rng.standard_normal((6, spec.dim))
    lines = ["#file onset offset #phone prev-phone next-phone speaker"]
    dt = spec.frame_shift
    for f in range(spec.n_files):
        stem = f"f{f:03d}"
        speaker = f"spk{f % spec.n_speakers}"
        phones = [f"p{k}" for k in rng.integers(0, spec.n_phones, spec.phones_per_file)]
        durations = rng.choice([0.004, dt, 1.5 * dt, 2 * dt, 2.5 * dt, 3 * dt, 4 * dt, 6 * dt],
                               size=len(phones), p=[0.05, 0.15, 0.1, 0.2, 0.1, 0.2, 0.1, 0.1])
        bounds = np.round(np.concatenate([[0.01 * rng.integers(0, 4)], np.cumsum(durations)]), 4)
        bounds[1:] += bounds[0]
        n_frames = int(np.ceil(bounds[-1] / dt)) + int(rng.integers(0, 3))
        if spec.style == "continuous":
            x = rng.standard_normal((n_frames, spec.dim))
        elif spec.style == "onehot":
            x = np.eye(spec.dim)[rng.integers(0, spec.dim, n_frames)]
        else:
            x = codebook[rng.integers(0, len(codebook), n_frames)]
        x[rng.random(n_frames) < 0.05] = 0.0
        np.save(feats / f"{stem}.npy", x.astype(spec.dtype))
        for i, ph in enumerate(phones):
            if spec.kind == "phoneme":
                prev = phones[i - 1] if i > 0 else "SIL"
                nxt = phones[i + 1] if i + 1 < len(phones) else "SIL"
                lines.append(f"{stem} {bounds[i]:.4f} {bounds[i + 1]:.4f} {ph} {prev} {nxt} {speaker}")
            elif 0 < i < len(phones) - 1:
                lines.append(f"{stem} {bounds[i - 1]:.4f} {bounds[i + 2]:.4f} {ph} {phones[i - 1]} {phones[i + 1]} {speaker}")
    item = out / f"{spec.name}.item"
    item.write_text("\n".join(lines) + "\n")
    return feats, item


def run_peer(features_dir: str | Path, item_file: str | Path, *, frame_shift: float, speaker_mode: str = "all",
             context_mode: str = "all", distance: str = "cosine", max_size_group: int = 10**9,
             max_x_across: int = 10**9, ext: str = ".npy", seed: int = 3459) -> dict[str, float]:
    """zerospeech-libriabx2's scores {"within-within": ..., ...}, files listed in sorted order.

    ``seed`` seeds its capped draws (Python's ``random``, reseeded per mode; 3459 is its default).

    Needs ``zrc_abx2`` importable; ``torchaudio`` is replaced by an empty stub module.
    """
    sys.modules.setdefault("torchaudio", types.ModuleType("torchaudio"))
    import zrc_abx2
    from zrc_abx2.eval_ABX import EvalABX

    class SortedEvalABX(EvalABX):
        def _find_all_files(self, path_dir, extension):  # noqa: ANN001, ANN202
            return sorted(super()._find_all_files(path_dir, extension))

    args = zrc_abx2.EvalArgs(path_data=str(features_dir), path_item_file=str(item_file), file_extension=ext,
                             feature_size=frame_shift, speaker_mode=speaker_mode, context_mode=context_mode,
                             distance_mode=distance, max_size_group=max_size_group, max_x_across=max_x_across,
                             seed=seed)
    rows = SortedEvalABX().eval_abx(args)
    return {f"{r['abx-s-condition']}-{r['abx-c-condition']}": r["score"] for r in rows}


def main(out_root: str) -> None:
    import contextlib
    import io

    pinned = {}
    for spec in PINNED_SETS:
        feats, item = write_set(Path(out_root) / spec.name, spec)
        for distance in ("cosine", "euclidean"):
            with contextlib.redirect_stdout(io.StringIO()):
                scores = run_peer(feats, item, frame_shift=spec.frame_shift, distance=distance)
            pinned[f"{spec.name}/{distance}"] = scores
    print(json.dumps(pinned, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])


def write_realistic_set(out_dir: str | Path, *, n_items: int, n_speakers: int, kind: Literal["triphone", "phoneme"],
                        dim: int = 64, n_phones: int = 40, phones_per_file: int = 50, frame_shift: float = 0.02,
                        seed: int = 0) -> tuple[Path, Path]:
    """A benchmark-sized set: Zipf-distributed phones, 1–8 frame phones, smooth 64-d features."""
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    feats = out / "features"
    feats.mkdir(parents=True, exist_ok=True)
    weights = 1.0 / np.arange(1, n_phones + 1)
    weights /= weights.sum()
    centroids = rng.standard_normal((n_phones, dim))
    lines = ["#file onset offset #phone prev-phone next-phone speaker"]
    per_file = phones_per_file - (2 if kind == "triphone" else 0)
    n_files = -(-n_items // per_file)
    for f in range(n_files):
        stem = f"s{f % n_speakers:02d}-{f:05d}"
        speaker = f"spk{f % n_speakers:02d}"
        ids = rng.choice(n_phones, size=phones_per_file, p=weights)
        frames = rng.integers(2, 9, size=phones_per_file)
        bounds = np.concatenate([[0], np.cumsum(frames)]) * frame_shift
        x = np.repeat(centroids[ids], frames, axis=0) + 2.5 * rng.standard_normal((int(frames.sum()), dim))
        np.save(feats / f"{stem}.npy", x.astype(np.float32))
        ph = [f"P{i}" for i in ids]
        for i in range(phones_per_file):
            if kind == "phoneme":
                prev = ph[i - 1] if i > 0 else "SIL"
                nxt = ph[i + 1] if i + 1 < phones_per_file else "SIL"
                lines.append(f"{stem} {bounds[i]:.4f} {bounds[i + 1]:.4f} {ph[i]} {prev} {nxt} {speaker}")
            elif 0 < i < phones_per_file - 1:
                lines.append(f"{stem} {bounds[i - 1]:.4f} {bounds[i + 2]:.4f} {ph[i]} {ph[i - 1]} {ph[i + 1]} {speaker}")
    lines = lines[: n_items + 1]
    item = out / f"{out.name}.item"
    item.write_text("\n".join(lines) + "\n")
    return feats, item
