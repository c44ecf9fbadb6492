"""The BERT-style parts of FaST-VGS: Trm2, the RoI image encoder and the cross encoder.

The layers are Hugging Face's LXMERT modules, which compute exactly what the authors'
LXMERT-derived layers compute (post-LN, LayerNorm eps 1e-12, erf GELU, additive masks) and
carry the same parameter names (``attention.self.query``, ``visual_attention.att.key`` ...).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import LxmertConfig
from transformers.models.lxmert.modeling_lxmert import (
    LxmertAttention,
    LxmertCrossAttentionLayer,
    LxmertIntermediate,
    LxmertLayer,
    LxmertOutput,
)

from vgprobe.fastvgs.config import FaSTVGSConfig


def hf_lxmert_config(cfg: FaSTVGSConfig) -> LxmertConfig:
    return LxmertConfig(
        hidden_size=cfg.hidden_size,
        num_attention_heads=cfg.bert_heads,
        intermediate_size=cfg.bert_ffn,
        hidden_act="gelu",
        hidden_dropout_prob=cfg.bert_dropout,
        attention_probs_dropout_prob=cfg.bert_attention_dropout,
    )


def cls_mlp(d: int) -> nn.Sequential:
    """Linear(d -> 2d) -> GELU -> Linear(2d -> d): the CLS projections of the authors."""
    return nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))


class BertStack(nn.ModuleList):
    """Post-LN BERT layers with an optional additive (B, 1, 1, S) key mask."""

    def __init__(self, cfg: FaSTVGSConfig, n_layers: int) -> None:
        hf = hf_lxmert_config(cfg)
        super().__init__([LxmertLayer(hf) for _ in range(n_layers)])

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self:
            x = layer(x, mask)[0]
        return x


class RoIEncoder(nn.Module):
    """``(LN(Linear(f)) + LN(Linear(box))) / 2`` (the authors' ``VisualFeatEncoder``)."""

    def __init__(self, cfg: FaSTVGSConfig) -> None:
        super().__init__()
        d = cfg.hidden_size
        self.visn_fc = nn.Linear(cfg.image_feature_dim, d)
        self.visn_layer_norm = nn.LayerNorm(d, eps=1e-12)
        self.box_fc = nn.Linear(cfg.image_box_dim, d)
        self.box_layer_norm = nn.LayerNorm(d, eps=1e-12)
        self.dropout = nn.Dropout(cfg.bert_dropout)

    def forward(self, feats: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """(B, R, F), (B, R, 4) -> (B, R, D)."""
        x = self.visn_layer_norm(self.visn_fc(feats))
        y = self.box_layer_norm(self.box_fc(boxes))
        return self.dropout((x + y) / 2)


class CrossLayer(nn.Module):
    """One cross-encoder layer as the authors wrote it (``LXMERTXLayer``):

    1. cross-attention, ONE module used in both directions (audio<-image, image<-audio),
       with output dense, residual and LayerNorm;
    2. per-modality self-attention that is bare: no output dense, no residual, no LayerNorm;
    3. per-modality feed-forward with residual and LayerNorm.
    """

    def __init__(self, cfg: FaSTVGSConfig) -> None:
        super().__init__()
        hf = hf_lxmert_config(cfg)
        self.visual_attention = LxmertCrossAttentionLayer(hf)
        self.audio_self_att = LxmertAttention(hf)
        self.visn_self_att = LxmertAttention(hf)
        self.audio_inter = LxmertIntermediate(hf)
        self.audio_output = LxmertOutput(hf)
        self.visn_inter = LxmertIntermediate(hf)
        self.visn_output = LxmertOutput(hf)

    def forward(
        self, audio: torch.Tensor, audio_mask: torch.Tensor | None, visual: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.self_and_ffn(*self.cross_attend(audio, audio_mask, visual), audio_mask)

    def cross_attend(
        self, audio: torch.Tensor, audio_mask: torch.Tensor | None, visual: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Step 1: audio attends to the image and the image to the audio (one module, both directions)."""
        a = self.visual_attention(audio, visual, None)[0]
        v = self.visual_attention(visual, audio, audio_mask)[0]
        return a, v

    def self_and_ffn(
        self, a: torch.Tensor, v: torch.Tensor, audio_mask: torch.Tensor | None, *, cls_only: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Steps 2 and 3. ``cls_only``: queries and feed-forward for token 0 only (keys and values still
        cover every token), giving (B, 1, D) outputs equal to token 0 of the full computation."""
        qa, qv = (a[:, :1], v[:, :1]) if cls_only else (a, v)
        a = self.audio_self_att(qa, a, audio_mask)[0]
        v = self.visn_self_att(qv, v, None)[0]
        a = self.audio_output(self.audio_inter(a), a)
        v = self.visn_output(self.visn_inter(v), v)
        return a, v


class CrossEncoder(nn.Module):
    """Cross encoder + fine-score head: (B, 1+Ta, D), (B, 1+Tv, D) -> (B,) scores."""

    def __init__(self, cfg: FaSTVGSConfig) -> None:
        super().__init__()
        d = cfg.hidden_size
        self.xtrm = nn.ModuleList([CrossLayer(cfg) for _ in range(cfg.cross_layers)])
        self.fc = nn.Sequential(nn.Linear(2 * d, d), nn.GELU(), nn.Linear(d, 1))

    def forward(
        self,
        audio: torch.Tensor,
        audio_mask: torch.Tensor | None,
        visual: torch.Tensor,
        *,
        return_layers: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        layers = []
        for layer in self.xtrm:
            audio, visual = layer(audio, audio_mask, visual)
            if return_layers:
                layers.append((audio, visual))
        score = self.fc(torch.cat([audio[:, 0], visual[:, 0]], dim=-1)).squeeze(-1)
        return (score, layers) if return_layers else score
