"""Random init: the CNN gets fairseq's kaiming init (in the constructor, so ``random:<recipe>`` baselines are
the training start); ``max_seconds`` bounds the training loop's wall time."""

import json

import torch

from vgprobe.fastvgs.config import FaSTVGSConfig
from vgprobe.fastvgs.model import FaSTVGS, init_cnn_like_fairseq
from vgprobe.train.runfolder import load_state
from vgprobe.train import resolve_config, train


def cnn_output_std(model: FaSTVGS) -> float:
    torch.manual_seed(0)
    wav = torch.randn(2, 16000)  # z-normalised audio has unit variance
    with torch.no_grad():
        return float(model.trm1.feature_extractor(wav).std())


def test_kaiming_init_keeps_the_cnn_output_at_unit_scale():
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2FeatureEncoder

    from vgprobe.fastvgs.trm1 import hf_wav2vec2_config

    cfg, _, _ = resolve_config("tiny", None)
    torch.manual_seed(0)
    model = FaSTVGS(cfg)
    assert 0.1 < cnn_output_std(model) < 10
    # PyTorch's default conv init shrinks the signal layer after layer: far below the LayerNorm eps scale
    model.trm1.feature_extractor = Wav2Vec2FeatureEncoder(hf_wav2vec2_config(cfg))
    assert cnn_output_std(model) < 1e-2


def test_init_touches_only_the_cnn():
    torch.manual_seed(0)
    model = FaSTVGS(FaSTVGSConfig.from_dict({**resolve_config("tiny", None)[0].to_dict()}))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    init_cnn_like_fairseq(model)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith("trm1.feature_extractor.") and k.endswith("conv.weight") for k in changed)


def test_max_seconds_stops_after_the_step_that_reaches_it_then_validates(corpus, recipe, tmp_path):
    train(recipe, corpus, tmp_path / "run", max_steps=5, max_seconds=0.0, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["step"]) for r in rows] == [("val", 1)]
    assert rows[0]["time_s"] > 0
    assert load_state(tmp_path / "run")["step"] == 1
