"""Word segmentation from CLS attention (VG-HuBERT; Peng & Harwath, 2022) and segment codes.

One layer's CLS row of attention, ``attn[h, t]`` (heads x frames, the CLS column dropped), marks
the frames that the utterance embedding attends to. The segmentation is the one of the authors'
``cls_attn_seg_feats`` (jasonppy/word-discovery, ``save_seg_feats.py``), re-implemented here:

1. per head, ``thr_h = quantile(attn[h], q)`` with linear interpolation, computed in float32
   with :func:`torch.quantile`, as the authors' code does on the model's float32 attention (numpy's
   float32 quantile is not bit-equal to it: it differs on most utterances of the reference set);
2. frame ``t`` is kept if **any** head has ``attn[h, t] >= thr_h``;
3. runs of kept frames become segments ``[t_s, t_e)`` (``t_e`` exclusive); runs of one frame are
   dropped, unless every run has one frame, in which case all are kept;
4. a segment spans ``[t_s * spf, t_e * spf]`` seconds and is located at ``spf * (t_s + t_e) / 2``.

Example (12 heads, 85 frames of 20.15 ms)::

    seg = segment_cls_attention(attn, 0.7, 0.02015)      # attn float32 (12, 85)
    seg.frames                                           # [[1, 4], [6, 14], ...]
    feats = pool_segments(frame_feats, attn, seg.frames, "max")   # (n_segments, D) float32
    codes = nearest_centroid(feats, centroids)            # [28, 28, 0, ...]

A whole corpus at once, codes from given centroids or from a seeded k-means::

    preds, feats = discover_units({"utt1": (attn, frame_feats, spf), ...}, q=0.7, pool="max",
                                  n_clusters=1024, seed=0)
    write_pred("segments.json", preds)                  # vgprobe.analysis.wordseg
    np.savez("segment_feats.npz", **feats)               # for the variance filter

``spf`` is the audio duration over the frame count, ``n_samples / sample_rate / T``; for a
HuBERT-style frame rate it is close to, but not exactly, 0.02 (see :func:`seconds_per_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vgprobe.errors import ConfigError, InputError

POOLS = ("mean", "max", "median", "weightedmean")


@dataclass(frozen=True)
class Segmentation:
    """The segments of one utterance (also readable as a mapping: ``seg["frames"]``).

    ``frames``: ``[[t_s, t_e], ...]`` frame runs, ``t_e`` exclusive; ``seconds``: ``[[t_s*spf,
    t_e*spf], ...]``; ``locations``: segment centres ``spf*(t_s+t_e)/2`` in seconds;
    ``thresholds``: the per-head float32 quantiles (as Python floats); ``runs_before_drop``: every
    run of kept frames, before runs of one frame are dropped.
    """

    frames: list[list[int]]
    seconds: list[list[float]]
    locations: list[float]
    thresholds: list[float]
    runs_before_drop: list[list[int]]
    q: float
    spf: float

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> tuple[str, ...]:
        return tuple(self.__dataclass_fields__)


def seconds_per_frame(n_samples: int, n_frames: int, *, sample_rate: int = 16000) -> float:
    """Seconds per frame as the authors compute it: ``n_samples / sample_rate / n_frames``.

    For a HuBERT/wav2vec2 convolutional front end, ``n_frames = (n_samples - 400) // 320 + 1``,
    so ``spf`` is slightly above 0.02 s (e.g. 27406 samples, 85 frames -> 0.0201515 s).
    """
    if n_samples <= 0 or n_frames <= 0 or sample_rate <= 0:
        raise ConfigError(f"seconds_per_frame: n_samples={n_samples}, n_frames={n_frames}, "
                          f"sample_rate={sample_rate}: expected positive numbers")
    return n_samples / sample_rate / n_frames


def _attention_tensor(attn: Any, name: str = "attn"):
    import torch

    a = np.asarray(attn.detach().cpu() if isinstance(attn, torch.Tensor) else attn)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise InputError(f"{name}: expected a (heads, frames) array, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"{name}: expected real numbers, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        raise InputError(f"{name}: contains non-finite values (NaN or inf)")
    return torch.from_numpy(a)


def segment_cls_attention(attn: Any, q: float, spf: float) -> Segmentation:
    """Segment one utterance from the CLS row of one layer's attention.

    ``attn``: ``(heads, T)`` array (cast to float32, as the model computes it), the CLS query's
    weights over the T frame keys (the CLS key dropped), e.g. ``weights[:, 0, 1:]``;
    ``q``: the per-head quantile in ``[0, 1]``; ``spf``: seconds per frame.
    """
    import torch

    if not isinstance(q, (int, float)) or isinstance(q, bool) or not 0.0 <= float(q) <= 1.0:
        raise ConfigError(f"q={q!r}: expected a quantile in [0, 1]")
    if not isinstance(spf, (int, float)) or isinstance(spf, bool) or not np.isfinite(spf) or spf <= 0:
        raise ConfigError(f"spf={spf!r}: expected a positive number of seconds per frame")
    a = _attention_tensor(attn)
    n_frames = a.shape[1]
    thr = torch.quantile(a, float(q), dim=-1, keepdim=True)
    kept = np.flatnonzero((a >= thr).any(dim=0).numpy())
    runs: list[list[int]] = []
    if kept.size:
        breaks = np.flatnonzero(np.diff(kept) != 1) + 1
        for run in np.split(kept, breaks):
            runs.append([int(run[0]), min(int(run[-1]) + 1, n_frames)])
    longer = [r for r in runs if r[1] - r[0] > 1]
    frames = longer if longer else [list(r) for r in runs]
    spf = float(spf)
    return Segmentation(
        frames=frames,
        seconds=[[ts * spf, te * spf] for ts, te in frames],
        locations=[spf * (ts + te) / 2.0 for ts, te in frames],
        thresholds=[float(v) for v in thr[:, 0].tolist()],
        runs_before_drop=runs,
        q=float(q),
        spf=spf,
    )


def _check_frames(frames: Sequence[Sequence[int]], n_frames: int) -> list[tuple[int, int]]:
    out = []
    for j, fr in enumerate(frames):
        if len(fr) != 2:
            raise InputError(f"frames[{j}] = {fr!r}: expected a [start, end) pair")
        ts, te = int(fr[0]), int(fr[1])
        if not 0 <= ts < te <= n_frames:
            raise InputError(f"frames[{j}] = [{ts}, {te}): expected 0 <= start < end <= {n_frames}")
        out.append((ts, te))
    return out


def pool_segments(frame_feats: Any, attn: Any, frames: Sequence[Sequence[int]], pool: str) -> np.ndarray:
    """One feature vector per segment, pooled over its frames as the authors' code pools them.

    ``frame_feats``: ``(T, D)`` float32 frame features (CLS row dropped); ``attn``: the
    ``(heads, T)`` CLS attention used for ``max`` and ``weightedmean``; ``frames``: ``[[t_s, t_e],
    ...]``. Returns ``(n_segments, D)`` float32:

    - ``mean``: mean over the frames;
    - ``max``: the frame whose head-summed attention is largest (the first one on ties);
    - ``median``: the frame ``int((t_s + t_e) / 2)``;
    - ``weightedmean``: mean weighted by the head-summed attention.

    Computed with torch in float32, in the same operation order as the authors' code.
    """
    import torch

    if pool not in POOLS:
        raise ConfigError(f"pool={pool!r}: expected one of {', '.join(POOLS)}")
    f = np.asarray(frame_feats.detach().cpu() if isinstance(frame_feats, torch.Tensor) else frame_feats)
    if f.ndim != 2:
        raise InputError(f"frame_feats: expected a (frames, dims) array, got shape {f.shape}")
    feats = torch.from_numpy(np.ascontiguousarray(f, dtype=np.float32))
    a = _attention_tensor(attn)
    if a.shape[1] != feats.shape[0]:
        raise InputError(f"frame_feats has {feats.shape[0]} frames but attn has {a.shape[1]}")
    spans = _check_frames(frames, feats.shape[0])
    if not spans:
        return np.zeros((0, feats.shape[1]), dtype=np.float32)
    weight = a.sum(0)
    rows = []
    for ts, te in spans:
        if pool == "mean":
            rows.append(feats[ts:te].mean(0))
        elif pool == "max":
            rows.append(feats[ts + int(torch.argmax(weight[ts:te]))])
        elif pool == "median":
            rows.append(feats[int((ts + te) / 2)])
        else:
            w = weight[ts:te]
            rows.append((feats[ts:te] * (w / w.sum()).unsqueeze(1)).sum(0))
    return torch.stack(rows).numpy()


def nearest_centroid(features: Any, centroids: Any) -> list[int]:
    """Index of the nearest centroid of each row, as the authors' ``get_code_ali_selective``.

    ``features``: ``(N, D)``, ``centroids``: ``(K, D)``; both cast to float32. The squared
    distance is ``|f|^2 + |c|^2 - 2 f.c`` in float32 (the authors' expression, so near-ties resolve
    as theirs do); ties go to the lowest index.
    """
    import torch

    f = np.asarray(features, dtype=np.float32)
    c = np.asarray(centroids, dtype=np.float32)
    if f.ndim != 2 or c.ndim != 2 or f.shape[1] != c.shape[1] or c.shape[0] < 1:
        raise InputError(f"nearest_centroid: features {f.shape} and centroids {c.shape}: expected (N, D) and (K, D)")
    if f.shape[0] == 0:
        return []
    ft, ct = torch.from_numpy(np.ascontiguousarray(f)), torch.from_numpy(np.ascontiguousarray(c))
    d = (ft ** 2).sum(1, keepdim=True) + (ct ** 2).sum(1).unsqueeze(0) - 2 * ft @ ct.t()
    return [int(v) for v in torch.argmin(d, dim=1).tolist()]


def kmeans_codebook(features: Any, n_clusters: int, *, seed: int = 0, n_init: int = 1,
                    max_iter: int = 300) -> np.ndarray:
    """Fit scikit-learn ``KMeans`` (seeded) on a corpus's pooled segment features.

    ``features``: ``(N, D)`` segment features of every utterance stacked. Returns the
    ``(n_clusters, D)`` float32 centroids; assign codes with :func:`nearest_centroid`.
    """
    from sklearn.cluster import KMeans

    x = np.asarray(features, dtype=np.float32)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise InputError(f"kmeans_codebook: expected finite (N, D) features, got shape {x.shape}")
    if not 1 <= n_clusters <= x.shape[0]:
        raise ConfigError(f"n_clusters={n_clusters}: expected 1 <= n_clusters <= {x.shape[0]} segments")
    km = KMeans(n_clusters=n_clusters, random_state=seed, n_init=n_init, max_iter=max_iter).fit(x)
    return km.cluster_centers_.astype(np.float32)


def discover_units(utterances: Mapping[str, tuple[Any, Any, float]], *, q: float, pool: str = "max",
                   centroids: Any = None, n_clusters: int | None = None, seed: int = 0
                   ) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """Segment, pool and code every utterance of a corpus.

    ``utterances``: ``{utt: (attn (heads, T), frame_feats (T, D), spf)}``. Codes are the nearest of
    ``centroids`` (``(K, D)``), or of a :func:`kmeans_codebook` with ``n_clusters`` fitted (seeded)
    on all pooled segment features. Returns the prediction entries ``{utt: {"spf", "segments",
    "locations", "codes", "frames"}}`` (the layout :func:`vgprobe.analysis.wordseg.write_pred`
    writes) and the pooled features ``{utt: (n_segments, D) float32}``.
    """
    if (centroids is None) == (n_clusters is None):
        raise ConfigError("discover_units: give either centroids or n_clusters")
    segs, feats = {}, {}
    for utt, (attn, frame_feats, spf) in utterances.items():
        segs[utt] = segment_cls_attention(attn, q, spf)
        feats[utt] = pool_segments(frame_feats, attn, segs[utt].frames, pool)
    if centroids is None:
        centroids = kmeans_codebook(np.concatenate(list(feats.values()), axis=0), int(n_clusters), seed=seed)
    preds = {}
    for utt, seg in segs.items():
        preds[utt] = {"spf": seg.spf, "segments": seg.seconds, "locations": seg.locations,
                      "codes": nearest_centroid(feats[utt], centroids), "frames": seg.frames}
    return preds, feats
