"""All probes of one extracted layer, as one tidy table (the layer sweep calls this per layer).

For each token table (phones of each phonetic subset, words of each sSIMI type, or words of given
alignments), the enabled probes give rows with the columns

``layer, subset, target, probe, metric, score, baseline, n_tokens, n_labels, n_groups, n_folds``:

- ``pwcca`` / ``pwcca``: PWCCA between the tokens and their well-posed one-hot labels (the last
  class column dropped), speaker-grouped K-fold (:func:`~vgprobe.analysis.probes.protocol.grouped_cv_pwcca`);
- ``kmeans_mi`` / ``normalised_mi``: MiniBatchKMeans fitted and scored on all tokens (the
  reference's train mode; ``n_folds`` 0), MI / H(labels);
- ``linear`` / ``accuracy`` and ``f1_macro``: the speaker-held-out logistic-regression probe, with
  the majority-class value in ``baseline``.

Labels with fewer than ``min_label_count`` tokens are dropped first (``n_tokens`` counts what is
left). Example::

    df = probe_layer(Path("feats/trained/trm1.6"), Path("zr2021"), split="dev")
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vgprobe.analysis.probes.cca import one_hot
from vgprobe.analysis.probes.linear import linear_probe
from vgprobe.analysis.probes.mi import kmeans_mi
from vgprobe.analysis.probes.protocol import grouped_cv_pwcca
from vgprobe.analysis.probes.tokens import TokenTable, phone_tokens, semantic_word_tokens, word_tokens
from vgprobe.errors import ConfigError, InputError

PROBES: tuple[str, ...] = ("pwcca", "kmeans_mi", "linear")
TARGETS: tuple[str, ...] = ("phone", "word")
COLUMNS: tuple[str, ...] = (
    "layer", "subset", "target", "probe", "metric", "score", "baseline", "n_tokens", "n_labels", "n_groups", "n_folds",
)


@dataclass(frozen=True)
class ProbeConfig:
    """Settings of :func:`probe_tokens` / :func:`probe_layer`.

    ``blas_threads`` caps the BLAS threads while probing (None: leave them as they are). The
    matrices are small (at most a few thousand tokens by a few hundred dimensions), where extra
    threads gain little and, on a machine busy with other work, cost up to tens of times the time.
    """

    probes: tuple[str, ...] = PROBES
    folds: int = 5
    min_label_count: int = 2
    epsilon: float = 1e-10
    mi_clusters: int = 50
    mi_batch_size: int = 1500
    mi_max_iter: int = 500
    seed: int = 0
    linear_max_iter: int = 200
    blas_threads: int | None = 1

    def __post_init__(self) -> None:
        unknown = sorted(set(self.probes) - set(PROBES))
        if unknown or not self.probes:
            raise ConfigError(f"unknown probes {unknown}; expected some of {', '.join(PROBES)}")
        if self.folds < 2:
            raise ConfigError(f"folds must be at least 2, got {self.folds}")
        if self.min_label_count < 1:
            raise ConfigError(f"min_label_count must be at least 1, got {self.min_label_count}")
        if self.blas_threads is not None and self.blas_threads < 1:
            raise ConfigError(f"blas_threads must be positive or None, got {self.blas_threads}")


def probe_tokens(
    tokens: TokenTable, *, target: str, layer: str = "", subset: str = "", config: ProbeConfig = ProbeConfig()
) -> list[dict]:
    """The tidy rows of every enabled probe on one token table (see the module docstring)."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    kept = tokens.with_min_count(config.min_label_count)
    n_labels = len(np.unique(kept.labels))
    if n_labels < 2:
        raise InputError(
            f"{tokens.source}: fewer than 2 {target} labels with at least {config.min_label_count} tokens each"
        )
    common = {
        "layer": layer, "subset": subset, "target": target, "n_tokens": len(kept), "n_labels": n_labels,
        "n_groups": len(np.unique(kept.groups)),
    }
    rows: list[dict] = []
    limit = nullcontext()
    if config.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=config.blas_threads, user_api="blas")
    with limit:
        if "pwcca" in config.probes:
            r = grouped_cv_pwcca(
                kept.features, one_hot(kept.labels, drop_last=True), kept.groups, n_splits=config.folds,
                epsilon_x=config.epsilon, epsilon_y=config.epsilon,
            )
            rows.append({**common, "probe": "pwcca", "metric": "pwcca", "score": r.score, "baseline": np.nan,
                         "n_folds": len(r.fold_scores)})
        if "kmeans_mi" in config.probes:
            mi = kmeans_mi(kept.features, kept.labels, n_clusters=config.mi_clusters,
                           batch_size=config.mi_batch_size, max_iter=config.mi_max_iter, seed=config.seed)
            rows.append({**common, "probe": "kmeans_mi", "metric": "normalised_mi", "score": mi, "baseline": np.nan,
                         "n_folds": 0})
        if "linear" in config.probes:
            lin = linear_probe(kept.features, kept.labels, kept.groups, n_splits=config.folds,
                               max_iter=config.linear_max_iter)
            for metric, score, base in (("accuracy", lin.accuracy, lin.baseline_accuracy),
                                        ("f1_macro", lin.f1_macro, lin.baseline_f1_macro)):
                rows.append({**common, "probe": "linear", "metric": metric, "score": score, "baseline": base,
                             "n_folds": lin.n_folds})
    return rows


