"""``vgprobe extract``: named-layer features for ZeroSpeech 2021, batched, resumable, shardable.

One forward pass serves every requested layer. Each file's features equal what the model
computes on that file alone, unpadded (see ``FaSTVGS.audio_layers_each``). Outputs are written
atomically; a re-run skips files whose outputs are complete (shape checked) and recomputes the
rest batch by batch with the same batch plan, so an interrupted run ends exactly as an
uninterrupted one.

Shards (torchrun ranks or ``--shard i/n``) split the files and share the layer folders: only shard 0 replaces
a folder under ``--overwrite`` (the others wait for it; :func:`vgprobe.extract.writer.prepare_layer_folder`),
and each shard removes only the leftover temporaries of its own files.

On a CUDA device, ``dtype="float32"`` runs with TF32 off (matmuls and cuDNN convolutions), so the features are
float32 computations as on the CPU; ``bfloat16`` is the explicit fast, approximate choice.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from vgprobe import __version__
from vgprobe.atomic import remove_stale_temporaries, write_text_atomic
from vgprobe.audio import SAMPLE_RATE, read_audio, require_min_samples
from vgprobe.errors import CheckpointError, InputError
from vgprobe.extract.encoders import Encoder, load_encoder
from vgprobe.extract.sources import Source, Task, list_sources, plan_batches, shard
from vgprobe.extract.writer import (
    Format,
    is_complete,
    meta_document,
    prepare_layer_folder,
    write_features,
)
from vgprobe.layer_names import select_layers
from vgprobe.progress import progress
from vgprobe.zerospeech.features import FEATURE_EXTENSIONS, INCOMPLETE_MARKER
from vgprobe.extract.record import write_last_run

EXIT_SKIPPED = 3


@dataclass(frozen=True)
class ExtractConfig:
    checkpoint: str
    data: Path
    out: Path
    layers: tuple[str, ...]
    split: str = "dev"
    task: Task = "all"
    fmt: Format = "npy"
    batch_seconds: float = 60.0
    device: str = "cpu"
    shard: tuple[int, int] = (0, 1)
    on_error: Literal["fail", "skip"] = "fail"
    overwrite: bool = False
    mix_to_mono: bool = False
    dtype: Literal["float32", "bfloat16"] = "float32"
    seed: int = 0
    progress: bool = False
    shard_wait_seconds: float = 900.0  # how long shard i > 0 waits for shard 0 to replace a folder (--overwrite)


@dataclass
class ExtractResult:
    layers: list[str]
    folders: dict[str, Path]
    n_files: int
    n_computed: int = 0
    n_reused: int = 0
    audio_seconds: float = 0.0  # of every readable file of the shard
    computed_seconds: float = 0.0  # of the files computed by this run (not already done)
    wall_seconds: float = 0.0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    resampled: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_SKIPPED if self.skipped else 0


def resolve_layers(encoder: Encoder, requested: tuple[str, ...]) -> list[str]:
    return select_layers(requested, encoder.layer_names())


def _probe(src: Source, mix_to_mono: bool) -> tuple[int, int]:
    """(samples at 16 kHz, source rate) from the header; raises InputError for unusable files."""
    import soundfile as sf

    try:
        info = sf.info(str(src.audio))
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{src.audio}: cannot read audio ({exc})") from exc
    if info.channels > 1 and not mix_to_mono:
        raise InputError(f"{src.audio}: {info.channels} channels; expected mono audio (or pass --mix-to-mono)")
    n = round(info.frames * SAMPLE_RATE / info.samplerate)
    if info.frames == 0:
        raise InputError(f"{src.audio}: the file holds no audio samples")
    require_min_samples(src.audio, n)
    return n, int(info.samplerate)


def extract(cfg: ExtractConfig, *, log: Callable[[str], None] = print) -> ExtractResult:
    """Extract ``cfg.layers`` of ``cfg.checkpoint`` for every audio file of ``cfg.data`` into ``cfg.out/<layer>``.

    Every file is checked (header, channels, length) before anything is written, so a refused run leaves
    nothing behind. While it runs each layer folder carries this shard's incomplete marker (scorers refuse such
    a folder); a run that fails after writing features leaves them and the marker, and re-running the same
    command finishes the job; a layer folder this run created and never wrote a feature into is removed.
    """
    t0 = time.perf_counter()
    encoder = load_encoder(cfg.checkpoint, seed=cfg.seed, dtype=cfg.dtype).to(cfg.device)
    layers = resolve_layers(encoder, cfg.layers)
    sources = shard(list_sources(cfg.data, split=cfg.split, task=cfg.task), *cfg.shard)
    folders = {name: Path(cfg.out) / name for name in layers}
    ext = f".{cfg.fmt}"
    result = ExtractResult(layers=layers, folders=folders, n_files=len(sources))

    good: list[Source] = []
    lengths: list[int] = []
    for src in sources:
        try:
            n, _rate = _probe(src, cfg.mix_to_mono)
        except InputError as exc:
            _fail_or_skip(cfg, result, src, exc)
            continue
        good.append(src)
        lengths.append(n)
    result.audio_seconds = sum(lengths) / SAMPLE_RATE

    created = [name for name in layers if not folders[name].exists()]
    marker = f"{INCOMPLETE_MARKER}.shard-{cfg.shard[0]}-of-{cfg.shard[1]}"
    try:
        for name in layers:
            prepare_layer_folder(folders[name], _meta(cfg, encoder, name), overwrite=cfg.overwrite,
                                 shard_index=cfg.shard[0], wait_seconds=cfg.shard_wait_seconds)
            (folders[name] / marker).touch()
            remove_stale_temporaries(folders[name], targets={(folders[name] / s.rel).with_suffix(ext) for s in sources})
        bar = progress(result.audio_seconds, desc="extract", unit="audio-s", mode="auto" if cfg.progress else "off")
        with strict_float32(cfg.device, cfg.dtype):
            _compute(cfg, encoder, layers, folders, good, lengths, result, bar)
        bar.close()
    except BaseException:
        for name in created:  # nothing of ours worth keeping for a resume: leave no trace
            if not any(p.suffix in FEATURE_EXTENSIONS for p in folders[name].rglob("*")):
                shutil.rmtree(folders[name], ignore_errors=True)
        raise
    for name in layers:
        (folders[name] / marker).unlink(missing_ok=True)

    if result.resampled:
        names = ", ".join(str(p) for p in result.resampled[:5])
        more = f" and {len(result.resampled) - 5} more" if len(result.resampled) > 5 else ""
        log(f"warning: resampled to 16 kHz with soxr: {names}{more}")
    _write_skipped(cfg, result)
    write_last_run(Path(cfg.out), layers=layers, split=cfg.split, task=cfg.task, data=Path(cfg.data),
                   checkpoint=cfg.checkpoint)
    result.wall_seconds = time.perf_counter() - t0
    return result


def _meta(cfg: ExtractConfig, encoder: Encoder, name: str) -> dict:
    settings = {
        "model": encoder.description,
        "model_sha256": encoder.fingerprint,
        "checkpoint": cfg.checkpoint,
        "layer": name,
        "frame_shift": encoder.frame_shift(name),
        "format": cfg.fmt,
        "dtype": cfg.dtype,
        "normalisation": encoder.normalisation(),
        "data": str(Path(cfg.data).resolve()),
        "split": cfg.split,
        "tasks": [cfg.task] if cfg.task != "all" else ["phonetic", "semantic"],
    }
    return meta_document(frame_shift=encoder.frame_shift(name), settings=settings, version=__version__)


def _compute(cfg: ExtractConfig, encoder: Encoder, layers: list[str], folders: dict[str, Path], good: list[Source],
             lengths: list[int], result: ExtractResult, bar) -> None:
    """Compute and write the features of every file not already complete, batch by batch."""
    ext = f".{cfg.fmt}"
    for batch in plan_batches(lengths, cfg.batch_seconds):
        todo = [i for i in batch if not all(
            is_complete((folders[n] / good[i].rel).with_suffix(ext), cfg.fmt, encoder.n_frames(n, lengths[i]), encoder.dim(n))
            for n in layers)]
        if not todo:
            result.n_reused += len(batch)
            bar.update(sum(lengths[i] for i in batch) / SAMPLE_RATE)
            continue
        wavs, members = [], []
        for i in batch:
            try:
                audio = read_audio(good[i].audio, mix_to_mono=cfg.mix_to_mono)
            except InputError as exc:
                _fail_or_skip(cfg, result, good[i], exc)
                continue
            if audio.resampled:
                result.resampled.append(good[i].audio)
            wavs.append(encoder.prepare(audio.samples))
            members.append(i)
        if members:
            outs = encoder.compute(wavs, layers)
            for i, wav, feats in zip(members, wavs, outs):
                for n in layers:
                    arr = feats[n]
                    expect = (encoder.n_frames(n, len(wav)), encoder.dim(n))
                    if arr.shape != expect:
                        raise CheckpointError(f"{good[i].audio}: layer {n} of {encoder.description} gave {arr.shape}, "
                                              f"but its configuration implies {expect}; the model's frame rule is not "
                                              "the one vgprobe assumes, so no features were written for this file")
                    if i in todo:
                        write_features((folders[n] / good[i].rel).with_suffix(ext), arr, cfg.fmt)
            result.n_computed += len([i for i in members if i in todo])
            result.computed_seconds += sum(lengths[i] for i in members if i in todo) / SAMPLE_RATE
            result.n_reused += len([i for i in members if i not in todo])
        bar.update(sum(lengths[i] for i in batch) / SAMPLE_RATE)


@contextlib.contextmanager
def strict_float32(device: str, dtype: str = "float32") -> Iterator[None]:
    """While the block runs on a CUDA ``device`` in ``float32``: TF32 off for matmuls and cuDNN convolutions
    (PyTorch allows TF32 convolutions by default; TF32 keeps 10 mantissa bits), so float32 results compare with
    the CPU's and the reference implementation's. The previous settings are restored afterwards. Elsewhere (the
    CPU, or ``bfloat16``: an explicit approximate choice) it changes nothing."""
    import torch

    if dtype != "float32" or not str(device).startswith("cuda"):
        yield
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _fail_or_skip(cfg: ExtractConfig, result: ExtractResult, src: Source, exc: InputError) -> None:
    if cfg.on_error == "fail":
        raise InputError(f"{exc} (use --on-error skip to skip such files and list them)") from exc
    result.skipped.append((src.audio, str(exc)))


def _write_skipped(cfg: ExtractConfig, result: ExtractResult) -> None:
    i, n = cfg.shard
    name = "skipped.tsv" if n == 1 else f"skipped.shard-{i}-of-{n}.tsv"
    path = Path(cfg.out) / name
    if not result.skipped:
        path.unlink(missing_ok=True)
        return
    lines = ["file\treason"] + [f"{p}\t{reason}" for p, reason in result.skipped]
    write_text_atomic(path, "\n".join(lines) + "\n")
