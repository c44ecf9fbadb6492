"""``score_abx_submission``: the ZR2021 phonetic protocol over a submission folder.

For ``split`` dev: ``phonetic/dev-clean`` and ``phonetic/dev-other`` of the submission
against the item files of the dataset (:mod:`vgprobe.zerospeech.layout`). The frame shift
comes from the submission's ``meta.yaml`` (``parameters.phonetic.frame_shift``), else from
the ``frame_shift`` argument. A :class:`.dataset.NotScorableError` names the submission
folder's name as the layer (extraction writes one submission folder per layer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from vgprobe.errors import InputError
from vgprobe.zerospeech import layout
from vgprobe.zerospeech.abx.dataset import NotScorableError
from vgprobe.zerospeech.abx.score import AbxResult, score_abx


def submission_frame_shift(submission_dir: str | Path) -> float | None:
    """``parameters.phonetic.frame_shift`` of ``meta.yaml``, or None when absent."""
    import yaml

    meta = Path(submission_dir) / "meta.yaml"
    if not meta.is_file():
        return None
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{meta}: not valid YAML ({exc})") from exc
    value = ((data.get("parameters") or {}).get("phonetic") or {}).get("frame_shift") if isinstance(data, dict) else None
    if value is None:
        return None
    try:
        shift = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{meta}: parameters.phonetic.frame_shift must be a number, found {value!r}") from None
    if not shift > 0:
        raise InputError(f"{meta}: parameters.phonetic.frame_shift must be positive, found {value!r}")
    return shift


def score_abx_submission(
    submission_dir: str | Path,
    data_root: str | Path,
    split: Literal["dev", "test"],
    *,
    frame_shift: float | None = None,
    item_kind: Literal["triphone", "phoneme"] = "triphone",
    **options: Any,
) -> list[AbxResult]:
    """ABX of ``submission_dir/phonetic/{split}-clean`` and ``{split}-other``; ``options`` go to
    :func:`score_abx` (speaker_modes, context_modes, distance, caps, seed, slicing, ext, ...)."""
    if not Path(submission_dir).is_dir():
        what = "is not a folder" if Path(submission_dir).exists() else "does not exist"
        raise InputError(f"{submission_dir}: the submission folder {what}")
    shift = submission_frame_shift(submission_dir) or frame_shift
    if shift is None:
        raise InputError(
            f"{Path(submission_dir) / 'meta.yaml'}: no parameters.phonetic.frame_shift; pass --frame-shift"
        )
    results: list[AbxResult] = []
    for subset in layout.phonetic_subsets(split):
        features = layout.submission_phonetic_dir(submission_dir, subset)
        items = layout.item_file(data_root, subset, kind=item_kind)
        try:
            results += score_abx(features, items, frame_shift=shift, subset=subset, **options)
        except NotScorableError as exc:
            raise exc.for_layer(Path(submission_dir).name) from None
    return results
