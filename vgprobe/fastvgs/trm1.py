"""Conv1 + Trm1: the wav2vec2-base front end of FaST-VGS, with the CLS token of the authors.

Built from Hugging Face's wav2vec2 modules (CNN, feature projection, positional conv,
post-LN encoder layer), composed in the authors' order, which HF's own forward cannot do:

    wav (B, L) -> CNN -> (B, T, 512) -> LayerNorm -> Linear -> (B, T, D)
    -> [CLS; frames] (B, T+1, D) -> x + pos_conv(x) -> LayerNorm -> dropout -> 8 post-LN layers

Padded frames are NOT zeroed before the positional conv, and the frame padding mask follows
the authors' reshape rule (:func:`frame_padding_mask`), both as in the released code.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import Wav2Vec2Config
from transformers.models.wav2vec2.modeling_wav2vec2 import (
    Wav2Vec2EncoderLayer,
    Wav2Vec2FeatureEncoder,
    Wav2Vec2FeatureProjection,
    Wav2Vec2PositionalConvEmbedding,
)

from vgprobe.fastvgs.config import FaSTVGSConfig


def hf_wav2vec2_config(cfg: FaSTVGSConfig, *, attn_implementation: str = "sdpa") -> Wav2Vec2Config:
    """The Hugging Face config whose modules match this FaST-VGS Conv1/Trm1 exactly."""
    hf = Wav2Vec2Config(
        conv_dim=[c for c, _, _ in cfg.conv_layers],
        conv_kernel=[k for _, k, _ in cfg.conv_layers],
        conv_stride=[s for _, _, s in cfg.conv_layers],
        conv_bias=False,
        feat_extract_norm="group",
        feat_extract_activation="gelu",
        num_feat_extract_layers=len(cfg.conv_layers),
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.trm1_layers,
        num_attention_heads=cfg.trm1_heads,
        intermediate_size=cfg.trm1_ffn,
        hidden_act="gelu",
        num_conv_pos_embeddings=cfg.pos_conv_kernel,
        num_conv_pos_embedding_groups=cfg.pos_conv_groups,
        layer_norm_eps=cfg.w2v2_layer_norm_eps,
        hidden_dropout=cfg.dropout,
        attention_dropout=cfg.attention_dropout,
        activation_dropout=cfg.activation_dropout,
        feat_proj_dropout=cfg.dropout_input,
        do_stable_layer_norm=False,
    )
    hf._attn_implementation = attn_implementation
    return hf


def n_cnn_frames(n_samples: int, cfg: FaSTVGSConfig) -> int:
    """Frames the CNN gives for ``n_samples`` samples: ``floor((L - 400) / 320) + 1`` for wav2vec2-base."""
    n = n_samples
    for _, k, s in cfg.conv_layers:
        n = (n - k) // s + 1
    return max(n, 0)


def frame_padding_mask(sample_mask: torch.Tensor, n_frames: int) -> torch.Tensor:
    """The authors' frame mask: (B, L) sample mask (True = pad) -> (B, T) frame mask.

    The last ``L % T`` samples are dropped, the rest reshaped into blocks of ``L // T``
    samples (not the 320-sample stride), and a frame is padding iff all its samples are.
    """
    b, length = sample_mask.shape
    extra = length % n_frames
    if extra > 0:
        sample_mask = sample_mask[:, :-extra]
    return sample_mask.reshape(b, n_frames, -1).all(-1)


def additive_key_mask(padding: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """(B, S) bool (True = pad) -> (B, 1, 1, S) additive mask with the dtype's minimum on padded keys."""
    if padding is None or not bool(padding.any()):
        return None
    mask = torch.zeros(padding.shape, dtype=dtype, device=padding.device)
    mask.masked_fill_(padding, torch.finfo(dtype).min)
    return mask[:, None, None, :]


