"""``vgprobe sweep``: every layer of a checkpoint, its random-initialised twin and log-mel, scored on ZeroSpeech
2021 ABX and sSIMI and probed, with a report that names the best layer per measure next to the paper's choices.

Stages (each prints a start and an end line; long ones report progress through :mod:`vgprobe.progress`):

1. check the inputs (data layout, item files, gold/pairs, alignments, names): a bad one fails here, before
   anything is computed or written;
2. load the checkpoint (fingerprint, layers) and build its twin (:mod:`.sweep_models`);
3. extract each model's layers in one forward pass per file into the feature cache (:mod:`.cache`): a cache hit
   computes nothing; an interrupted extraction resumes file by file;
4. score each (model, layer): ABX, sSIMI per pooling, probes (:mod:`.sweep_scoring`); each finished layer's
   scores are cached, so an interrupted sweep resumes at the first layer not scored;
5. write the report (:mod:`.sweep_report`) into a staging folder that replaces ``out`` in one rename: a failed
   sweep leaves ``out`` as it was.

Example::

    result = sweep(SweepConfig(checkpoint="runs/coco/best", data=Path("zr2021"), out=Path("runs/sweep")))
    result.tables["best_layers"]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vgprobe.analysis.layer_sweep import (
    ABX_COLUMNS,
    FAILED,
    FEATURE_COLUMNS,
    PROBE_COLUMNS,
    SEMANTIC_COLUMNS,
    best_layers,
    measures,
)
from vgprobe.errors import ConfigError, InputError
from vgprobe.pipelines import sweep_scoring as scoring
from vgprobe.pipelines.cache import CacheEntry, default_cache_dir, entry_for, listing_digest
from vgprobe.pipelines.stages import Stages
from vgprobe.pipelines.sweep_models import BASELINES, SweepModel, resolve_models
from vgprobe.progress import Mode, progress

POOLS: tuple[str, ...] = ("max", "mean")
FEATURE_FORMAT = "npy"


@dataclass(frozen=True)
class SweepConfig:
    """Settings of :func:`sweep`. ``measures`` are some of ``abx``, ``semantic``, ``cca`` (PWCCA), ``mi`` (k-means
    NMI) and ``linear`` (the linear probe); ``alignments`` maps phonetic subsets to word-alignment JSON files
    (``{utt: [[onset_s, offset_s, word], ...]}``) for word probes on running speech; ``cache`` defaults to
    :func:`~vgprobe.pipelines.cache.default_cache_dir`."""

    checkpoint: str
    data: Path
    out: Path
    split: str = "dev"
    layers: tuple[str, ...] = ("all",)
    baselines: tuple[str, ...] = BASELINES
    measures: tuple[str, ...] = scoring.MEASURES
    pools: tuple[str, ...] = POOLS
    alignments: tuple[tuple[str, Path], ...] = ()
    cache: Path | None = None
    device: str = "cpu"
    dtype: str = "float32"
    batch_seconds: float = 60.0
    seed: int = 0
    progress: Mode = "auto"

    @property
    def probes(self) -> tuple[str, ...]:
        return tuple(m for m in self.measures if m in scoring.PROBE_NAMES)

    @property
    def tasks(self) -> tuple[str, ...]:
        """The extraction tasks the measures need: phones for ABX and phone probes, sSIMI files for sSIMI and word
        probes."""
        out = []
        if "abx" in self.measures or self.probes:
            out.append("phonetic")
        if "semantic" in self.measures or self.probes:
            out.append("semantic")
        return tuple(out)


@dataclass
class SweepResult:
    out: Path
    models: list[SweepModel]
    tables: dict[str, pd.DataFrame]
    entries: dict[str, Path]  # model label -> cache entry (extraction root)
    extracted: dict[str, tuple[int, int]]  # model label -> (files computed, files reused)
    scores_computed: int = 0
    scores_reused: int = 0
    stages: list[tuple[str, float]] = field(default_factory=list)


def check_inputs(cfg: SweepConfig) -> str:
    """Fail early, naming the file, on anything the later stages would trip over; returns the phone item kind."""
    from vgprobe.extract.sources import is_zr2021_root
    from vgprobe.zerospeech import layout
    from vgprobe.zerospeech.semantic.pooling import check_pooling

    if cfg.split not in ("dev", "test"):
        raise ConfigError(f"unknown split {cfg.split!r}; expected dev or test")
    unknown = sorted(set(cfg.measures) - set(scoring.MEASURES))
    if unknown or not cfg.measures:
        raise ConfigError(f"unknown measures {unknown}; expected some of {', '.join(scoring.MEASURES)}")
    if "semantic" in cfg.measures:
        if not cfg.pools:
            raise ConfigError("no pooling given for sSIMI (e.g. max,mean)")
        for pool in cfg.pools:
            check_pooling(pool)
    data = Path(cfg.data)
    if not data.is_dir():
        raise InputError(f"{data}: the data folder does not exist")
    if not is_zr2021_root(data):
        raise InputError(f"{data}: not a ZeroSpeech 2021 dataset root (expected phonetic/ and semantic/ folders)")
    if "phonetic" in cfg.tasks:
        for subset in layout.phonetic_subsets(cfg.split):
            folder = layout.phonetic_wav_dir(data, subset)
            if not folder.is_dir() or not any(folder.glob("*.wav")):
                raise InputError(f"{folder}: no wav files for the phonetic subset {subset}")
            if "abx" in cfg.measures:
                layout.item_file(data, subset, kind="triphone")
    if "semantic" in cfg.tasks:
        for type_ in layout.SEMANTIC_TYPES:
            folder = layout.semantic_wav_dir(data, cfg.split, type_)
            if not folder.is_dir():
                raise InputError(f"{folder}: the sSIMI {type_} folder does not exist")
        needed = [layout.semantic_gold(data, cfg.split)]
        if "semantic" in cfg.measures:
            needed.append(layout.semantic_pairs(data, cfg.split))
        for path in needed:
            if not path.is_file():
                raise InputError(f"{path}: missing (the sSIMI {path.stem} file of split {cfg.split})")
    item_kind = scoring.phone_item_kind(data, cfg.split)
    if cfg.probes and item_kind == "triphone":
        for subset in layout.phonetic_subsets(cfg.split):
            layout.item_file(data, subset, kind="triphone")
    if cfg.alignments:
        if not cfg.probes:
            raise ConfigError("--alignments feed the probes (cca, mi, linear); none is requested")
        from vgprobe.analysis.probes import read_word_alignments

        subsets = layout.phonetic_subsets(cfg.split)
        for subset, path in cfg.alignments:
            if subset not in subsets:
                raise ConfigError(f"--alignments {subset}={path}: {subset!r} is not a phonetic subset of split "
                                  f"{cfg.split} ({', '.join(subsets)})")
            read_word_alignments(path)
    return item_kind


def check_out(out: Path, cache: Path) -> None:
    """``out`` is replaced whole at the end: it must be new, empty or an earlier sweep's output, and must not
    hold the cache."""
    from vgprobe.atomic import require_replaceable

    out = Path(out)
    require_replaceable(out, marker="sweep.json", what="an earlier sweep's output",
                        hint="the sweep replaces its output folder whole, so give a new or empty folder")
    out_r, cache_r = out.resolve(), Path(cache).resolve()
    if cache_r == out_r or out_r in cache_r.parents:
        raise ConfigError(f"the cache {cache} lies inside the output folder {out}, which the sweep replaces whole; "
                          "put it elsewhere")


def sweep(cfg: SweepConfig, *, log: Callable[[str], None] = print) -> SweepResult:
    """Run the sweep (see the module docstring) and return its tables; the report is in ``cfg.out``."""
    from vgprobe.pipelines.sweep_report import write_report

    t_start = time.time()
    cache = Path(cfg.cache) if cfg.cache is not None else default_cache_dir()
    item_kind = check_inputs(cfg)
    check_out(cfg.out, cache)
    stages = Stages(4, log)
    models = stages.run("models", f"load {cfg.checkpoint}, build the baselines ({', '.join(cfg.baselines) or 'none'})",
                        lambda: resolve_models(cfg.checkpoint, layers=cfg.layers, baselines=cfg.baselines,
                                               seed=cfg.seed, cache=cache, dtype=cfg.dtype, log=log))
    for m in models:
        log(f"    {m.label}: {m.description}; {len(m.layers)} layers ({', '.join(m.layers)}); "
            f"sha256 {m.fingerprint[:12]}")
    counts, data_digest, audio_seconds = _dataset_listing(cfg)
    entries: dict[str, CacheEntry] = {}
    extracted: dict[str, tuple[int, int]] = {}

    def extract_all() -> None:
        for m in models:
            entries[m.label] = _entry(m, cfg, cache, data_digest)
        missing = {m.label: [n for n in m.layers if n not in entries[m.label].complete_layers(m.layers, counts)]
                   for m in models}
        _check_disk(models, missing, audio_seconds, cache, log)
        for m in models:
            extracted[m.label] = _extract(m, entries[m.label], missing[m.label], cfg, counts, log)

    stages.run("extract", f"{sum(len(m.layers) for m in models)} layers of {len(models)} models, "
               f"{sum(counts.values())} files ({', '.join(cfg.tasks)}) -> cache {cache}", extract_all)
    scored = stages.run("score", f"{', '.join(cfg.measures)} per layer",
                        lambda: _score_all(models, entries, cfg, item_kind, log))
    tables, n_computed, n_reused = scored
    tables["features"] = _features_table(models, entries, counts, extracted)
    tables["measures"] = measures(tables["abx"], tables["semantic"], tables["probes"])
    tables["best_layers"] = best_layers(tables["measures"])
    result = SweepResult(out=Path(cfg.out), models=models, tables=tables,
                         entries={k: e.root for k, e in entries.items()}, extracted=extracted,
                         scores_computed=n_computed, scores_reused=n_reused, stages=stages.times)
    stages.run("report", f"tables, plots and report.md -> {cfg.out}",
               lambda: write_report(result, cfg, cache=cache, item_kind=item_kind, started=t_start))
    log(f"report: {Path(cfg.out) / 'report.md'}")
    return result


def _dataset_listing(cfg: SweepConfig) -> tuple[dict[str, int], str, float]:
    """Files per task, the digest of the split's file list, and the audio seconds of the tasks' files (from the
    file sizes: 16-bit 16 kHz PCM; an estimate for other encodings)."""
    from vgprobe.extract.sources import list_sources

    counts, size = {}, 0
    for task in cfg.tasks:
        sources = list_sources(cfg.data, split=cfg.split, task=task)
        counts[task] = len(sources)
        size += sum(s.audio.stat().st_size for s in sources)
    every = list_sources(cfg.data, split=cfg.split, task="all")
    return counts, listing_digest(Path(cfg.data), [s.audio for s in every]), size / (2 * 16000)


def _check_disk(models: list[SweepModel], missing: dict[str, list[str]], audio_seconds: float, cache: Path,
                log: Callable[[str], None]) -> None:
    """Say how much the missing features take (float32 frames), and refuse when the cache's disk lacks room."""
    import shutil

    need = 0.0
    for m in models:
        for layer in missing[m.label]:
            shift = m.frame_shift(layer)
            frames = audio_seconds / shift if shift else 0.0
            need += 4.0 * m.dim(layer) * frames
    if not need:
        return
    probe = Path(cache)
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    log(f"    about {need / 1e9:.2f} GB of features to write ({audio_seconds / 3600:.2f} h of audio); "
        f"{free / 1e9:.1f} GB free under {probe}")
    if need > free:
        raise ConfigError(f"the features need about {need / 1e9:.1f} GB but {probe} has {free / 1e9:.1f} GB free: "
                          "give --cache on a larger disk, or fewer --layers / --baselines")


