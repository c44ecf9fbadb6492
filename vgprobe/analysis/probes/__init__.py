"""Layer-wise probes of token representations (Pasad et al.'s layer-wise analysis and a linear probe).

Modules, one idea each:

- ``cca``: PWCCA, an exact re-implementation of the authors' ``cca_core`` (:func:`pwcca`);
- ``protocol``: the authors' cross-validated PWCCA, reproduced draw for draw
  (:class:`ReferenceCCAProtocol`), and the speaker-grouped K-fold default (:func:`grouped_cv_pwcca`);
- ``mi``: normalised mutual information of k-means clusters with labels (:func:`kmeans_mi`);
- ``linear``: a speaker-held-out logistic-regression probe (:func:`linear_probe`);
- ``tokens``: token tables (mean-pooled phones and words) from an extracted layer;
- ``layer``: every probe of one layer folder as one tidy table (:func:`probe_layer`).
"""

from vgprobe.analysis.probes.cca import CCAFit, PWCCAResult, fit_cca, one_hot, pwcca, pwcca_intra
from vgprobe.analysis.probes.layer import COLUMNS, PROBES, ProbeConfig, probe_layer, probe_tokens
from vgprobe.analysis.probes.linear import LinearProbeResult, linear_probe
from vgprobe.analysis.probes.mi import cluster_mi, kmeans_clusters, kmeans_mi
from vgprobe.analysis.probes.protocol import (
    GroupedCVResult,
    ReferenceCCAProtocol,
    ReferenceProtocolResult,
    grouped_cv_pwcca,
    reference_splits,
)
from vgprobe.analysis.probes.tokens import (
    TokenTable,
    phone_tokens,
    read_word_alignments,
    semantic_word_tokens,
    word_tokens,
)

__all__ = [
    "COLUMNS",
    "PROBES",
    "CCAFit",
    "GroupedCVResult",
    "LinearProbeResult",
    "PWCCAResult",
    "ProbeConfig",
    "ReferenceCCAProtocol",
    "ReferenceProtocolResult",
    "TokenTable",
    "cluster_mi",
    "fit_cca",
    "grouped_cv_pwcca",
    "kmeans_clusters",
    "kmeans_mi",
    "linear_probe",
    "one_hot",
    "phone_tokens",
    "probe_layer",
    "probe_tokens",
    "pwcca",
    "pwcca_intra",
    "read_word_alignments",
    "reference_splits",
    "semantic_word_tokens",
    "word_tokens",
]