def probe_layer(
    layer_dir: str | Path,
    data_root: str | Path,
    *,
    split: str = "dev",
    layer: str | None = None,
    targets: Collection[str] = TARGETS,
    item_kind: str = "phoneme",
    word_alignments: Mapping[str, str | Path] | None = None,
    frame_shift: float | None = None,
    slicing: str = "librilight",
    ext: str | None = None,
    config: ProbeConfig = ProbeConfig(),
) -> pd.DataFrame:
    """Probe one extracted layer folder (a ZR2021 submission folder with ``meta.yaml``).

    Phones: the ``item_kind`` items (``"phoneme"``: one token per phone, as vgprobe's synthetic sets
    write them; ``"triphone"``: the official items, whose span covers both neighbours) of each
    phonetic subset of ``split``, features from ``layer_dir/phonetic/<subset>``. Words: the sSIMI
    ``gold.csv`` tokens of each type from ``layer_dir/semantic/<split>``, or, when ``word_alignments``
    maps phonetic subsets to alignment JSON files, the aligned words of those subsets. The frame
    shift comes from ``meta.yaml`` unless given. Returns the rows of :func:`probe_tokens`.
    """
    from vgprobe.zerospeech import layout
    from vgprobe.zerospeech.abx.submission import submission_frame_shift

    layer_dir, data_root = Path(layer_dir), Path(data_root)
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown or not targets:
        raise ConfigError(f"unknown targets {unknown}; expected some of {', '.join(TARGETS)}")
    if item_kind not in ("phoneme", "triphone"):
        raise ConfigError(f"unknown item kind {item_kind!r}; expected 'phoneme' or 'triphone'")
    name = layer or layer_dir.name
    needs_frames = "phone" in targets or ("word" in targets and word_alignments is not None)
    shift = frame_shift or submission_frame_shift(layer_dir)
    if needs_frames and shift is None:
        raise InputError(f"{layer_dir / 'meta.yaml'}: no parameters.phonetic.frame_shift; pass frame_shift")
    tables: list[tuple[str, str, TokenTable]] = []
    if "phone" in targets:
        for subset in layout.phonetic_subsets(split):
            items = layout.item_file(data_root, subset, kind=item_kind)  # type: ignore[arg-type]
            feats = layout.submission_phonetic_dir(layer_dir, subset)
            tables.append(("phone", subset, phone_tokens(feats, items, frame_shift=shift, slicing=slicing, ext=ext)))
    if "word" in targets:
        if word_alignments is not None:
            for subset, path in word_alignments.items():
                feats = layout.submission_phonetic_dir(layer_dir, subset)
                tables.append(("word", subset, word_tokens(feats, path, frame_shift=shift, slicing=slicing, ext=ext)))
        else:
            from vgprobe.zerospeech.semantic.tables import read_gold

            gold = layout.semantic_gold(data_root, split)
            feats = layout.submission_semantic_dir(layer_dir, split)
            for type_ in sorted({t.type for t in read_gold(gold)}):
                tables.append(("word", type_, semantic_word_tokens(feats, gold, types=(type_,), ext=ext)))
    rows: list[dict] = []
    for target, subset, table in tables:
        rows += probe_tokens(table, target=target, layer=name, subset=subset, config=config)
    return pd.DataFrame(rows, columns=list(COLUMNS))
