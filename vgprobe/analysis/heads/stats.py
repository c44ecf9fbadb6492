"""Per-head statistics of attention maps, accumulated over files.

For one attention map ``p`` (H, Q, K) of one file, each statistic is computed per *query row* (CLS and
padding queries excluded) and then averaged over all rows of all files, so a file counts in proportion to
its number of frames (regions for the image side). Statistics (``STATISTICS`` gives the units):

- ``entropy_bits``: ``-sum_j p_ij log2 p_ij`` over every key (CLS included);
- ``max_weight``: the largest weight of the row;
- ``cls_mass``: weight on the CLS key (NaN where the stack has no CLS);
- ``self_mass``: weight of the query on its own token (self-attention only);
- ``neighbour_mass``: weight on the two frames next to the query's, ``j = i - 1`` and ``j = i + 1``
  (self-attention over frames only; disjoint from ``self_mass``);
- ``distance_ms``: mean distance in time between query and key frames, ``sum_j p_ij |i - j| / sum_j p_ij``
  over frame keys (CLS excluded), times the frame shift (self-attention over frames only: image regions have
  no order and the two sides of a cross-attention share no time axis);
- ``silence_mass``: weight on audio key frames that lie outside every aligned word (with alignments only);
- ``jsd_bits``: for each pair of heads (``head``, ``other_head``), the Jensen–Shannon divergence between their
  distributions of the same query row, ``H((p + q)/2) - (H(p) + H(q))/2`` in bits (0 = identical,
  1 = disjoint), averaged over rows like the others (Clark et al., 2019, "What does BERT look at?").

Undefined combinations are NaN, so every (stack, layer, head) has the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from vgprobe.analysis.heads.sites import Site

STATISTICS: dict[str, str] = {
    "entropy_bits": "bits",
    "max_weight": "fraction of the row",
    "cls_mass": "fraction of the row",
    "self_mass": "fraction of the row",
    "neighbour_mass": "fraction of the row",
    "distance_ms": "ms",
    "silence_mass": "fraction of the row",
    "jsd_bits": "bits",
}
PER_HEAD = tuple(s for s in STATISTICS if s != "jsd_bits")
COLUMNS = ["model", "stack", "layer", "head", "other_head", "statistic", "value", "n_queries"]


@dataclass(frozen=True)
class SiteMap:
    """One site's weights for one file: ``weights`` (H, Q, K); ``query_valid`` (Q,) and ``key_valid`` (K,)
    bool, False at padded or masked tokens (token 0 is CLS when ``site.has_cls``)."""

    site: Site
    weights: torch.Tensor
    query_valid: torch.Tensor
    key_valid: torch.Tensor


def _xlogx_bits(p: torch.Tensor) -> torch.Tensor:
    return torch.special.xlogy(p, p) / math.log(2.0)


def row_statistics(m: SiteMap, silent: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """Per-row values of every per-head statistic: ``{name: (H, R)}`` float64 over the R scored query rows.

    ``silent`` (K - CLS,) bool marks silent key frames (see :func:`~vgprobe.analysis.heads.alignments.silent_frames`).
    """
    s = m.site
    c = 1 if s.has_cls else 0
    rows = m.query_valid.clone()
    rows[:c] = False
    q_index = torch.nonzero(rows).flatten()  # token index of each scored row
    p = m.weights[:, q_index, :].double()  # (H, R, K)
    h, r, k = p.shape
    nan = torch.full((h, r), float("nan"), dtype=torch.float64)
    out = {
        "entropy_bits": -_xlogx_bits(p).sum(-1),
        "max_weight": p.max(-1).values,
        "cls_mass": p[..., 0] if s.has_cls else nan,
    }
    same_tokens = s.self_attention
    frames = same_tokens and s.queries == "frames" and s.frame_shift is not None
    if same_tokens:
        out["self_mass"] = p.gather(-1, q_index.view(1, r, 1).expand(h, r, 1)).squeeze(-1)
    else:
        out["self_mass"] = nan
    if frames:
        key_frame = torch.arange(k) - c  # frame index of each key token; CLS gets -1
        q_frame = (q_index - c).view(1, r, 1).double()
        is_frame = (key_frame >= 0).view(1, 1, k)
        dist = (key_frame.view(1, 1, k).double() - q_frame).abs()
        pf = p * is_frame
        out["neighbour_mass"] = (pf * (dist == 1)).sum(-1)
        out["distance_ms"] = 1000.0 * s.frame_shift * (pf * dist).sum(-1) / pf.sum(-1).clamp_min(1e-300)
    else:
        out["neighbour_mass"] = nan
        out["distance_ms"] = nan
    if silent is not None and s.keys == "frames":
        if len(silent) != k - c:
            raise ValueError(f"{s.name}: silence mask has {len(silent)} frames, the keys have {k - c}")
        mask = torch.zeros(k, dtype=torch.float64)
        mask[c:] = torch.from_numpy(np.asarray(silent, dtype=np.float64))
        out["silence_mass"] = (p * mask).sum(-1)
    else:
        out["silence_mass"] = nan
    return out


def jsd_rows(m: SiteMap) -> torch.Tensor:
    """(H, H, R) Jensen–Shannon divergence (bits) between every two heads' distributions, per scored row."""
    c = 1 if m.site.has_cls else 0
    rows = m.query_valid.clone()
    rows[:c] = False
    p = m.weights[:, rows, :].double()  # (H, R, K)
    ent = -_xlogx_bits(p).sum(-1)  # (H, R)
    out = torch.empty(p.shape[0], p.shape[0], p.shape[1], dtype=torch.float64)
    for a in range(p.shape[0]):
        mix = (p[a : a + 1] + p) / 2
        out[a] = (-_xlogx_bits(mix).sum(-1) - (ent[a : a + 1] + ent) / 2).clamp_min(0.0)
    return out


