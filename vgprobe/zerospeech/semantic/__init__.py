"""ZeroSpeech 2021 sSIMI (semantic similarity) scoring, identical to the official scorer.

Modules: ``tables`` (gold/pairs files), ``pooling`` (frames -> one vector per file),
``distances`` (word-pair distances), ``correlation`` (Spearman per dataset, summaries),
``score`` (the whole pipeline).
"""

from vgprobe.zerospeech.semantic.correlation import SemanticResult
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
    "SemanticResult",
    "SemanticScores",
    "results_to_frame",
    "results_to_json",
    "score_semantic",
    "score_semantic_pairs",
    "score_semantic_submission",
]
