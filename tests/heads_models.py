"""Small models for the attention-head tests: FaST-VGS with few layers and Hugging Face speech encoders."""

from __future__ import annotations

from pathlib import Path

import torch

import vgprobe.fastvgs as fv

SMALL = {
    "conv_layers": [[32, 10, 5], [32, 3, 2], [32, 3, 2], [32, 3, 2], [32, 3, 2], [32, 2, 2], [32, 2, 2]],
    "hidden_size": 32, "trm1_layers": 3, "trm1_heads": 4, "trm1_ffn": 64, "pos_conv_kernel": 8,
    "pos_conv_groups": 2, "conv2_widths": [16, 16, 16, 32, 32], "bert_heads": 4, "bert_ffn": 64,
    "trm2_layers": 2, "image_layers": 2, "cross_layers": 2, "image_feature_dim": 64, "num_regions": 6,
    "dropout": 0.1, "attention_dropout": 0.1, "dropout_input": 0.1, "bert_dropout": 0.1,
    "bert_attention_dropout": 0.1, "initializer_range": 0.2,
}


def small_fastvgs(seed: int = 0, **overrides) -> "fv.FaSTVGS":
    """A FaST-VGS with 3 Trm1, 2 Trm2, 2 image and 2 cross layers of 4 heads (dropout on, so tests see it
    switched off); initialiser range 0.2 so attention maps are far from uniform."""
    torch.manual_seed(seed)
    return fv.FaSTVGS(fv.FaSTVGSConfig.from_dict(SMALL | overrides)).eval()


def image_of(seed: int, regions: int = 6, dim: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(regions, 2, generator=g) * 0.5
    return torch.randn(regions, dim, generator=g), torch.cat([xy, xy + 0.4], dim=1)


def hf_model(family: str, folder: Path | None = None, seed: int = 0):
    """A 2-layer, 4-head Hugging Face encoder of ``family``; saved with a feature extractor when ``folder``."""
    import transformers

    config_cls, model_cls = {
        "wav2vec2": (transformers.Wav2Vec2Config, transformers.Wav2Vec2Model),
        "hubert": (transformers.HubertConfig, transformers.HubertModel),
        "wavlm": (transformers.WavLMConfig, transformers.WavLMModel),
        "data2vec-audio": (transformers.Data2VecAudioConfig, transformers.Data2VecAudioModel),
    }[family]
    extra = {"num_conv_pos_embeddings": 2} if family == "data2vec-audio" else {
        "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2}
    cfg = config_cls(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                     conv_dim=(32,) * 7, initializer_range=0.2, **extra)
    torch.manual_seed(seed)
    model = model_cls(cfg).eval()
    if folder is not None:
        model.save_pretrained(folder)
        transformers.Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(folder)
    return model
