"""ZeroSpeech 2021 sSIMI (semantic similarity) scoring, identical to the official scorer.

What is computed (the official scorer: zerospeech-benchmarks 0.9.4 ``SemanticTask``, the
ZR2021 leaderboard's):

1. Pooling. Each feature file (one word token, a (frames, dim) matrix) becomes one vector:
   ``max``, ``min``, ``mean`` or ``sum`` over frames, ``last`` (the last frame) or
   ``lastlast`` (the one before). vgprobe pools in float64: the official scorer reads
   ``.txt`` features, which numpy loads as float64, so a float32 ``.npy`` file and its
   ``.txt`` export give the same numbers.
2. Distances. A word pair's distance is a mean of ``scipy.spatial.distance.cdist``
   distances (any cdist metric; ``cosine`` and ``euclidean`` are the usual ones) between
   the pooled vectors of its two words' tokens (1 to 10 tokens per word):

   - ``librispeech``: the mean over all token pairs;
   - ``synthetic``: the mean over the token pairs spoken by the same voice only (a pair
     whose words share no voice is an error).
3. Correlation. Per (type, dataset): ``100 * spearman(-human, distance)``, where
   ``human`` is the ``relatedness`` column, unless it has an empty value in that dataset,
   then the ``similarity`` column. (Humans score similarity, high when close; its
   opposite is distance-like.)
4. Summaries. Per type, ``mean`` (plain mean of the dataset correlations) and
   ``weighted_mean`` (weighted by each dataset's number of pairs), as the leaderboard
   computes them, but from unrounded correlations (the leaderboard reads them back from a
   4-decimal CSV). A dataset whose correlation is undefined (NaN) makes both NaN; the
   leaderboard's pandas mean would skip it.

vgprobe adds a bootstrap 95 % confidence interval to every row (resampling pairs; seed 0,
1000 resamples by default; :mod:`~vgprobe.zerospeech.semantic.bootstrap`), and
:mod:`~vgprobe.zerospeech.semantic.labels` says what the subsets of a synthetic set are.

Modules: ``tables`` (gold/pairs files), ``pooling``, ``distances``, ``correlation``
(Spearman per dataset, summaries, intervals), ``bootstrap``, ``labels``, ``score`` (the
whole pipeline).
"""

from vgprobe.zerospeech.semantic.correlation import SemanticResult
from vgprobe.zerospeech.semantic.labels import SYNTHETIC_LIBRISPEECH_NOTE, subset_note
from vgprobe.zerospeech.semantic.pooling import POOLINGS, Pooling
from vgprobe.zerospeech.semantic.score import (
    SemanticScores,
    results_to_frame,
    results_to_json,
    score_semantic,
    score_semantic_pairs,
    score_semantic_submission,
)

__all__ = [
    "POOLINGS",
    "Pooling",
    "SYNTHETIC_LIBRISPEECH_NOTE",
    "SemanticResult",
    "SemanticScores",
    "results_to_frame",
    "results_to_json",
    "score_semantic",
    "score_semantic_pairs",
    "score_semantic_submission",
    "subset_note",
]
