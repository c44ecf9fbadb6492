"""FaST-VGS (Peng & Harwath, ICASSP 2022), as the authors' code computes it (the model card, model/README.md, describes every step and quirk).

    audio: wav -> Conv1 + Trm1 (8 layers, CLS) -> Conv2 (ResDAVEnet) -> [MLP(CLS); frames] -> Trm2
           coarse = Linear(Trm2 CLS)
    image: RoI feats + boxes -> [CLS; regions] -> 6 BERT layers;  coarse = MLP(image CLS)
    coarse score = image_coarse . audio_coarse;  fine score = cross encoder on (audio seq, image seq)

Example::

    model = FaSTVGS(preset("tiny")).eval()
    out = model.audio_layers(wav, layers=["trm1.6", "trm2.1"])   # wav (B, L), z-normalised
    out["trm1.6"].shape   # (B, T, D), CLS dropped;  out.masks["trm1.6"]: (B, T), True = padding
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import torch
from torch import nn

from vgprobe.errors import InputError
from vgprobe.fastvgs.bert import BertStack, CrossEncoder, RoIEncoder, cls_mlp
from vgprobe.fastvgs.config import FaSTVGSConfig
from vgprobe.fastvgs.conv2 import ResDAVEnet, conv2_valid_frames
from vgprobe.fastvgs.cross_pairs import PairScorer
from vgprobe.fastvgs.layers import AUDIO_COARSE, layer_names, validate_layers
from vgprobe.fastvgs.trm1 import Trm1Encoder

MASK_VALUE = -10000.0  # the authors' additive mask in Trm2 and the cross encoder


@dataclass(frozen=True)
class AudioEncoding:
    """Audio side for scoring. ``seq`` (B, 1+T_res, D) CLS first; ``key_padding`` (B, 1+T_res)
    True = masked; ``coarse`` (B, D)."""

    seq: torch.Tensor
    key_padding: torch.Tensor
    coarse: torch.Tensor

    @property
    def additive_mask(self) -> torch.Tensor:
        """(B, 1, 1, 1+T_res): -10000 on masked keys, 0 elsewhere (as the authors)."""
        return (self.key_padding[:, None, None, :].to(self.seq.dtype)) * MASK_VALUE

    def __len__(self) -> int:
        return self.seq.shape[0]

    def select(self, index: torch.Tensor) -> "AudioEncoding":
        return AudioEncoding(self.seq[index], self.key_padding[index], self.coarse[index])

    @staticmethod
    def cat(parts: Sequence["AudioEncoding"]) -> "AudioEncoding":
        """Concatenate encodings of different lengths, padding with masked zero frames."""
        s = max(p.seq.shape[1] for p in parts)
        seqs, pads = [], []
        for p in parts:
            extra = s - p.seq.shape[1]
            seqs.append(nn.functional.pad(p.seq, (0, 0, 0, extra)))
            pads.append(nn.functional.pad(p.key_padding, (0, extra), value=True))
        return AudioEncoding(torch.cat(seqs), torch.cat(pads), torch.cat([p.coarse for p in parts]))


@dataclass(frozen=True)
class ImageEncoding:
    """Image side for scoring. ``seq`` (B, 1+R, D) CLS first; ``coarse`` (B, D)."""

    seq: torch.Tensor
    coarse: torch.Tensor

    def __len__(self) -> int:
        return self.seq.shape[0]

    def select(self, index: torch.Tensor) -> "ImageEncoding":
        return ImageEncoding(self.seq[index], self.coarse[index])

    @staticmethod
    def cat(parts: Sequence["ImageEncoding"]) -> "ImageEncoding":
        return ImageEncoding(torch.cat([p.seq for p in parts]), torch.cat([p.coarse for p in parts]))


class LayerOutputs(dict):
    """``{layer name: (B, T, D) tensor}`` with ``.masks[name]`` (B, T) frame masks, True = padding.
    ``audio.coarse`` is (B, D) and has no mask."""

    def __init__(self) -> None:
        super().__init__()
        self.masks: dict[str, torch.Tensor] = {}


def init_cnn_like_fairseq(model: "FaSTVGS") -> None:
    """Kaiming-normal init of the Conv1 (CNN) weights, as fairseq's wav2vec2 feature extractor does.

    PyTorch's default Conv1d init (kaiming-uniform, a = sqrt(5)) shrinks the signal about 3x per layer: after
    7 layers a random CNN's output is ~1e-3, below the eps of the projection's LayerNorm, and the Trm1 input
    carries almost nothing of the audio. Loaded weights (checkpoints, wav2vec2-base) replace this init.
    """
    for module in model.trm1.feature_extractor.modules():
        if isinstance(module, nn.Conv1d):
            nn.init.kaiming_normal_(module.weight)


class FaSTVGS(nn.Module):
    def __init__(self, cfg: FaSTVGSConfig, *, attn_implementation: str = "sdpa") -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.hidden_size
        # audio branch
        self.trm1 = Trm1Encoder(cfg, attn_implementation=attn_implementation)
        self.conv2 = ResDAVEnet(cfg)
        self.audio_cls_proj = cls_mlp(d)  # authors: audio_cls_token_proj_pre
        self.trm2 = BertStack(cfg, cfg.trm2_layers)
        self.trm2_proj = nn.Linear(d, d)
        # image branch
        self.roi = RoIEncoder(cfg)  # authors: visn_fc
        self.visual_cls_token = nn.Parameter(torch.randn(1, 1, d))
        self.image_trm = BertStack(cfg, cfg.image_layers)  # authors: trm
        self.visual_coarse_proj = cls_mlp(d)  # authors: visual_cls_token_proj_coarse
        # cross encoder + fine head
        self.cross = CrossEncoder(cfg)
        self.apply(self._init_weights)
        init_cnn_like_fairseq(self)

    def _init_weights(self, m: nn.Module) -> None:
        # The authors' init for the BERT-style parts; wav2vec2 parts are usually loaded from weights.
        if isinstance(m, nn.Linear):
            m.weight.data.normal_(0.0, self.cfg.initializer_range)
            if m.bias is not None:
                m.bias.data.zero_()
        elif isinstance(m, nn.LayerNorm):
            m.weight.data.fill_(1.0)
            m.bias.data.zero_()

    # ------------------------------------------------------------------ inputs
    def _check_audio(self, wav: torch.Tensor, padding_mask: torch.Tensor | None) -> None:
        if not isinstance(wav, torch.Tensor):
            raise InputError(f"wav must be a torch.Tensor (B, samples), got {type(wav).__name__}")
        if wav.ndim != 2:
            raise InputError(f"wav must be 2-D (B, samples), got shape {tuple(wav.shape)}")
        if not wav.is_floating_point():
            raise InputError(f"wav must be a float tensor, got dtype {wav.dtype}")
        if wav.shape[0] == 0:
            raise InputError("wav is an empty batch (B = 0)")
        rf = self.cfg.cnn_receptive_field
        if wav.shape[1] < rf:
            raise InputError(f"wav has {wav.shape[1]} samples; at least {rf} (the CNN's receptive field) are needed")
        if not torch.isfinite(wav).all():
            raise InputError("wav contains NaN or inf")
        if padding_mask is not None:
            if padding_mask.dtype != torch.bool or padding_mask.shape != wav.shape:
                raise InputError(
                    f"padding_mask must be a bool tensor of shape {tuple(wav.shape)} (True = padding), "
                    f"got {padding_mask.dtype} {tuple(padding_mask.shape)}"
                )
            lengths = (~padding_mask).sum(1)
            if bool((lengths < rf).any()):
                raise InputError(f"every waveform needs at least {rf} non-padding samples; got lengths {lengths.tolist()}")

    def _check_image(self, feats: torch.Tensor, boxes: torch.Tensor) -> None:
        f = self.cfg.image_feature_dim
        if not isinstance(feats, torch.Tensor) or feats.ndim != 3 or feats.shape[-1] != f:
            shape = tuple(feats.shape) if isinstance(feats, torch.Tensor) else type(feats).__name__
            raise InputError(f"roi_feats must be (B, R, {f}), got {shape}")
        if not isinstance(boxes, torch.Tensor) or boxes.shape != (*feats.shape[:2], self.cfg.image_box_dim):
            shape = tuple(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes).__name__
            raise InputError(f"roi_boxes must be (B, R, 4) = {(*feats.shape[:2], 4)}, got {shape}")
        if feats.shape[0] == 0:
            raise InputError("roi_feats is an empty batch (B = 0)")
        if not (feats.is_floating_point() and boxes.is_floating_point()):
            raise InputError(f"roi_feats and roi_boxes must be float tensors, got {feats.dtype}, {boxes.dtype}")
        if not (torch.isfinite(feats).all() and torch.isfinite(boxes).all()):
            raise InputError("roi_feats or roi_boxes contain NaN or inf")

    # ------------------------------------------------------------------ audio
    @torch.no_grad()
    def audio_layers(
        self,
        wav: torch.Tensor,
        padding_mask: torch.Tensor | None = None,
        layers: Iterable[str] | None = None,
    ) -> LayerOutputs:
        """Named layers of the audio branch, CLS dropped, with frame masks (inference: no autograd graph).

        wav (B, L) z-normalised; padding_mask (B, L) bool, True = padding. ``layers`` defaults
        to every audio layer. One forward pass serves all requested layers; the branch stops
        as early as the requested layers allow.
        """
        self._check_audio(wav, padding_mask)
        wanted = validate_layers(layer_names(self.cfg) if layers is None else list(layers), self.cfg)
        need_top = any(n in wanted for n in ("conv2", "trm2.1", AUDIO_COARSE))
        trm1_idx = [int(n.split(".")[1]) for n in wanted if n.startswith("trm1.")]
        upto = None if need_top else max(trm1_idx, default=0)
        out1 = self.trm1(wav, padding_mask, keep=frozenset(wanted), upto=upto)
        res = LayerOutputs()
        pad = out1["padding"]
        for name in wanted:
            if name == "cnn":
                res[name], res.masks[name] = out1["cnn"], pad
            elif name.startswith("trm1."):
                res[name], res.masks[name] = out1[name][:, 1:], pad
        if need_top:
            top = self._audio_top(out1["last"], pad)
            for name in wanted:
                if name == "conv2":
                    res[name], res.masks[name] = top["conv2"], top["conv2_pad"]
                elif name == "trm2.1":
                    res[name], res.masks[name] = top["seq"][:, 1:], top["conv2_pad"]
                elif name == AUDIO_COARSE:
                    res[name] = top["coarse"]
        return res

    @torch.no_grad()
    def audio_layers_each(self, wavs: Sequence[torch.Tensor], layers: Iterable[str]) -> list[dict[str, torch.Tensor]]:
        """Named layers of each waveform exactly as :meth:`audio_layers` gives for it alone, unpadded.

        ``wavs`` is a list of 1-D z-normalised waveforms of any lengths; the Trm1 stack runs
        batched (see :meth:`Trm1Encoder.forward_each`), Conv2/Trm2 per file. Each result maps a
        layer name to its valid frames (T_i, D) (the frames the model's own mask keeps for the
        unpadded input; ``audio.coarse`` is (D,)).
        """
        if len(wavs) == 0:
            raise InputError("empty list of waveforms")
        for w in wavs:
            self._check_audio(w[None] if isinstance(w, torch.Tensor) and w.ndim == 1 else w, None)
        wanted = validate_layers(list(layers), self.cfg)
        need_top = any(n in wanted for n in ("conv2", "trm2.1", AUDIO_COARSE))
        upto = None if need_top else max((int(n.split(".")[1]) for n in wanted if n.startswith("trm1.")), default=0)
        out1, lengths = self.trm1.forward_each(list(wavs), keep=frozenset(wanted), upto=upto)
        results: list[dict[str, torch.Tensor]] = []
        for i, t in enumerate(lengths):
            res: dict[str, torch.Tensor] = {}
            for name in wanted:
                if name == "cnn":
                    res[name] = out1["cnn"][i, :t]
                elif name.startswith("trm1."):
                    res[name] = out1[name][i, 1 : t + 1]
            if need_top:
                top = self._audio_top(out1["last"][i : i + 1, : t + 1], out1["padding"][i : i + 1, :t])
                valid = ~top["conv2_pad"][0]
                for name in wanted:
                    if name == "conv2":
                        res[name] = top["conv2"][0][valid]
                    elif name == "trm2.1":
                        res[name] = top["seq"][0, 1:][valid]
                    elif name == AUDIO_COARSE:
                        res[name] = top["coarse"][0]
            results.append({n: res[n] for n in wanted})
        return results

    def _audio_top(self, trm1_out: torch.Tensor, frame_pad: torch.Tensor) -> dict[str, torch.Tensor]:
        """Conv2 + Trm2 on the Trm1 output (B, 1+T, D), CLS first."""
        frames, cls = trm1_out[:, 1:], trm1_out[:, 0]
        c2 = self.conv2(frames)  # (B, T_res, D)
        valid = conv2_valid_frames((~frame_pad).sum(-1), frames.shape[1], c2.shape[1])
        c2_pad = torch.arange(c2.shape[1], device=c2.device)[None, :] >= valid[:, None]
        seq = torch.cat([self.audio_cls_proj(cls)[:, None], c2], dim=1)
        key_padding = torch.cat([c2_pad.new_zeros(c2_pad.shape[0], 1), c2_pad], dim=1)
        mask = key_padding[:, None, None, :].to(seq.dtype) * MASK_VALUE
        seq = self.trm2(seq, mask)
        return {"conv2": c2, "conv2_pad": c2_pad, "seq": seq, "key_padding": key_padding,
                "coarse": self.trm2_proj(seq[:, 0])}

    def encode_audio(self, wav: torch.Tensor, padding_mask: torch.Tensor | None = None) -> AudioEncoding:
        """wav (B, L) -> :class:`AudioEncoding` (Trm2 sequence, key mask, coarse embedding). Differentiable
        (the training loss uses it): for inference call it under ``torch.no_grad()``."""
        self._check_audio(wav, padding_mask)
        out1 = self.trm1(wav, padding_mask)
        top = self._audio_top(out1["last"], out1["padding"])
        return AudioEncoding(top["seq"], top["key_padding"], top["coarse"])

    # ------------------------------------------------------------------ image
    def encode_image(self, roi_feats: torch.Tensor, roi_boxes: torch.Tensor) -> ImageEncoding:
        """roi_feats (B, R, F), roi_boxes (B, R, 4) as [x1/w, y1/h, x2/w, y2/h] -> :class:`ImageEncoding`.
        Differentiable (the training loss uses it): for inference call it under ``torch.no_grad()``."""
        self._check_image(roi_feats, roi_boxes)
        x = self.roi(roi_feats, roi_boxes)
        x = torch.cat([self.visual_cls_token.expand(x.shape[0], -1, -1).to(x.dtype), x], dim=1)
        x = self.image_trm(x, None)
        return ImageEncoding(x, self.visual_coarse_proj(x[:, 0]))

    # ------------------------------------------------------------------ scores
    def _encodings(self, wav, padding_mask, roi_feats, roi_boxes, audio, image):
        if audio is None:
            if wav is None:
                raise InputError("give either wav (and padding_mask) or audio=AudioEncoding")
            audio = self.encode_audio(wav, padding_mask)
        if image is None:
            if roi_feats is None or roi_boxes is None:
                raise InputError("give either roi_feats and roi_boxes or image=ImageEncoding")
            image = self.encode_image(roi_feats, roi_boxes)
        return audio, image

    @torch.no_grad()
    def coarse_scores(
        self,
        wav: torch.Tensor | None = None,
        padding_mask: torch.Tensor | None = None,
        roi_feats: torch.Tensor | None = None,
        roi_boxes: torch.Tensor | None = None,
        *,
        audio: AudioEncoding | None = None,
        image: ImageEncoding | None = None,
    ) -> torch.Tensor:
        """(n_audio, n_image) dot products of the coarse embeddings."""
        audio, image = self._encodings(wav, padding_mask, roi_feats, roi_boxes, audio, image)
        return audio.coarse @ image.coarse.T

    def pair_scorer(self, audio: AudioEncoding, image: ImageEncoding) -> PairScorer:
        """A :class:`~vgprobe.fastvgs.cross_pairs.PairScorer` over these encodings: the first cross layer's
        image projections are computed once, then any list of pairs is scored."""
        return PairScorer(self.cross, audio.seq, audio.additive_mask, image.seq)

    def fine_scores(
        self,
        wav: torch.Tensor | None = None,
        padding_mask: torch.Tensor | None = None,
        roi_feats: torch.Tensor | None = None,
        roi_boxes: torch.Tensor | None = None,
        *,
        audio: AudioEncoding | None = None,
        image: ImageEncoding | None = None,
        pairs_per_chunk: int | None = 256,
        checkpoint: bool = False,
    ) -> torch.Tensor:
        """(n_audio, n_image) cross-encoder scores of every pair, in calls of ``pairs_per_chunk`` pairs
        (None: one call); ``checkpoint``: see :meth:`PairScorer.__call__`. Differentiable (the training loss
        uses it): for inference call it under ``torch.no_grad()``."""
        audio, image = self._encodings(wav, padding_mask, roi_feats, roi_boxes, audio, image)
        return self.pair_scorer(audio, image).all_pairs(pairs_per_chunk=pairs_per_chunk, checkpoint=checkpoint)

    @torch.no_grad()
    def pair_scores(
        self,
        audio: AudioEncoding,
        image: ImageEncoding,
        audio_index: torch.Tensor,
        image_index: torch.Tensor,
        pairs_per_chunk: int = 256,
    ) -> torch.Tensor:
        """Fine scores of the pairs (audio_index[p], image_index[p]) -> (P,)."""
        return self.pair_scorer(audio, image)(audio_index, image_index, pairs_per_chunk=pairs_per_chunk)
