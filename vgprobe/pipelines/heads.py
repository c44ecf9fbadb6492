"""``vgprobe heads``: the attention-head report of a checkpoint against its random initialisation.

1. per-head statistics of every audio transformer stack (:func:`vgprobe.analysis.heads.head_statistics`:
   entropy, attended distance, CLS / self / neighbour mass, mass on silence from the gold words, head-to-head
   Jensen–Shannon divergence), trained and random twin;
2. word discovery from the CLS attention of every layer (VG-HuBERT's rule,
   :mod:`vgprobe.analysis.heads.discovery`), scored against gold words with the word-discovery metrics:
   which layer segments best, trained against random;
3. head ablation (:func:`vgprobe.analysis.heads.ablate_heads`): Δ ABX, Δ sSIMI and, given an image–caption
   corpus, Δ coarse R@1 of every head of the trained model, ranked; with the corpus, also the statistics of the
   image encoder's and the cross encoder's heads on its captions and their images;
4. the report folder: ``report.md``, tidy CSVs, PNGs, the discovered segments as prediction JSON (with the
   gold words as ``gold.json``) and ``commands.sh``, whose ``vgprobe analyze wordseg`` calls reproduce the
   word-discovery rows.

The gold words come from ``alignments`` (JSON ``{utt: [[onset_s, offset_s, word], ...]}``, Praat TextGrid
files or folders, ZeroSpeech ``.wrd``), or, for a ZeroSpeech 2021 root that ``vgprobe synth`` wrote, from the
TextGrids beside its phonetic audio. Without gold words there is no silence mass and no word-discovery score.

Example::

    result = heads_report(HeadsConfig(checkpoint="runs/qs/train/best", data=Path("runs/qs/data/zr2021"),
                                      out=Path("runs/qs/heads")))
    result.tables["wordseg"]            # boundary P/R/F1, A-score, WD, ... per model and layer
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from vgprobe.errors import ConfigError, InputError
from vgprobe.pipelines.stages import Stages
from vgprobe.progress import Mode

MARKER = "heads.json"


@dataclass(frozen=True)
class HeadsConfig:
    """Settings of :func:`heads_report`. ``max_files`` phonetic files are analysed (shared evenly between the
    subsets of a ZeroSpeech root); ``q``, ``pool`` and ``clusters`` are the CLS-segmentation quantile, the
    segment pooling and the k-means size (capped at the segment count); ``centroids`` maps layers to ``.npy``
    codebooks ``(K, D)`` used instead of k-means (for both models); ``abx_layer`` is the layer whose ABX
    the ablation scores; ``corpus`` an image–caption corpus whose ``corpus_split`` captions give Δ R@1."""

    checkpoint: str
    data: Path
    out: Path
    alignments: tuple[Path, ...] = ()
    split: str = "dev"
    baseline: bool = True
    max_files: int = 100
    q: float = 0.7
    pool: str = "max"
    clusters: int = 64
    centroids: tuple[tuple[str, Path], ...] = ()
    tolerance: float = 0.02
    ablation: bool = True
    abx_layer: str = "trm1.6"
    corpus: Path | None = None
    corpus_split: str = "val"
    seconds: float | None = None
    views: int = 3
    seed: int = 0
    cache: Path | None = None
    progress: Mode = "auto"


@dataclass
class HeadsResult:
    out: Path
    models: dict[str, str]  # label -> checkpoint
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)


def check_out(out: Path) -> None:
    """``out`` is replaced whole at the end: new, empty, or an earlier heads report."""
    from vgprobe.atomic import require_replaceable

    require_replaceable(out, marker=MARKER, what="an earlier heads report",
                        hint="the report replaces its folder whole, so give a new or empty folder")


def gold_sources(cfg: HeadsConfig) -> list[Path]:
    """The gold word files: ``cfg.alignments``, else the TextGrids of a ``vgprobe synth`` ZeroSpeech root."""
    if cfg.alignments:
        return [Path(p) for p in cfg.alignments]
    from vgprobe.extract.sources import is_zr2021_root
    from vgprobe.zerospeech import layout

    if not is_zr2021_root(cfg.data):
        return []
    folders = [layout.phonetic_wav_dir(cfg.data, s) for s in layout.phonetic_subsets(cfg.split)]
    return [f for f in folders if f.is_dir() and any(f.glob("*.TextGrid"))]


def read_gold_words(paths: list[Path]):
    """Every source read with :func:`vgprobe.analysis.wordseg.read_gold` and merged (utterance ids unique)."""
    from vgprobe.analysis.wordseg import GoldAlignments, read_gold

    words: dict = {}
    phones: dict = {}
    for p in paths:
        g = read_gold(p)
        twice = sorted(set(words) & set(g.words))
        if twice:
            raise InputError(f"{p}: utterances {twice[:3]} are also in an earlier alignment source")
        words.update(g.words)
        if g.phones:
            phones.update(g.phones)
    return GoldAlignments(words=words, phones=phones or None, source=", ".join(map(str, paths)))


def select_files(cfg: HeadsConfig) -> list[Path]:
    """Up to ``max_files`` phonetic files in sorted order, shared evenly between a ZeroSpeech root's subsets."""
    from vgprobe.extract.sources import is_zr2021_root, list_sources

    if cfg.max_files < 1:
        raise ConfigError(f"max_files={cfg.max_files}: expected at least 1")
    sources = list_sources(cfg.data, split=cfg.split, task="phonetic" if is_zr2021_root(cfg.data) else "all")
    groups: dict[str, list[Path]] = {}
    for s in sources:
        groups.setdefault(s.rel.parent.as_posix(), []).append(s.audio)
    share = max(1, cfg.max_files // len(groups))
    files = [f for g in groups.values() for f in g[:share]]
    return files[: cfg.max_files]


def heads_report(cfg: HeadsConfig, *, log: Callable[[str], None] = print) -> HeadsResult:
    """Run the analysis into ``cfg.out`` (replaced whole when everything is computed)."""
    from vgprobe.atomic import atomic_folder
    from vgprobe.pipelines.heads_report import write_report

    cfg_out = Path(cfg.out)
    check_out(cfg_out)
    if not 0.0 <= cfg.q <= 1.0:
        raise ConfigError(f"q={cfg.q}: expected a quantile in [0, 1]")
    centroids = {layer: read_centroids(path) for layer, path in cfg.centroids}  # bad files fail before any work
    st = Stages(None, lambda msg: log(f"heads {msg}"))
    result = HeadsResult(out=cfg_out, models={}, tables={}, times=st.times)
    t_all = time.perf_counter()
    files = select_files(cfg)
    gold_paths = gold_sources(cfg)
    gold = read_gold_words(gold_paths) if gold_paths else None
    if gold is not None:
        missing = [f.stem for f in files if f.stem not in gold.words]
        if missing:
            raise InputError(f"gold words ({gold.source}) have no entry for {len(missing)} of the {len(files)} "
                             f"files, e.g. {missing[:3]}")
        keep = [f.stem for f in files]  # the analysed files only
        gold = replace(gold, words={u: gold.words[u] for u in keep},
                       phones=None if gold.phones is None else {u: gold.phones[u] for u in keep if u in gold.phones})
    else:
        result.notes.append("no gold word alignments: no silence mass and no word-discovery scores "
                            "(give --alignments)")
    models = st.run("models", "load the checkpoint and its random twin", lambda: _models(cfg, log))
    result.models = {label: ckpt for label, (ckpt, _) in models.items()}
    data = _Collected()
    fastvgs = _is_fastvgs(models["trained"][1])
    if cfg.corpus is not None and fastvgs:
        data.captions = st.run("captions", f"captions and images of {cfg.corpus} ({cfg.corpus_split} split)",
                               lambda: _corpus_batch(cfg))
    for label, (ckpt, enc) in models.items():
        st.run(f"attention of {label}", f"statistics, CLS rows and word discovery of {len(files)} files",
               lambda enc=enc, label=label: _attention(enc, label, files, gold, cfg, centroids, data, result.notes))
        if data.captions is not None:
            n = min(cfg.max_files, len(data.captions.wav))
            st.run(f"image attention of {label}", f"image and cross-encoder heads on {n} captions with their images",
                   lambda enc=enc, label=label: data.statistics.append(_image_statistics(enc, label, data.captions,
                                                                                        n, cfg)))
    if cfg.corpus is None and fastvgs:
        result.notes.append("image-encoder and cross-encoder heads need image-caption pairs: give --corpus")
    result.tables["statistics"] = pd.concat(data.statistics, ignore_index=True)
    if data.discovery:
        result.tables["wordseg"] = pd.concat(data.discovery, ignore_index=True)
        result.tables["wordseg"].attrs["tolerance"] = cfg.tolerance
    if cfg.ablation:
        trained = models["trained"][1]
        table = st.run("ablation", "every head of the trained model, one at a time",
                       lambda: _ablation(trained, cfg, data.captions, result.notes))
        if table is not None:
            result.tables["ablation"] = table
    with atomic_folder(cfg_out) as tmp:
        st.run("report", f"tables, figures, segments and commands -> {cfg_out}",
               lambda: write_report(tmp, cfg=cfg, result=result, data=data, gold=gold, files=files))
        meta = {"config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
                "models": result.models, "files": [str(f) for f in files], "notes": result.notes,
                "seconds": {name: round(t, 2) for name, t in result.times}}
        (tmp / MARKER).write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    log(f"heads report finished in {time.perf_counter() - t_all:.0f} s: {cfg_out / 'report.md'}")
    return result


@dataclass
class _Collected:
    """What the attention pass keeps for the report: tables, and per model the CLS rows and discoveries."""

    statistics: list[pd.DataFrame] = field(default_factory=list)
    discovery: list[pd.DataFrame] = field(default_factory=list)
    cls_rows: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    found: dict[str, dict] = field(default_factory=dict)  # model -> layer -> LayerDiscovery
    captions: object | None = None  # the corpus split as a RetrievalSet, with --corpus


def _is_fastvgs(enc) -> bool:
    from vgprobe.analysis.heads.sites import is_fastvgs, unwrap

    return is_fastvgs(unwrap(enc))


def _corpus_batch(cfg: HeadsConfig):
    """The corpus split's captions (cut or padded as the checkpoint was validated) and their images."""
    from vgprobe.analysis.heads.data import RetrievalSet
    from vgprobe.train.data import retrieval_batch
    from vgprobe.train.evaluate import recorded_eval_settings

    recorded, _ = recorded_eval_settings(cfg.checkpoint)
    seconds = cfg.seconds if cfg.seconds is not None else recorded["seconds"]
    return RetrievalSet(*retrieval_batch(cfg.corpus, cfg.corpus_split, dataset=recorded["dataset"], seconds=seconds))


def _image_statistics(enc, label: str, captions, n: int, cfg: HeadsConfig) -> pd.DataFrame:
    """Image-encoder and cross-encoder head statistics of the first ``n`` captions, each with its own image."""
    from vgprobe.analysis.heads import head_statistics

    utts, images = {}, {}
    for i in range(n):
        key = f"caption-{i:05d}"
        utts[key] = captions.wav[i][~captions.padding[i]]
        j = int(captions.audio_image[i])
        images[key] = (captions.feats[j], captions.boxes[j])
    return head_statistics(enc, utts, stacks=["image", "cross"], images=images, model_name=label,
                           progress=cfg.progress)


def _models(cfg: HeadsConfig, log) -> dict[str, tuple[str, object]]:
    from vgprobe.extract.encoders import load_encoder
    from vgprobe.pipelines.cache import default_cache_dir
    from vgprobe.pipelines.sweep_models import resolve_models

    if not cfg.baseline:
        return {"trained": (cfg.checkpoint, load_encoder(cfg.checkpoint, seed=cfg.seed))}
    resolved = resolve_models(cfg.checkpoint, layers=("all",), baselines=("random",), seed=cfg.seed,
                              cache=Path(cfg.cache) if cfg.cache else default_cache_dir(), log=log)
    return {m.label: (m.checkpoint, load_encoder(m.checkpoint, seed=cfg.seed)) for m in resolved}


def _attention(enc, label: str, files: list[Path], gold, cfg: HeadsConfig, centroids: dict[str, np.ndarray],
               data: _Collected, notes: list[str]) -> None:
    from vgprobe.analysis.heads import head_statistics, load_utterances
    from vgprobe.analysis.heads.discovery import cls_layers, discover_words, discovery_table, keep_cls_rows
    from vgprobe.analysis.heads.sites import is_fastvgs, unwrap

    utts = load_utterances(enc, files)
    words = None if gold is None else {u: [(w.onset, w.offset, w.label) for w in gold.words[u]] for u in utts}
    fastvgs = is_fastvgs(unwrap(enc))
    layers = cls_layers(enc) if fastvgs else []
    rows: dict[str, dict[str, np.ndarray]] = {}
    data.statistics.append(head_statistics(enc, utts, alignments=words, model_name=label, progress=cfg.progress,
                                           on_file=keep_cls_rows(rows, layers) if layers else None))
    if not fastvgs:
        if not any("no CLS token" in n for n in notes):
            notes.append("Hugging Face speech encoders have no CLS token: no CLS-attention word discovery and no "
                         "head ablation (those need FaST-VGS)")
        return
    data.cls_rows[label] = rows
    if gold is None:
        return
    found = discover_words(enc, utts, rows, q=cfg.q, pool=cfg.pool, n_clusters=cfg.clusters, seed=cfg.seed,
                           centroids=centroids)
    data.found[label] = found
    data.discovery.append(discovery_table(gold, found, model_name=label, tolerance=cfg.tolerance))


def read_centroids(path: Path) -> np.ndarray:
    """A ``(K, D)`` float codebook from ``.npy`` (never unpickled)."""
    try:
        c = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: centroid file not found") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a .npy array of centroids ({exc})") from exc
    if c.ndim != 2 or not np.issubdtype(c.dtype, np.floating) or not np.isfinite(c).all():
        raise InputError(f"{path}: expected finite (K, D) float centroids, got {c.dtype} {c.shape}")
    return c


