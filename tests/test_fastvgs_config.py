"""Recipes: the paper runs and the tiny CPU recipe."""

from __future__ import annotations

import re

import pytest

import vgprobe.fastvgs as fv
from vgprobe.errors import ConfigError
from vgprobe.fastvgs.checkpoint import config_from_authors_args
from vgprobe.fastvgs.config import load_recipe
from vgprobe.fastvgs.safe_pickle import load_args_pickle
from vgprobe.train import resolve_config


def test_the_coco_recipe_builds_what_the_authors_args_build(fastvgs_fixture_dir):
    args = load_args_pickle(fastvgs_fixture_dir / "args.pkl")
    assert fv.preset("fastvgs-coco") == config_from_authors_args(args)


@pytest.mark.parametrize("name, batch, train_s, eval_s", [
    ("fastvgs-coco", 64, 8, 10), ("fastvgs-flickr8k", 96, 8, 10), ("fastvgs-places", 48, 18, 25)])
def test_paper_recipes_hold_the_paper_hyper_parameters(name, batch, train_s, eval_s):
    model_cfg, tcfg, _ = resolve_config(name, None)
    assert model_cfg == fv.FaSTVGSConfig()  # the released architecture
    assert (tcfg.batch_size, tcfg.train_audio_seconds, tcfg.eval_audio_seconds) == (batch, train_s, eval_s)
    assert (tcfg.lr, tcfg.epochs, tcfg.warmup_fraction, tcfg.weight_decay) == (1e-4, 20, 0.1, 0.01)
    assert (tcfg.coarse_weight, tcfg.fine_weight, tcfg.margin, tcfg.max_grad_norm) == (0.1, 1.0, 1.0, 1.0)
    assert tcfg.betas == (0.9, 0.999) and tcfg.eps == 1e-6 and not tcfg.train_cnn
    assert load_recipe(name)["train"]["dataset"] in ("spokencoco", "flickr8k", "places")


def test_tiny_keeps_the_architecture_and_the_layer_names():
    cfg = fv.preset("tiny")
    assert cfg.trm1_layers == 8 and cfg.cnn_stride == 320 and cfg.cnn_receptive_field == 400
    assert "trm1.6" in fv.layer_names(cfg) and "trm2.1" in fv.layer_names(cfg)


def test_unknown_recipes_and_keys_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown recipe 'nope'.*tiny"):
        fv.preset("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  hidden_sise: 5\n")
    with pytest.raises(ConfigError, match="hidden_sise"):
        fv.preset(bad)


def test_yaml_numbers_are_typed_and_wrong_types_are_named(tmp_path):
    # PyYAML reads 5e-4 as the string "5e-4": it must still be the float 0.0005, not a string in arithmetic
    recipe = tmp_path / "r.yaml"
    recipe.write_text(load_recipe_text("tiny").replace("lr: 2.0e-4", "lr: 5e-4").replace("initializer_range: 0.07",
                                                                                          "initializer_range: 7e-2"))
    model_cfg, tcfg, _ = resolve_config(recipe, {"batch_size": 16.0})
    assert tcfg.lr == 0.0005 and isinstance(tcfg.lr, float)
    assert model_cfg.initializer_range == 0.07 and tcfg.batch_size == 16 and isinstance(tcfg.batch_size, int)
    for bad, words in [({"lr": "fast"}, "lr must be float, got 'fast'"),
                       ({"batch_size": 1.5}, "batch_size must be int, got 1.5"),
                       ({"train_cnn": "yes"}, "train_cnn must be bool"),
                       ({"epochs": True}, "epochs must be int, got True"),
                       ({"betas": [0.9]}, "betas must be a pair")]:
        with pytest.raises(ConfigError, match=re.escape(words)):
            resolve_config(recipe, bad)


def load_recipe_text(name: str) -> str:
    from vgprobe.fastvgs.config import recipe_path

    return recipe_path(name).read_text()