def _entry(m: SweepModel, cfg: SweepConfig, cache: Path, data_digest: str) -> CacheEntry:
    identity = {"model_sha256": m.fingerprint, "model": m.description, "checkpoint": m.checkpoint,
                "data": str(Path(cfg.data).resolve()), "data_digest": data_digest, "split": cfg.split,
                "format": FEATURE_FORMAT, "dtype": cfg.dtype}
    return entry_for(cache, model_sha256=m.fingerprint, identity=identity)


def _extract(m: SweepModel, entry: CacheEntry, missing: list[str], cfg: SweepConfig, counts: dict[str, int],
             log: Callable[[str], None]) -> tuple[int, int]:
    """Extract the ``missing`` layers of ``m`` into its cache entry; (files computed, files reused)."""
    from vgprobe.extract import ExtractConfig, extract

    n_files = sum(counts.values())
    if not missing:
        log(f"    {m.label}: cache hit, {len(m.layers)} layers x {n_files} files in {entry.root}")
        return 0, n_files
    task = cfg.tasks[0] if len(cfg.tasks) == 1 else "all"
    show_bar = cfg.progress == "bar" or (cfg.progress == "auto" and _stderr_is_tty())
    log(f"    {m.label}: extracting {', '.join(missing)} -> {entry.root}")
    res = extract(ExtractConfig(checkpoint=m.checkpoint, data=Path(cfg.data), out=entry.root, layers=tuple(missing),
                                split=cfg.split, task=task, fmt=FEATURE_FORMAT, batch_seconds=cfg.batch_seconds,
                                device=cfg.device, dtype=cfg.dtype, seed=m.seed, progress=show_bar), log=log)
    entry.record({n: {"frame_shift": m.frame_shift(n), "dim": m.dim(n)} for n in missing}, counts)
    rate = res.audio_seconds / res.wall_seconds if res.wall_seconds else 0.0
    log(f"    {m.label}: {res.n_computed} files computed, {res.n_reused} already there; {res.audio_seconds:.0f} s of "
        f"audio in {res.wall_seconds:.1f} s ({rate:.1f} audio-s/s)")
    return res.n_computed, res.n_reused


