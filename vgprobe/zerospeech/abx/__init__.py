"""ZeroSpeech 2021 / Libri-Light ABX (DESIGN.md §6), fast and exact.

Pipeline: item file (:mod:`vgprobe.zerospeech.items`) -> tokens (:mod:`.dataset`,
:mod:`.slicing`) -> layout and cells (:mod:`.cells`) -> compiled distances and DTW
(:mod:`.distances`, :mod:`.dtw`, :mod:`.engine`) -> collapse (:mod:`.collapse`) -> results
(:mod:`.score`, :mod:`.submission`).
"""

from vgprobe.zerospeech.abx.score import AbxResult, results_to_frame, results_to_json, score_abx

__all__ = ["AbxResult", "results_to_frame", "results_to_json", "score_abx", "score_abx_submission"]


def __getattr__(name: str):  # lazy: the submission helper reads yaml
    if name == "score_abx_submission":
        from vgprobe.zerospeech.abx.submission import score_abx_submission

        return score_abx_submission
    raise AttributeError(name)
