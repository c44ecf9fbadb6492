"""Running a model file by file with attention recording: per-head statistics and CLS attention rows.

Example::

    enc = load_encoder("random:tiny")
    utts = load_utterances(enc, wav_paths)                     # {stem: prepared waveform}
    df = head_statistics(enc, utts, stacks=["trm1", "trm2"], alignments="words.json", model_name="random")
    a = cls_attention(enc, utts["utt1"], "trm1.8")               # (heads, T) float32, CLS column dropped
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from vgprobe.analysis.heads.alignments import Alignments, check_alignments, read_alignments, silent_frames
from vgprobe.analysis.heads.capture import record_attention
from vgprobe.analysis.heads.sites import Site, attention_sites, is_fastvgs, unwrap
from vgprobe.analysis.heads.stats import HeadStatistics, SiteMap
from vgprobe.errors import ConfigError, InputError

Image = tuple[torch.Tensor, torch.Tensor]  # RoI features (R, F), boxes (R, 4) as [x1/w, y1/h, x2/w, y2/h]


def load_utterances(encoder, paths: Sequence[str | Path]) -> dict[str, torch.Tensor]:
    """``{file stem: 1-D waveform}`` read and prepared as the encoder expects it (FaST-VGS: z-normalised;
    Hugging Face: the folder's feature extractor). Stems must be unique."""
    from vgprobe.audio import read_audio

    out: dict[str, torch.Tensor] = {}
    for p in map(Path, paths):
        if p.stem in out:
            raise InputError(f"{p}: two files share the stem {p.stem!r}")
        out[p.stem] = encoder.prepare(read_audio(p).samples)
    return out


def _as_mapping(utterances: Mapping[str, torch.Tensor] | Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
    if isinstance(utterances, Mapping):
        items = dict(utterances)
    else:
        items = {str(i): w for i, w in enumerate(utterances)}
    if not items:
        raise InputError("no utterances given")
    for utt, w in items.items():
        w = torch.as_tensor(w)
        if w.ndim != 1 or not w.is_floating_point():
            raise InputError(f"utterance {utt!r}: expected a 1-D float waveform, got {w.dtype} {tuple(w.shape)}")
        items[utt] = w
    return items


def _device(model) -> torch.device:
    return next(model.parameters()).device


def file_maps(model, sites: Sequence[Site], rec, wav: torch.Tensor, image: Image | None = None) -> list[SiteMap]:
    """Run ``model`` on one unpadded waveform (and its image) and return the maps of ``sites`` (batch dim
    dropped). ``rec`` is the active :func:`record_attention` recorder of these sites."""
    dev = _device(model)
    x = wav.to(dev, torch.float32)[None]
    stacks = {s.stack for s in sites}
    valid: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        if not is_fastvgs(model):
            model(x)
            maps = rec.take()
            return [SiteMap(s, w[0].cpu(), _all(w.shape[-2]), _all(w.shape[-1])) for s, w in maps.items()]
        needs_top = bool(stacks & {"trm2", "cross.audio_to_image", "cross.image_to_audio", "cross.audio_self",
                                   "cross.image_self"})
        needs_image = any(s == "image" or s.startswith("cross.") for s in stacks)
        if needs_image and image is None:
            raise ConfigError("the image and cross stacks need the image of each utterance (images=...)")
        trm1 = [s.layer for s in sites if s.stack == "trm1"]
        if needs_top:
            audio = model.encode_audio(x)
            valid["audio"] = ~audio.key_padding[0].cpu()
        elif trm1:
            model.audio_layers(x, layers=[f"trm1.{max(trm1)}"])
        if needs_image:
            feats, boxes = (torch.as_tensor(v) for v in image)
            img = model.encode_image(feats.to(dev, torch.float32)[None], boxes.to(dev, torch.float32)[None])
            if any(s.startswith("cross.") for s in stacks):
                model.cross(audio.seq, audio.additive_mask, img.seq)
    maps = rec.take()
    out = []
    for s, w in maps.items():
        w = w[0].float().cpu()
        q, k = w.shape[-2], w.shape[-1]
        qv = valid["audio"] if (s.queries == "frames" and s.stack != "trm1") else _all(q)
        kv = valid["audio"] if (s.keys == "frames" and s.stack != "trm1") else _all(k)
        out.append(SiteMap(s, w, qv, kv))
    return out


def _all(n: int) -> torch.Tensor:
    return torch.ones(n, dtype=torch.bool)


def _silence(m: SiteMap, words) -> np.ndarray | None:
    s = m.site
    if words is None or s.keys != "frames":
        return None
    n = m.weights.shape[-1] - (1 if s.has_cls else 0)
    return silent_frames(words, n, frame_shift=s.frame_shift, first_centre=s.first_centre)


def iter_file_maps(
    model_or_encoder,
    utterances: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    *,
    stacks: Sequence[str] | None = None,
    images: Mapping[str, Image] | None = None,
) -> Iterator[tuple[str, list[SiteMap]]]:
    """``(utterance id, maps)`` file by file (each file run alone, unpadded); nothing is kept between files."""
    model = unwrap(model_or_encoder)
    utts = _as_mapping(utterances)
    sites = attention_sites(model, stacks=stacks)
    if images is not None:
        missing = [u for u in utts if u not in images]
        if missing:
            raise InputError(f"no image for {len(missing)} utterance(s), e.g. {missing[:3]}")
    with record_attention(model, sites) as rec:
        for utt, wav in utts.items():
            yield utt, file_maps(model, sites, rec, wav, None if images is None else images[utt])


def head_statistics(
    model_or_encoder,
    utterances: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    *,
    stacks: Sequence[str] | None = None,
    alignments: Alignments | str | Path | None = None,
    images: Mapping[str, Image] | None = None,
    model_name: str = "model",
    progress: bool | str = False,
    on_file: Callable[[str, list[SiteMap]], None] | None = None,
) -> pd.DataFrame:
    """Per-head attention statistics (see :mod:`vgprobe.analysis.heads.stats`) as a tidy table with columns
    ``model, stack, layer, head, other_head, statistic, value, n_queries``.

    ``utterances``: ``{id: 1-D prepared waveform}`` (see :func:`load_utterances`), each run alone, unpadded;
    ``stacks``: default ``trm1, trm2`` for FaST-VGS, ``encoder`` for Hugging Face models (``image`` and
    ``cross`` need ``images``: ``{id: (features (R, F), boxes (R, 4))}``, the image each caption describes);
    ``alignments``: ``{id: [(onset_s, offset_s, word), ...]}`` or a JSON file of that form, for
    ``silence_mass``; every utterance needs an entry. ``progress``: True or a :func:`vgprobe.progress.progress`
    mode. ``on_file(utt, maps)`` sees each file's maps as they are computed (e.g. to keep :func:`cls_row`
    of some layers without a second pass).
    """
    utts = _as_mapping(utterances)
    words = None
    if alignments is not None:
        words = read_alignments(alignments) if isinstance(alignments, (str, Path)) else check_alignments(alignments)
        missing = [u for u in utts if u not in words]
        if missing:
            raise InputError(f"alignments: no entry for {len(missing)} utterance(s), e.g. {missing[:3]}")
    acc = HeadStatistics()
    from vgprobe.progress import as_mode, progress as reporter

    with reporter(len(utts), desc=f"attention {model_name}", unit="file", mode=as_mode(progress)) as bar:
        for utt, maps in iter_file_maps(model_or_encoder, utts, stacks=stacks, images=images):
            for m in maps:
                acc.add(m, _silence(m, None if words is None else words[utt]))
            if on_file is not None:
                on_file(utt, maps)
            bar.update(1)
    return acc.frame(model_name)


def cls_row(m: SiteMap) -> np.ndarray:
    """The CLS query's weights over the valid frame keys, the CLS key dropped: (heads, T) float32."""
    if not m.site.has_cls:
        raise ConfigError(f"{m.site.name}: this attention has no CLS token")
    keys = m.key_valid.clone()
    keys[0] = False
    return m.weights[:, 0, keys].numpy().astype(np.float32)


def cls_attention(model_or_encoder, wav: torch.Tensor | np.ndarray, layer: str) -> np.ndarray:
    """The CLS row of one layer's attention with the CLS column dropped: (heads, T) float32.

    ``layer``: ``trm1.k`` (T = Conv1 frames) or ``trm2.1`` (T = the Conv2 frames the model keeps);
    ``wav``: one prepared (z-normalised) waveform. This is ``attn[:, 0, 1:]`` of the layer, the input of
    CLS-attention word segmentation (VG-HuBERT, Peng & Harwath 2022).
    """
    model = unwrap(model_or_encoder)
    if not is_fastvgs(model):
        raise ConfigError(f"{type(model).__name__}: a Hugging Face speech encoder has no CLS token, so it has no "
                          "CLS attention; use a FaST-VGS model (trm1.k or trm2.1)")
    stack, _, idx = layer.partition(".")
    sites = [s for s in attention_sites(model, stacks=["trm1", "trm2"]) if s.name == layer]
    if stack not in ("trm1", "trm2") or not idx.isdigit() or not sites:
        n1, n2 = model.cfg.trm1_layers, model.cfg.trm2_layers
        raise ConfigError(f"CLS attention layer {layer!r}: expected trm1.1..trm1.{n1} or trm2.1..trm2.{n2}")
    w = wav if isinstance(wav, torch.Tensor) else torch.from_numpy(np.asarray(wav, dtype=np.float32))
    with record_attention(model, sites) as rec:
        (m,) = file_maps(model, sites, rec, _as_mapping([w])["0"])
    return cls_row(m)
