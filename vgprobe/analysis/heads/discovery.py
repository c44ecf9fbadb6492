"""Word discovery from CLS attention in every layer of a model, scored against gold words layer by layer.

For each layer with a CLS token (FaST-VGS ``trm1.1`` … ``trm1.N`` and ``trm2.1``) and each utterance, the
layer's CLS attention row is segmented (:func:`vgprobe.analysis.segmentation.segment_cls_attention`, the
VG-HuBERT rule), the layer's own frame features are pooled per segment, and a seeded k-means over the
corpus's pooled segments gives every segment a code. :func:`discovery_table` scores each layer with the
word-discovery metrics (:func:`vgprobe.analysis.wordseg.score_word_discovery`): which layer segments best.

Example::

    rows = {}                                         # layer -> utt -> (heads, T) CLS attention
    df = head_statistics(enc, utts, on_file=keep_cls_rows(rows, cls_layers(enc)))
    found = discover_words(enc, utts, rows, q=0.7, pool="max", n_clusters=64)
    table = discovery_table(gold, found, model_name="trained")
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from vgprobe.analysis.heads.collect import cls_row
from vgprobe.analysis.heads.sites import attention_sites, is_fastvgs, unwrap
from vgprobe.analysis.heads.stats import SiteMap
from vgprobe.errors import ConfigError, InputError

TABLE_COLUMNS = (
    "model", "layer", "n_utterances", "n_segments", "n_clusters", "boundary_precision", "boundary_recall",
    "boundary_f1", "over_segmentation", "r_value", "iou", "word_coverage", "a_score", "wd", "top250_f1",
    "purity", "nmi", "n_warnings",
)


@dataclass(frozen=True)
class LayerDiscovery:
    """The discovered units of one layer: prediction entries ``{utt: {"spf", "segments", "locations",
    "codes", "frames"}}`` (what :func:`vgprobe.analysis.wordseg.write_pred` writes) and the pooled segment
    features ``{utt: (n_segments, D) float32}``."""

    layer: str
    preds: dict[str, dict]
    features: dict[str, np.ndarray]
    n_clusters: int

    @property
    def n_segments(self) -> int:
        return sum(len(p["segments"]) for p in self.preds.values())


def cls_layers(model_or_encoder) -> list[str]:
    """The layers whose attention has a CLS token and whose frames are a named layer: ``trm1.k`` and ``trm2.k``
    of FaST-VGS (Hugging Face speech encoders have no CLS token: an error says so)."""
    from vgprobe.fastvgs.layers import layer_names

    model = unwrap(model_or_encoder)
    if not is_fastvgs(model):
        raise ConfigError(f"{type(model).__name__}: a Hugging Face speech encoder has no CLS token, so no "
                          "CLS-attention word discovery; use a FaST-VGS model")
    named = set(layer_names(model.cfg))
    return [s.name for s in attention_sites(model, stacks=["trm1", "trm2"]) if s.has_cls and s.name in named]


def keep_cls_rows(into: dict[str, dict[str, np.ndarray]], layers: Sequence[str]
                  ) -> Callable[[str, list[SiteMap]], None]:
    """An ``on_file`` callback for :func:`~vgprobe.analysis.heads.head_statistics` that keeps the CLS rows of
    ``layers`` in ``into[layer][utt]``."""
    wanted = set(layers)

    def keep(utt: str, maps: list[SiteMap]) -> None:
        for m in maps:
            if m.site.name in wanted:
                into.setdefault(m.site.name, {})[utt] = cls_row(m)

    return keep


def discover_words(
    model_or_encoder,
    utterances: Mapping[str, torch.Tensor],
    cls_rows: Mapping[str, Mapping[str, np.ndarray]],
    *,
    q: float = 0.7,
    pool: str = "max",
    n_clusters: int = 64,
    seed: int = 0,
    sample_rate: int = 16000,
    centroids: Mapping[str, np.ndarray] | None = None,
) -> dict[str, LayerDiscovery]:
    """Segment, pool and code every utterance in every layer of ``cls_rows`` (``{layer: {utt: (heads, T)}}``).

    ``utterances``: ``{utt: prepared 1-D waveform}``; each file's layer features are computed alone, unpadded,
    in one pass for all layers. Codes are the nearest of ``centroids[layer]`` (``(K, D)``) where given, else of a
    seeded k-means with ``n_clusters`` fitted on the layer's pooled segments (capped at the segment count:
    k-means needs as many points as centroids)."""
    from vgprobe.analysis.segmentation import (kmeans_codebook, nearest_centroid, pool_segments, seconds_per_frame,
                                               segment_cls_attention)

    model = unwrap(model_or_encoder)
    layers = list(cls_rows)
    if not layers:
        raise ConfigError("no layer to segment")
    segs: dict[str, dict] = {la: {} for la in layers}
    feats: dict[str, dict[str, np.ndarray]] = {la: {} for la in layers}
    for utt, wav in utterances.items():
        with torch.no_grad():
            (frames,) = model.audio_layers_each([wav.to(next(model.parameters()).device)], layers)
        for la in layers:
            if utt not in cls_rows[la]:
                raise InputError(f"no CLS attention of {la} for utterance {utt!r}")
            attn = cls_rows[la][utt]
            f = frames[la].float().cpu().numpy()
            if f.shape[0] != attn.shape[1]:
                raise InputError(f"{utt}: {la} has {f.shape[0]} frames but its CLS attention {attn.shape[1]}")
            seg = segment_cls_attention(attn, q, seconds_per_frame(len(wav), attn.shape[1], sample_rate=sample_rate))
            segs[la][utt] = seg
            feats[la][utt] = pool_segments(f, attn, seg.frames, pool)
    given = dict(centroids or {})
    unknown = sorted(set(given) - set(layers))
    if unknown:
        raise ConfigError(f"centroids for {unknown}: no such segmented layer; the layers are {layers}")
    out = {}
    for la in layers:
        stacked = np.concatenate(list(feats[la].values()), axis=0)
        if la in given:
            codebook = np.asarray(given[la], dtype=np.float32)
            if codebook.ndim != 2 or codebook.shape[1] != stacked.shape[1] or len(codebook) < 1:
                raise InputError(f"centroids of {la}: expected (K, {stacked.shape[1]}), got {codebook.shape}")
        else:
            k = min(int(n_clusters), len(stacked))
            if k < 1:
                raise InputError(f"{la}: no segment in any utterance")
            codebook = kmeans_codebook(stacked, k, seed=seed)
        preds = {utt: {"spf": s.spf, "segments": s.seconds, "locations": s.locations,
                       "codes": nearest_centroid(feats[la][utt], codebook), "frames": s.frames}
                 for utt, s in segs[la].items()}
        out[la] = LayerDiscovery(la, preds, feats[la], len(codebook))
    return out


def discovery_table(gold, found: Mapping[str, LayerDiscovery], *, model_name: str = "model",
                    tolerance: float = 0.02) -> pd.DataFrame:
    """One row per layer: boundary P/R/F1, over-segmentation and R-value, area (IoU, word coverage, A-score) and
    word-group scores (WD = word types whose best code has F1 >= 0.5, top-250 average F1 in %, purity and the
    reference's ``nmi``) of :func:`vgprobe.analysis.wordseg.score_word_discovery` with the segment features
    (variance filter). ``df.attrs["reports"]``: the full report of each layer."""
    from vgprobe.analysis.wordseg import WordDiscoveryWarning, score_word_discovery

    rows, reports = [], {}
    for la, d in found.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WordDiscoveryWarning)  # each report keeps its warnings
            r = score_word_discovery(gold, d.preds, tolerance=tolerance, features=d.features)
        reports[la] = r
        b, a, w = r["boundary"], r["area"], r["word"]
        rows.append({
            "model": model_name, "layer": la, "n_utterances": r["utterances"]["n_scored"],
            "n_segments": d.n_segments, "n_clusters": d.n_clusters,
            "boundary_precision": b["precision"], "boundary_recall": b["recall"], "boundary_f1": b["f1"],
            "over_segmentation": b["os"], "r_value": b["r_value"], "iou": a["iou"],
            "word_coverage": a["word_coverage"], "a_score": a["a_score"], "wd": w["wd_count_f1_ge_0.5"],
            "top250_f1": w["top250_avg_f1_percent"], "purity": w["purity_occ_all_codes"],
            "nmi": w["nmi_all_codes"], "n_warnings": len(r["warnings"]),
        })
    df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    df.attrs["reports"] = reports
    return df