def _stderr_is_tty() -> bool:
    import sys

    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _score_all(models: list[SweepModel], entries: dict[str, CacheEntry], cfg: SweepConfig, item_kind: str,
               log: Callable[[str], None]) -> tuple[dict[str, pd.DataFrame], int, int]:
    """Every measure of every (model, layer), from the score cache where possible."""
    data = Path(cfg.data)
    alignments = dict(cfg.alignments)
    jobs: list[tuple[str, dict, Callable[[SweepModel, str, Path], list[dict]]]] = []
    if "abx" in cfg.measures:
        opts = {**scoring.abx_options(), "inputs": scoring.abx_inputs(data, cfg.split)}
        jobs.append(("abx", opts, lambda m, layer, folder: scoring.abx_rows(
            folder, data, cfg.split, layer=layer, frame_shift=m.frame_shift(layer))))
    if "semantic" in cfg.measures:
        inputs = scoring.semantic_inputs(data, cfg.split)
        for pool in cfg.pools:
            jobs.append((f"semantic-{pool}", {"pool": pool, "metric": "cosine", "inputs": inputs},
                         lambda m, layer, folder, pool=pool: scoring.semantic_rows(folder, data, cfg.split,
                                                                                   layer=layer, pool=pool)))
    if cfg.probes:
        opts = {**scoring.probe_options(cfg.probes, seed=cfg.seed, item_kind=item_kind, semantic_words=True),
                "inputs": scoring.probe_inputs(data, cfg.split, item_kind=item_kind, alignments=alignments)}
        jobs.append(("probes", opts, lambda m, layer, folder: scoring.probe_rows(
            folder, data, cfg.split, layer=layer, frame_shift=m.frame_shift(layer), probes=cfg.probes, seed=cfg.seed,
            item_kind=item_kind, semantic_words=True, alignments=alignments)))
    rows: dict[str, list[dict]] = {"abx": [], "semantic": [], "probes": []}
    n_computed = n_reused = 0
    total = sum(len(m.layers) for m in models) * len(jobs)
    bar = progress(total, desc="score", unit="scores", mode=cfg.progress)
    for m in models:
        entry = entries[m.label]
        for layer in m.layers:
            for name, opts, fn in jobs:
                got = entry.read_scores(layer, name, opts)
                if got is None:
                    got = fn(m, layer, entry.root / layer)
                    entry.write_scores(layer, name, opts, got)
                    n_computed += 1
                else:
                    n_reused += 1
                rows[name.split("-")[0]] += [{"model": m.label, **r} for r in got]
                bar.update(1)
                bar.set_postfix(model=m.label, layer=layer)
    bar.close()  # on success only: a failed stage must not print "done"
    tables = {"abx": _table(rows["abx"], ABX_COLUMNS), "semantic": _table(rows["semantic"], SEMANTIC_COLUMNS),
              "probes": _table(rows["probes"], PROBE_COLUMNS)}
    for name, df in tables.items():
        failed = df[df["status"] == FAILED]
        for reason, g in failed.groupby("reason", sort=False):
            log(f"warning: {name}: {len(g)} rows not scored ({', '.join(dict.fromkeys(g['model'] + ' ' + g['layer']))}"
                f"): {reason}")
    return tables, n_computed, n_reused


def _table(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series(dtype=object)
    return df[list(columns)]


def _features_table(models: list[SweepModel], entries: dict[str, CacheEntry], counts: dict[str, int],
                    extracted: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for m in models:
        for layer in m.layers:
            rows.append({"model": m.label, "checkpoint": m.checkpoint, "model_sha256": m.fingerprint, "layer": layer,
                         "frame_shift": m.frame_shift(layer), "dim": m.dim(layer), "n_files": sum(counts.values()),
                         "n_computed": extracted[m.label][0], "n_reused": extracted[m.label][1],
                         "features": str(entries[m.label].root / layer)})
    return _table(rows, FEATURE_COLUMNS)
