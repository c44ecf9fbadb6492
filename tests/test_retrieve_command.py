"""`vgprobe retrieve` evaluates a checkpoint as its run validated it: the audio length, K_c and corpus layout
recorded with the checkpoint are the defaults, so the command reproduces the numbers its run reported."""

import json

import torch

import vgprobe.fastvgs as fv
from vgprobe.cli import main
from vgprobe.train import train
from vgprobe.train.evaluate import AUTHORS_EVAL, evaluate_retrieval, recorded_eval_settings


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_defaults_are_the_settings_the_run_recorded(corpus, recipe, tmp_path, capsys):
    best = train(recipe, corpus, tmp_path / "run", max_steps=2, progress=False)
    settings, source = recorded_eval_settings(best)
    assert settings == {"seconds": 0.5, "kc": 2, "dataset": "spokencoco"} and "config.json" in source
    assert main(["retrieve", "--checkpoint", str(best), "--data", str(corpus), "--split", "test", "--json"]) == 0
    res = _json(capsys)
    want = evaluate_retrieval(fv.load(best), corpus, "test", modes=("coarse", "ctf"), kc=2, seconds=0.5)
    assert res["kc"] == 2
    for key in ("coarse.speech_to_image.R@1", "ctf.speech_to_image.R@5", "ctf.image_to_speech.R@10"):
        assert res[key] == want[key], key
    # an explicit flag wins over the recorded value
    assert main(["retrieve", "--checkpoint", str(best), "--data", str(corpus), "--split", "test", "--kc", "3",
                 "--json"]) == 0
    assert _json(capsys)["kc"] == 3


def test_random_init_baseline_is_a_checkpoint_too(corpus, recipe, capsys):
    argv = ["retrieve", "--checkpoint", f"random:{recipe}", "--seed", "5", "--data", str(corpus), "--split",
            "test", "--seconds", "0.5", "--kc", "2", "--json"]
    assert main(argv) == 0
    res = _json(capsys)
    torch.manual_seed(5)
    model = fv.FaSTVGS(fv.preset(recipe)).eval()
    want = evaluate_retrieval(model, corpus, "test", modes=("coarse", "ctf"), kc=2, seconds=0.5)
    assert res["ctf.speech_to_image.R@1"] == want["ctf.speech_to_image.R@1"]
    assert res["coarse.image_to_speech.R@5"] == want["coarse.image_to_speech.R@5"]


def test_folders_without_a_record_get_the_authors_evaluation(authors_checkpoint, tmp_path):
    settings, source = recorded_eval_settings(authors_checkpoint)
    assert settings["kc"] == AUTHORS_EVAL["kc"] and settings["dataset"] == "spokencoco"
    assert settings["seconds"] == 10.0 and "args.pkl" in source  # the authors' val_audio_feat_len
    assert recorded_eval_settings(tmp_path / "nowhere") == (AUTHORS_EVAL, "the authors' evaluation defaults")
