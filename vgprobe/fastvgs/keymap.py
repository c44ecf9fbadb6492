"""Parameter-name maps: the authors' FaST-VGS checkpoints, fairseq wav2vec2 and Hugging Face
wav2vec2 checkpoints -> vgprobe's :class:`~vgprobe.fastvgs.model.FaSTVGS` names.

Each map is an ordered list of ``(regex, replacement)`` rules; the first full match wins.
A replacement of ``None`` marks a tensor that exists in such checkpoints but that FaST-VGS
never uses (wav2vec2 pre-training heads, the authors' unused coarse projection).
"""

from __future__ import annotations

import re

Rule = tuple[str, str | None]

# fairseq wav2vec2 (``Wav2Vec2Model``) names, relative to the model, -> Trm1Encoder names.
FAIRSEQ_W2V2: list[Rule] = [
    (r"cls_token", "cls_token"),
    (r"feature_extractor\.conv_layers\.(\d+)\.0\.weight", r"feature_extractor.conv_layers.\1.conv.weight"),
    (r"feature_extractor\.conv_layers\.0\.2\.(weight|bias)", r"feature_extractor.conv_layers.0.layer_norm.\1"),
    (r"layer_norm\.(weight|bias)", r"feature_projection.layer_norm.\1"),
    (r"post_extract_proj\.(weight|bias)", r"feature_projection.projection.\1"),
    (r"encoder\.pos_conv\.0\.bias", "encoder.pos_conv_embed.conv.bias"),
    (r"encoder\.pos_conv\.0\.weight_g", "encoder.pos_conv_embed.conv.parametrizations.weight.original0"),
    (r"encoder\.pos_conv\.0\.weight_v", "encoder.pos_conv_embed.conv.parametrizations.weight.original1"),
    (r"encoder\.layer_norm\.(weight|bias)", r"encoder.layer_norm.\1"),
    (r"encoder\.layers\.(\d+)\.self_attn\.(q|k|v|out)_proj\.(weight|bias)", r"encoder.layers.\1.attention.\2_proj.\3"),
    (r"encoder\.layers\.(\d+)\.self_attn_layer_norm\.(weight|bias)", r"encoder.layers.\1.layer_norm.\2"),
    (r"encoder\.layers\.(\d+)\.fc1\.(weight|bias)", r"encoder.layers.\1.feed_forward.intermediate_dense.\2"),
    (r"encoder\.layers\.(\d+)\.fc2\.(weight|bias)", r"encoder.layers.\1.feed_forward.output_dense.\2"),
    (r"encoder\.layers\.(\d+)\.final_layer_norm\.(weight|bias)", r"encoder.layers.\1.final_layer_norm.\2"),
    (r"mask_emb|quantizer\..*|project_q\..*|final_proj\..*|target_glu\..*|label_embs_concat", None),
]

# Hugging Face Wav2Vec2Model / Wav2Vec2ForPreTraining names -> Trm1Encoder names.
HF_W2V2: list[Rule] = [
    (r"(?:wav2vec2\.)?feature_extractor\.(.*)", r"feature_extractor.\1"),
    (r"(?:wav2vec2\.)?feature_projection\.(.*)", r"feature_projection.\1"),
    (r"(?:wav2vec2\.)?encoder\.pos_conv_embed\.conv\.weight_g", "encoder.pos_conv_embed.conv.parametrizations.weight.original0"),
    (r"(?:wav2vec2\.)?encoder\.pos_conv_embed\.conv\.weight_v", "encoder.pos_conv_embed.conv.parametrizations.weight.original1"),
    (r"(?:wav2vec2\.)?encoder\.(pos_conv_embed|layer_norm)\.(.*)", r"encoder.\1.\2"),
    (r"(?:wav2vec2\.)?encoder\.layers\.(\d+)\.(.*)", r"encoder.layers.\1.\2"),
    (r"(?:wav2vec2\.)?masked_spec_embed|quantizer\..*|project_q\..*|project_hid\..*|lm_head\..*|dropout_features.*", None),
]

# The authors' DualEncoder / CrossEncoder state dicts (with the bundle's "dual_encoder." /
# "cross_encoder." prefixes) -> FaSTVGS names.
AUTHORS: list[Rule] = [
    (r"dual_encoder\.audio_cls_token_proj_coarse\..*", None),  # computed, then overwritten: unused
    (r"dual_encoder\.audio_cls_token_proj_pre\.(.*)", r"audio_cls_proj.\1"),
    (r"dual_encoder\.conv2\.(.*)", r"conv2.\1"),
    (r"dual_encoder\.trm2\.(attention|intermediate|output)\.(.*)", r"trm2.0.\1.\2"),
    (r"dual_encoder\.trm2_proj\.(.*)", r"trm2_proj.\1"),
    (r"dual_encoder\.visn_fc\.(.*)", r"roi.\1"),
    (r"dual_encoder\.visual_cls_token", "visual_cls_token"),
    (r"dual_encoder\.trm\.(\d+)\.(.*)", r"image_trm.\1.\2"),
    (r"dual_encoder\.visual_cls_token_proj_coarse\.(.*)", r"visual_coarse_proj.\1"),
    (r"cross_encoder\.(xtrm|fc)\.(.*)", r"cross.\1.\2"),
] + [
    (rf"dual_encoder\.conv1_trm1_trm3\.(?:{pat})", None if rep is None else f"trm1.{rep}")
    for pat, rep in FAIRSEQ_W2V2
]


def map_key(key: str, rules: list[Rule]) -> tuple[bool, str | None]:
    """``(matched, new name or None for a known-unused tensor)``."""
    for pattern, repl in rules:
        m = re.fullmatch(pattern, key)
        if m:
            return True, (None if repl is None else m.expand(repl))
    return False, None


def map_state_dict(
    state: dict, rules: list[Rule]
) -> tuple[dict[str, object], list[str], list[str]]:
    """Rename a state dict. Returns ``(mapped, unused, unknown)`` (unused/unknown: source keys)."""
    mapped: dict[str, object] = {}
    unused: list[str] = []
    unknown: list[str] = []
    for key, value in state.items():
        ok, new = map_key(key, rules)
        if not ok:
            unknown.append(key)
        elif new is None:
            unused.append(key)
        else:
            mapped[new] = value
    return mapped, unused, unknown