def _ablation(enc, cfg: HeadsConfig, retrieval, notes: list[str]) -> pd.DataFrame | None:
    from vgprobe.analysis.heads import ablate_heads, load_ablation_sets
    from vgprobe.analysis.heads.sites import is_fastvgs, unwrap
    from vgprobe.extract.sources import is_zr2021_root

    model = unwrap(enc)
    if not is_fastvgs(model):
        return None
    if retrieval is None:
        notes.append("no image-caption corpus given (--corpus): the ablation scores ABX and sSIMI only")
    if not is_zr2021_root(cfg.data) and retrieval is None:
        notes.append(f"{cfg.data} is not a ZeroSpeech 2021 root and no corpus was given: no head ablation")
        return None
    sets = load_ablation_sets(zr_root=cfg.data if is_zr2021_root(cfg.data) else None, retrieval=retrieval,
                              split=cfg.split)
    n1 = model.cfg.trm1_layers
    abx_layer = cfg.abx_layer
    if sets.phonetic and abx_layer not in {f"trm1.{k}" for k in range(1, n1 + 1)}:
        raise ConfigError(f"--abx-layer {abx_layer!r}: expected trm1.1..trm1.{n1}")
    return ablate_heads(enc, sets, abx_layer=abx_layer, model_name="trained",
                        progress=cfg.progress)
