"""Codes against words: best-code F1, WD, top-k F1, purity, entropies, and the variance filter.

Re-implements the word-group part of jasonppy/word-discovery's ``unit_analysis.py``
(``comp_word_to_coderecall``, ``comp_code_word_f1``, ``count_high_f1_words``,
``compute_topk_avg_f1``, ``threshold_by_var``, ``print_clustering_purity_nmi``):

- every scored word token gets the *set* of codes of the segments that touch it (see
  :mod:`.area`), or the marker ``-1`` when uncovered (``-1`` never competes as a code);
- ``occ(w, c)``: tokens of ``w`` whose set contains ``c``; ``recall = occ / tokens(w)``;
  ``precision = occ / (scored tokens whose set contains c)``; ``F1`` their harmonic mean. Codes in
  silence are free, and a code repeated inside one token counts once;
- WD = word types whose best F1 is ``>= 0.5``; ``top250_avg_f1_percent`` = 100 x the mean best F1
  of the 250 best words that have a code;
- purity and entropies over a set of codes, from the ``occ`` table: ``purity_occ = sum_c max_w
  occ / sum occ``; ``purity_f1 = sum_c occ(c, highest-F1 word of c) / sum occ``;
  ``norm_cond_entropy_as_in_reference = 2 H(W|C) / (H(C) + H(W))``, which the reference prints as
  "nmi" but is a normalised *conditional entropy* (0 = pure); ``nmi`` is the true arithmetic NMI
  ``2 (H(W) - H(W|C)) / (H(C) + H(W))`` (natural logs, both);
- variance filter: keep a code when the mean over dimensions of the unbiased variance of its
  segments' features is ``<= 1`` (``nan`` = dropped). As in the reference, each segment's feature
  counts once *per scored word token of its utterance* (so a code seen once in an utterance of
  several words has variance 0 and is kept); ``plain`` counts each segment once. Computed here as
  a weighted variance in float64 (the reference stacks the repeated float32 rows in torch): the
  values agree to float32 precision, so only a variance within ~1e-6 of the threshold could be
  kept differently.

Ties: the highest-F1 word of a code is the first in (F1 descending, precision descending, first
appearance of the word); the best code of a word the first in (F1 descending, occ descending, the
order in which the reference's counter first met the code). These are the reference's orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

UNCOVERED = -1


@dataclass(frozen=True)
class Candidate:
    """A (word, code) pair with its scores."""

    word: str
    code: int
    f1: float
    precision: float
    recall: float
    occ: int


class CodeWordTable:
    """Co-occurrence of codes and scored word tokens.

    ``tokens``: ``(word, codes)`` per scored token in corpus order, ``codes`` the codes of its
    touching segments in segment order (empty when uncovered).
    """

    def __init__(self, tokens: Iterable[tuple[str, Sequence[int]]]):
        self.n_tokens: Counter[str] = Counter()
        self.occ: dict[str, Counter[int]] = {}
        self.code_tokens: Counter[int] = Counter()
        for word, codes in tokens:
            self.n_tokens[word] += 1
            code_set = set(codes) if codes else {UNCOVERED}
            self.occ.setdefault(word, Counter()).update(code_set)
            self.code_tokens.update(code_set)
        self.words = list(self.occ)  # first-appearance order
        self._word_rank = {w: i for i, w in enumerate(self.words)}

    def candidate(self, word: str, code: int) -> Candidate:
        occ = self.occ[word][code]
        precision = float(occ) / self.code_tokens[code]
        recall = float(occ) / self.n_tokens[word]
        return Candidate(word, code, 2 * precision * recall / (precision + recall), precision, recall, occ)

    def word_candidates(self, word: str) -> list[Candidate]:
        """Codes of ``word`` ranked by F1 (ties: higher occ, then the counter's first-meeting order)."""
        counts = self.occ[word]
        meet = {c: i for i, c in enumerate(counts)}
        cands = [self.candidate(word, c) for c in counts if c != UNCOVERED]
        return sorted(cands, key=lambda k: (-k.f1, -k.occ, meet[k.code]))

    def code_candidates(self) -> dict[int, list[Candidate]]:
        """Words of each code ranked by F1 (ties: higher precision, then first appearance)."""
        out: dict[int, list[Candidate]] = {}
        for word in self.words:
            for code in self.occ[word]:
                if code != UNCOVERED:
                    out.setdefault(code, []).append(self.candidate(word, code))
        return {c: sorted(v, key=lambda k: (-k.f1, -k.precision, self._word_rank[k.word]))
                for c, v in sorted(out.items())}


def word_scores(table: CodeWordTable, *, top_k: int = 250, f1_threshold: float = 0.5) -> tuple[dict, dict]:
    """WD, top-k and all-word average best F1; and ``{word: [code, f1, precision, recall, occ]}``
    (``None`` for a word whose tokens are all uncovered)."""
    best = {}
    for word in table.words:
        cands = table.word_candidates(word)
        if cands:
            best[word] = cands[0]
    f1s = [c.f1 for c in best.values()]
    top = sorted(f1s, reverse=True)[:top_k]
    nan = float("nan")
    scores = {
        f"wd_count_f1_ge_{f1_threshold:g}": sum(1 for f in f1s if f >= f1_threshold),
        "n_word_types": len(table.words),
        f"top{top_k}_avg_f1_percent": 100 * float(np.mean(top)) if top else nan,
        "all_words_avg_f1_percent": 100 * float(np.mean(f1s)) if f1s else nan,
        "n_words_with_a_code": len(f1s),
    }
    details = {w: [best[w].code, best[w].f1, best[w].precision, best[w].recall, best[w].occ] if w in best else None
               for w in table.words}
    return scores, details


def cluster_scores(code_cands: Mapping[int, list[Candidate]], codes: Iterable[int]) -> dict:
    """Purity, the reference's "nmi" (a normalised conditional entropy) and the true NMI."""
    nan = float("nan")
    code_count: dict[int, int] = {}
    word_count: Counter[str] = Counter()
    cond_entropy: dict[int, float] = {}
    purity_occ = purity_f1 = 0
    ties = 0
    for code in codes:
        cands = code_cands.get(code, [])
        if not cands:
            continue
        total = sum(c.occ for c in cands)
        code_count[code] = total
        cond_entropy[code] = float(stats.entropy([c.occ / total for c in cands]))
        purity_occ += max(c.occ for c in cands)
        purity_f1 += cands[0].occ
        if len({c.occ for c in cands if c.f1 == cands[0].f1}) > 1:
            ties += 1
        for c in cands:
            word_count[c.word] += c.occ
    n = sum(code_count.values())
    out = {"purity_occ": nan, "purity_f1": nan, "norm_cond_entropy_as_in_reference": nan, "nmi": nan,
           "h_codes": nan, "h_words": nan, "h_words_given_codes": nan,
           "n_codes": len(code_count), "n_cooccurrences": n, "n_codes_with_f1_tie_changing_purity_f1": ties}
    if n == 0:
        return out
    h_c = float(stats.entropy(list(code_count.values())))
    h_w = float(stats.entropy(list(word_count.values())))
    h_w_given_c = sum(code_count[c] / n * cond_entropy[c] for c in code_count)
    denom = h_c + h_w
    out.update(purity_occ=purity_occ / n, purity_f1=purity_f1 / n, h_codes=h_c, h_words=h_w,
               h_words_given_codes=h_w_given_c)
    if denom > 0:
        out.update(norm_cond_entropy_as_in_reference=2 * h_w_given_c / denom, nmi=2 * (h_w - h_w_given_c) / denom)
    return out


def code_variances(codes: Sequence[int], features: np.ndarray, weights: Sequence[float]) -> dict[int, float]:
    """Per code, the mean over dimensions of the weighted unbiased variance of its features.

    ``codes``: ``(N,)`` segment codes; ``features``: ``(N, D)``; ``weights``: how many times each
    segment counts (frequency weights, ``sum(w) - 1`` in the denominator; ``nan`` when
    ``sum(w) <= 1``). Segments of weight 0 are left out.
    """
    x = np.asarray(features, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    c = np.asarray(codes)
    out: dict[int, float] = {}
    for code in np.unique(c[w > 0]):
        sel = (c == code) & (w > 0)
        xs, ws = x[sel], w[sel]
        total = ws.sum()
        if total <= 1:
            out[int(code)] = float("nan")
            continue
        mean = (ws[:, None] * xs).sum(0) / total
        var = (ws[:, None] * (xs - mean) ** 2).sum(0) / (total - 1)
        out[int(code)] = float(var.mean())
    return out


def kept_codes(variances: Mapping[int, float], threshold: float) -> list[int]:
    """Codes whose variance is ``<= threshold`` (``nan`` is dropped)."""
    return sorted(c for c, v in variances.items() if v <= threshold)
