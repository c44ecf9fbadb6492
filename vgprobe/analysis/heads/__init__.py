"""Attention heads of visually grounded speech models: statistics, CLS attention, ablation, plots.

- :func:`head_statistics`: per layer x head entropy, attended distance, CLS / self / neighbour / silence mass
  and head-to-head Jensen–Shannon divergence, for every transformer stack of FaST-VGS (Trm1, Trm2, image
  encoder, cross encoder) and of Hugging Face speech encoders, read with forward hooks;
- :func:`cls_attention`: a layer's CLS row (heads, T), the input of CLS-attention word segmentation;
- :func:`discover_words`/:func:`discovery_table`: CLS-attention word discovery in every layer, scored against
  gold words (which layer segments best);
- :func:`ablate`/:func:`head_mask`: heads switched off at inference; :func:`ablate_heads`: ΔABX, ΔsSIMI and
  Δ coarse R@1 of every head, ranked with :func:`rank_ablations`;
- ``plot_*``: heat maps, CLS attention over a spectrogram, ranked ablation bars.
"""

from vgprobe.analysis.heads.ablation import ablate_heads, all_heads, rank_ablations
from vgprobe.analysis.heads.alignments import read_alignments, silent_frames
from vgprobe.analysis.heads.capture import record_attention
from vgprobe.analysis.heads.collect import cls_attention, cls_row, head_statistics, iter_file_maps, load_utterances
from vgprobe.analysis.heads.discovery import (LayerDiscovery, cls_layers, discover_words, discovery_table,
                                             keep_cls_rows)
from vgprobe.analysis.heads.data import AblationSets, load_ablation_sets
from vgprobe.analysis.heads.masking import ablate, head_mask
from vgprobe.analysis.heads.sites import Site, attention_sites
from vgprobe.analysis.heads.stats import STATISTICS, similarity_matrix

__all__ = [
    "AblationSets", "LayerDiscovery", "STATISTICS", "Site", "ablate", "ablate_heads", "all_heads", "attention_sites",
    "cls_attention", "cls_layers", "cls_row", "discover_words", "discovery_table", "head_mask", "head_statistics",
    "iter_file_maps", "keep_cls_rows", "load_ablation_sets", "load_utterances", "rank_ablations",
    "read_alignments", "record_attention", "silent_frames", "similarity_matrix",
]
