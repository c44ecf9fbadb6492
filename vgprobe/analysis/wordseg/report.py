"""The word-discovery report as JSON-ready data and as a short text summary.

JSON has no NaN or infinity: non-finite numbers are written as the strings ``"nan"``, ``"inf"``
and ``"-inf"`` (:func:`json_ready`); :func:`from_json` turns them back into floats.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_NONFINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def json_ready(obj: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, non-finite floats to strings, keys to str."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return obj


def from_json(obj: Any) -> Any:
    """Inverse of :func:`json_ready` for numbers: ``"nan"``/``"inf"``/``"-inf"`` back to floats."""
    if isinstance(obj, dict):
        return {k: from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_json(v) for v in obj]
    if isinstance(obj, str) and obj in _NONFINITE:
        return _NONFINITE[obj]
    return obj


def _n(v: Any, fmt: str = ".4f") -> str:
    return "nan" if isinstance(v, float) and math.isnan(v) else format(v, fmt)


def format_report(report: dict) -> str:
    """A few lines with the headline numbers of :func:`score_word_discovery`'s report."""
    b, a, w, k = report["boundary"], report["area"], report["word"], report["buckeye_eval"]
    wd_key = next(key for key in w if key.startswith("wd_count_f1_ge_"))
    top_key = next(key for key in w if key.startswith("top") and key.endswith("_avg_f1_percent"))
    lines = [
        f"utterances scored: {report['utterances']['n_scored']}",
        (f"boundary (tolerance {b['tolerance']:g} s): precision {_n(b['precision'])}  recall {_n(b['recall'])}  "
         f"F1 {_n(b['f1'])}  OS {_n(b['os'])}  R-value {_n(b['r_value'])}  "
         f"({b['match_gt']} matches, {b['n_pred']} predicted, {b['n_gt']} gold)"),
        (f"area: IoU {_n(a['iou'])}  IoT {_n(a['iot'])}  word coverage {_n(a['word_coverage'])}  "
         f"A-score {_n(a['a_score'])}  ({a['n_uncovered_word_tokens']} of {a['n_scored_word_tokens']} "
         f"word tokens uncovered)"),
        (f"words: WD {w[wd_key]} of {w['n_word_types']} types  {top_key.split('_')[0]} average F1 "
         f"{_n(w[top_key], '.2f')}%"),
    ]
    for sel in [s for s in ("var_le_1", "all_codes") if f"purity_occ_{s}" in w]:
        lines.append(f"clusters ({sel}, {w[f'n_codes_{sel}']} codes): purity {_n(w[f'purity_occ_{sel}'])}  "
                     f"NMI {_n(w[f'nmi_{sel}'])}  normalised H(W|C) as in the reference "
                     f"{_n(w[f'norm_cond_entropy_as_in_reference_{sel}'])}")
    kb, kt = k["word_boundaries"], k["word_token_boundaries"]
    lines.append(f"frame scorer (tolerance {k['tolerance_frames']} frames): boundary P {_n(kb['precision'])} "
                 f"R {_n(kb['recall'])} F {_n(kb['f1'])} R-value {_n(kb['r_value'])}; token P "
                 f"{_n(kt['precision'])} R {_n(kt['recall'])} F {_n(kt['f1'])}")
    if "tde" in report:
        t = report["tde"]
        parts = [f"NED {_n(t['ned'])}" if "ned" in t else "", f"coverage {_n(t['coverage'])}" if "coverage" in t else ""]
        for name in ("boundary", "token", "type", "grouping"):
            if name in t:
                parts.append(f"{name} F {_n(t[name]['fscore'])}")
        lines.append(f"term discovery ({t['units']}): " + "  ".join(p for p in parts if p))
    return "\n".join(lines)