class Trm1Encoder(nn.Module):
    """Conv1 + Trm1. Parameter names are Hugging Face wav2vec2's (``feature_extractor``,
    ``feature_projection``, ``encoder.pos_conv_embed``, ``encoder.layer_norm``, ``encoder.layers``)
    plus ``cls_token`` (1, 1, D)."""

    def __init__(self, cfg: FaSTVGSConfig, *, attn_implementation: str = "sdpa") -> None:
        super().__init__()
        self.cfg = cfg
        hf = hf_wav2vec2_config(cfg, attn_implementation=attn_implementation)
        self.hf_config = hf
        self.feature_extractor = Wav2Vec2FeatureEncoder(hf)
        self.feature_projection = Wav2Vec2FeatureProjection(hf)
        self.cls_token = nn.Parameter(torch.randn(1, 1, cfg.hidden_size))
        self.encoder = _Trm1Stack(hf)
        # The authors train with feature_grad_mult = 0: the CNN runs without gradients.
        self.freeze_cnn = True

    def forward(
        self,
        wav: torch.Tensor,
        padding_mask: torch.Tensor | None = None,
        *,
        keep: frozenset[str] = frozenset(),
        upto: int | None = None,
    ) -> dict[str, torch.Tensor]:
        """Run Conv1 + Trm1.

        Returns ``cnn`` (B, T, 512) when asked in ``keep``, ``trm1.k`` (B, T+1, D) with CLS
        first for each k in ``keep`` (``trm1.0`` is the encoder input after the layer norm),
        ``last`` (B, T+1, D) (output of the last layer run) and ``padding`` (B, T) frame mask.
        ``upto`` stops after that many layers (default: all).
        """
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_cnn):
            feats = self.feature_extractor(wav).transpose(1, 2)  # (B, T, C)
        out: dict[str, torch.Tensor] = {}
        if "cnn" in keep:
            out["cnn"] = feats
        b, t, _ = feats.shape
        if padding_mask is not None:
            padding = frame_padding_mask(padding_mask, t)
        else:
            padding = torch.zeros(b, t, dtype=torch.bool, device=wav.device)
        x, _ = self.feature_projection(feats)  # (B, T, D); dropout_input after projection
        x = torch.cat([self.cls_token.expand(b, -1, -1).to(x.dtype), x], dim=1)  # (B, T+1, D)
        padding_cls = torch.cat([padding.new_zeros(b, 1), padding], dim=1)
        out.update(self.encoder(x, padding_cls, keep=keep, upto=upto))
        out["padding"] = padding
        return out


    def forward_each(
        self, wavs: list[torch.Tensor], *, keep: frozenset[str] = frozenset(), upto: int | None = None
    ) -> tuple[dict[str, torch.Tensor], list[int]]:
        """Each waveform as if run alone and unpadded, with the transformer batched.

        The CNN runs per file (its first GroupNorm normalises over time, so padding would change
        it). The projected frames are zero-padded after the CNN: the positional conv then sees
        exactly the zeros its own padding gives an unpadded input, and padded positions are
        masked as attention keys. Returns the batched outputs of :meth:`forward` (``cnn`` padded
        with zeros) and the frame count of each file.
        """
        cnn, proj = [], []
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_cnn):
            for w in wavs:
                cnn.append(self.feature_extractor(w[None]).transpose(1, 2)[0])  # (T_i, C)
        for f in cnn:
            proj.append(self.feature_projection(f[None])[0][0])  # (T_i, D)
        lengths = [f.shape[0] for f in cnn]
        b, t, d = len(wavs), max(lengths), proj[0].shape[-1]
        x = proj[0].new_zeros(b, t + 1, d)
        x[:, 0] = self.cls_token[0, 0].to(x.dtype)
        for i, p in enumerate(proj):
            x[i, 1 : lengths[i] + 1] = p
        pos = torch.arange(t, device=x.device)[None, :]
        padding = pos >= torch.tensor(lengths, device=x.device)[:, None]  # (B, T)
        padding_cls = torch.cat([padding.new_zeros(b, 1), padding], dim=1)
        out = self.encoder(x, padding_cls, keep=keep, upto=upto)
        if "cnn" in keep:
            out["cnn"] = nn.utils.rnn.pad_sequence(cnn, batch_first=True)
        out["padding"] = padding
        return out, lengths


class _Trm1Stack(nn.Module):
    def __init__(self, hf: Wav2Vec2Config) -> None:
        super().__init__()
        self.pos_conv_embed = Wav2Vec2PositionalConvEmbedding(hf)
        self.layer_norm = nn.LayerNorm(hf.hidden_size, eps=hf.layer_norm_eps)
        self.dropout = nn.Dropout(hf.hidden_dropout)
        self.layers = nn.ModuleList([Wav2Vec2EncoderLayer(hf) for _ in range(hf.num_hidden_layers)])

    def forward(
        self, x: torch.Tensor, padding: torch.Tensor, *, keep: frozenset[str], upto: int | None
    ) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        x = x + self.pos_conv_embed(x)
        x = self.dropout(self.layer_norm(x))
        if "trm1.0" in keep:
            out["trm1.0"] = x
        mask = additive_key_mask(padding, x.dtype)
        n = len(self.layers) if upto is None else upto
        for i, layer in enumerate(self.layers[:n], start=1):
            x = layer(x, attention_mask=mask)
            if isinstance(x, tuple):  # older transformers return (hidden_states, ...)
                x = x[0]
            if f"trm1.{i}" in keep:
                out[f"trm1.{i}"] = x
        out["last"] = x
        return out
