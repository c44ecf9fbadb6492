"""Word-discovery metrics: discovered segments and their codes scored against gold word alignments.

The numbers equal those of the reference implementation, jasonppy/word-discovery
(``unit_analysis.py``, ``buckeye_eval.py``), re-implemented module by module:

- :mod:`.readers`: gold alignments (JSON, Praat TextGrid, ZeroSpeech ``.wrd``) and the
  prediction JSON (``{utt: {"spf", "segments", "locations", "codes"}}``);
- :mod:`.boundaries`: boundary precision/recall/F1, over-segmentation, R-value;
- :mod:`.area`: IoU, IoT, word coverage, A-score;
- :mod:`.word_groups`: best-code F1, WD, top-250 F1, purity, entropies, the variance filter;
- :mod:`.kamper`: the frame-level boundary and word-token scorer of ``buckeye_eval.py``;
- :mod:`.tde`: ZeroSpeech term-discovery export and scoring with ``zerospeech-tde``;
- :mod:`.score`: all of it as one report.
"""

from vgprobe.analysis.wordseg.alignments import GoldAlignments, UtterancePrediction, Word
from vgprobe.analysis.wordseg.readers import (parse_pred, pred_entry, read_gold, read_pred, read_segment_features,
                                              write_pred)
from vgprobe.analysis.wordseg.score import WordDiscoveryWarning, score_word_discovery

__all__ = [
    "GoldAlignments", "UtterancePrediction", "Word", "WordDiscoveryWarning", "parse_pred", "pred_entry",
    "read_gold", "read_pred", "read_segment_features", "score_word_discovery", "write_pred",
]