class HeadStatistics:
    """Running sums of :func:`row_statistics` and :func:`jsd_rows` per site; memory O(sites x heads^2)."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, int], dict[str, torch.Tensor]] = {}
        self._jsd: dict[tuple[str, int], torch.Tensor] = {}
        self._rows: dict[tuple[str, int], int] = {}
        self._files: dict[tuple[str, int], int] = {}

    def add(self, m: SiteMap, silent: np.ndarray | None = None) -> None:
        key = (m.site.stack, m.site.layer)
        st = row_statistics(m, silent)
        acc = self._sums.setdefault(key, {n: torch.zeros(m.site.n_heads, dtype=torch.float64) for n in PER_HEAD})
        for n in PER_HEAD:
            acc[n] += st[n].sum(-1)
        js = jsd_rows(m).sum(-1)
        self._jsd[key] = self._jsd.get(key, torch.zeros_like(js)) + js
        self._rows[key] = self._rows.get(key, 0) + st["entropy_bits"].shape[1]
        self._files[key] = self._files.get(key, 0) + 1

    def frame(self, model: str) -> pd.DataFrame:
        """The tidy table: one row per (stack, layer, head, statistic[, other_head])."""
        records = []
        for (stack, layer), acc in self._sums.items():
            n = self._rows[(stack, layer)]
            for name in PER_HEAD:
                for head, v in enumerate((acc[name] / n).tolist()):
                    records.append((model, stack, layer, head, pd.NA, name, v, n))
            jsd = (self._jsd[(stack, layer)] / n).tolist()
            for head, row in enumerate(jsd):
                for other, v in enumerate(row):
                    records.append((model, stack, layer, head, other, "jsd_bits", v, n))
        df = pd.DataFrame.from_records(records, columns=COLUMNS)
        df["other_head"] = df["other_head"].astype("Int64")
        return df


def similarity_matrix(df: pd.DataFrame, *, stack: str, layer: int, model: str | None = None) -> np.ndarray:
    """The (H, H) ``jsd_bits`` matrix of one layer from a :func:`head_statistics` table."""
    part = df[(df["statistic"] == "jsd_bits") & (df["stack"] == stack) & (df["layer"] == layer)]
    if model is not None:
        part = part[part["model"] == model]
    if part["model"].nunique() > 1:
        raise ValueError(f"the table holds several models {sorted(part['model'].unique())}; pass model=")
    grid = part.pivot(index="head", columns="other_head", values="value").sort_index().sort_index(axis=1)
    return grid.to_numpy(dtype=np.float64)
