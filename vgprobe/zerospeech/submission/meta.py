"""The ``meta.yaml`` and ``params.yaml`` of a submission, in the schema of ``zerospeech-benchmarks`` 0.9.4.

``meta.yaml`` (the toolkit's ``MetaFile``)::

    benchmark_name: sLM21                    # or abxLS
    model_info: {model_id, system_description, train_set, gpu_budget}
    publication: {author_label, authors, paper_title, paper_url, publication_year,
                  bib_reference, DOI, institution, team}
    open_source: true
    code_url: ...
    username: ...                            # the toolkit's upload fills it in when absent

Beside them vgprobe writes the older ZeroSpeech 2021 fields (``author``, ``affiliation``,
``description``, ``open_source``, ``train_set``, ``gpu_budget``, ``parameters``: the
toolkit ignores unknown keys; ``vgprobe abx --submission`` reads
``parameters.phonetic.frame_shift``) and a ``vgprobe`` block recording the version and the
extraction settings of the layer the features came from.

``params.yaml`` declares how the organisers' scorer should treat the features, with the
settings the submitter actually used:

- sLM21: ``semantic.metric`` and ``semantic.pooling`` (the sSIMI distance and pooling),
  and ``syntactic.score_files_type``, which the toolkit reads as the extension of the
  *semantic* feature files (its ``SLM21Submission.load`` takes it from the syntactic
  section);
- abxLS: ``feature_size`` (the frame shift in seconds), ``distance_mode`` (the toolkit
  spells Euclidean ``euclidian``), ``speaker_mode``, ``context``, ``max_size_group``,
  ``max_x_across``, ``seed``, ``score_file_type``, ``cuda``.

Nothing here holds a template value: every field is a setting, a user's answer or absent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from vgprobe.errors import ConfigError

Benchmark = Literal["sLM21", "abxLS"]
# scipy.spatial.distance.cdist metrics that the toolkit's SemanticMetrics enum accepts
TOOLKIT_SEMANTIC_METRICS: tuple[str, ...] = (
    "braycurtis", "canberra", "chebyshev", "cityblock", "correlation", "cosine", "dice", "euclidean", "hamming",
    "jaccard", "jensenshannon", "kulczynski1", "mahalanobis", "matching", "minkowski", "rogerstanimoto",
    "russellrao", "seuclidean", "sokalmichener", "sokalsneath", "sqeuclidean", "yule",
)
ABX_DISTANCES: dict[str, str] = {"cosine": "cosine", "euclidean": "euclidian", "kl": "kl", "kl_symmetric": "kl_symmetric"}
ABX_SPEAKER_MODES: tuple[str, ...] = ("all", "within", "across")
ABX_CONTEXTS: tuple[str, ...] = ("all", "phoneme-any", "phoneme-within", "triphone-within")


@dataclass(frozen=True)
class Authorship:
    """Who made the system and on what: the human part of ``meta.yaml``."""

    authors: str  # full names, comma-separated
    institution: str
    train_set: str  # the data the system was trained on
    description: str | None = None  # system description (default: the model and layer)
    author_label: str | None = None  # short label (default: "<first author> et al." or the only author)
    team: str | None = None
    paper_title: str | None = None
    paper_url: str | None = None
    publication_year: int | None = None  # default: this year
    bib_reference: str | None = None
    doi: str | None = None
    code_url: str | None = None
    open_source: bool = True
    gpu_hours: float | None = None  # training budget in GPU hours
    username: str | None = None  # zerospeech.com user name (the upload fills it in when absent)
    model_id: str | None = None

    def check(self) -> None:
        for name in ("authors", "institution", "train_set"):
            if not getattr(self, name).strip():
                raise ConfigError(f"the submission needs {name.replace('_', ' ')} (an empty value is refused)")
        for name, value in vars(self).items():
            if isinstance(value, str) and value.startswith("<") and ">" in value:
                raise ConfigError(f"{name} {value!r} looks like a template value; the toolkit refuses '<...>'")
        if self.gpu_hours is not None and not self.gpu_hours >= 0:
            raise ConfigError(f"gpu hours must be >= 0, got {self.gpu_hours}")


@dataclass(frozen=True)
class SemanticSettings:
    pool: str
    metric: str

    def check(self) -> None:
        from vgprobe.zerospeech.semantic.pooling import check_pooling

        check_pooling(self.pool)
        if self.metric not in TOOLKIT_SEMANTIC_METRICS:
            raise ConfigError(f"semantic metric {self.metric!r} is not one the toolkit accepts: "
                              f"{', '.join(TOOLKIT_SEMANTIC_METRICS)}")


@dataclass(frozen=True)
class AbxSettings:
    """The ABX settings declared in an abxLS ``params.yaml`` (defaults: ``vgprobe abx``'s, the ZR2021 protocol)."""

    distance: str = "cosine"
    speaker_mode: str = "all"  # within and across
    context: str = "triphone-within"
    max_size_group: int = 10
    max_x_across: int = 5
    seed: int = 3459

    def check(self) -> None:
        if self.distance not in ABX_DISTANCES:
            raise ConfigError(f"ABX distance {self.distance!r}; expected one of {', '.join(ABX_DISTANCES)}")
        if self.speaker_mode not in ABX_SPEAKER_MODES:
            raise ConfigError(f"ABX speaker mode {self.speaker_mode!r}; expected one of {', '.join(ABX_SPEAKER_MODES)}")
        if self.context not in ABX_CONTEXTS:
            raise ConfigError(f"ABX context {self.context!r}; expected one of {', '.join(ABX_CONTEXTS)}")
        if self.max_size_group < 1 or self.max_x_across < 1:
            raise ConfigError("max_size_group and max_x_across must be positive")


def meta_document(
    benchmark: Benchmark,
    authorship: Authorship,
    *,
    layer_settings: dict[str, Any],
    version: str,
    parameters: dict[str, Any],
) -> dict[str, Any]:
    """The ``meta.yaml`` mapping (see the module docstring); ``parameters`` is the ZR2021 ``parameters`` block."""
    a = authorship
    description = a.description or (
        f"{layer_settings['model']}, layer {layer_settings['layer']} (model sha256 {layer_settings['model_sha256']}); "
        f"features extracted with vgprobe {version}"
    )
    names = [n.strip() for n in a.authors.split(",") if n.strip()]
    label = a.author_label or (f"{names[0]} et al." if len(names) > 1 else names[0])
    doc: dict[str, Any] = {}
    if a.username:
        doc["username"] = a.username
    doc["benchmark_name"] = benchmark
    model_info: dict[str, Any] = {"system_description": description, "train_set": a.train_set}
    if a.model_id:
        model_info["model_id"] = a.model_id
    if a.gpu_hours is not None:
        model_info["gpu_budget"] = f"{a.gpu_hours:g}"
    doc["model_info"] = model_info
    publication: dict[str, Any] = {
        "author_label": label,
        "authors": a.authors,
        "institution": a.institution,
        "publication_year": a.publication_year or datetime.date.today().year,
    }
    for key, value in (("paper_title", a.paper_title), ("paper_url", a.paper_url), ("bib_reference", a.bib_reference),
                       ("DOI", a.doi), ("team", a.team)):
        if value:
            publication[key] = value
    doc["publication"] = publication
    doc["open_source"] = bool(a.open_source)
    if a.code_url:
        doc["code_url"] = a.code_url
    # the ZeroSpeech 2021 fields
    doc["author"] = a.authors
    doc["affiliation"] = a.institution
    doc["description"] = description
    doc["train_set"] = a.train_set
    if a.gpu_hours is not None:
        doc["gpu_budget"] = float(a.gpu_hours)
    doc["parameters"] = parameters
    doc["vgprobe"] = {"version": version, "layer": layer_settings}
    return doc


def slm21_params(semantic: SemanticSettings, *, file_type: str) -> dict[str, Any]:
    """The sLM21 ``params.yaml`` mapping; ``file_type`` is ``.npy`` or ``.txt``."""
    return {
        "quiet": False,
        "semantic": {"metric": semantic.metric, "pooling": semantic.pool, "synthetic": True, "librispeech": True,
                     "n_jobs": 1},
        "syntactic": {"score_files_type": file_type},
    }


def abxls_params(abx: AbxSettings, *, frame_shift: float, file_type: str) -> dict[str, Any]:
    """The abxLS ``params.yaml`` mapping; ``file_type`` is ``.npy`` or ``.txt``."""
    return {
        "quiet": False,
        "feature_size": float(frame_shift),
        "cuda": False,
        "speaker_mode": abx.speaker_mode,
        "context": abx.context,
        "distance_mode": ABX_DISTANCES[abx.distance],
        "max_size_group": abx.max_size_group,
        "max_x_across": abx.max_x_across,
        "seed": abx.seed,
        "score_file_type": file_type,
        "result_filename": "score_all_phonetic",
    }
