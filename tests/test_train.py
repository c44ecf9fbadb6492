"""Training runs: exact resume (N + resume + N == 2N), run-folder contents and refusals, the CLI end to end."""

import json

import pytest
import torch
from safetensors.torch import load_file

import vgprobe.fastvgs as fv
from vgprobe.cli import main
from vgprobe.errors import CheckpointError, ConfigError
from vgprobe.train import train
from vgprobe.train.sampler import EpochSampler

from vgcorpus_data import write_corpus


def weights(folder):
    return load_file(str(folder / "model.safetensors"))


def test_resume_is_exact(corpus, recipe, tmp_path):
    # 8 train images x 2 captions, batch 4: 4 steps per epoch; the resume point (3) is mid-epoch
    straight = train(recipe, corpus, tmp_path / "a", max_steps=6, progress=False)
    train(recipe, corpus, tmp_path / "b", max_steps=3, progress=False)
    train(recipe, corpus, tmp_path / "b", max_steps=6, resume=True, progress=False)
    wa, wb = weights(tmp_path / "a" / "last"), weights(tmp_path / "b" / "last")
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    sa = torch.load(tmp_path / "a" / "last" / "training_state.pt", weights_only=True)
    sb = torch.load(tmp_path / "b" / "last" / "training_state.pt", weights_only=True)
    assert sa["step"] == sb["step"] == 6 and sa["sampler"] == sb["sampler"] == {"epoch": 1, "batch": 2, "n": 16,
                                                                                "batch_size": 4}
    for pa, pb in zip(sa["optimizer"]["state"].values(), sb["optimizer"]["state"].values()):
        assert torch.equal(pa["next_m"], pb["next_m"]) and torch.equal(pa["next_v"], pb["next_v"])
    la = [json.loads(x) for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    lb = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    va = [r["mean_R@1"] for r in la if r["kind"] == "val"]
    vb = [r["mean_R@1"] for r in lb if r["kind"] == "val"]
    assert va[-1] == vb[-1]
    assert straight == tmp_path / "a" / "best"
    # the update changed the weights: the run is not a no-op
    start = fv.FaSTVGS(fv.preset(recipe))
    assert not torch.equal(start.state_dict()["cross.fc.0.weight"], wa["cross.fc.0.weight"])


def test_run_folder_contents(corpus, recipe, tmp_path):
    out = tmp_path / "run"
    best = train(recipe, corpus, out, max_steps=4, progress=False)
    assert {p.name for p in out.iterdir()} == {"run.json", "metrics.jsonl", "last", "best"}
    assert (out / "last" / "training_state.pt").is_file() and not (best / "training_state.pt").exists()
    cfg = json.loads((out / "run.json").read_text())
    assert cfg["train"]["batch_size"] == 4 and cfg["model"]["hidden_size"] == 32
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    vals = [r for r in records if r["kind"] == "val"]
    assert [r["step"] for r in vals] == [2, 4]
    assert {"coarse.speech_to_image.R@1", "ctf.image_to_speech.R@10", "mean_R@1"} <= set(vals[0])
    model = fv.load(best)
    assert model.cfg.hidden_size == 32
    meta = json.loads((best / "config.json").read_text())
    assert meta["val"]["mean_R@1"] == max(r["mean_R@1"] for r in vals)
    # the CNN is frozen: its weights are those of the initial model (the seeded constructor, fairseq's CNN init)
    torch.manual_seed(3)
    init = fv.FaSTVGS(fv.preset(recipe))
    w = weights(out / "last")
    cnn = [k for k in w if "feature_extractor" in k]
    assert cnn and all(torch.equal(w[k], init.state_dict()[k]) for k in cnn)


def test_refusals(corpus, recipe, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(recipe, corpus, out, resume=True, max_steps=1, progress=False)
    train(recipe, corpus, out, max_steps=1, progress=False)
    with pytest.raises(ConfigError, match="already holds a run"):
        train(recipe, corpus, out, max_steps=1, progress=False)
    with pytest.raises(ConfigError, match=r"different configuration \(differs in \['train'\]\)"):
        train(recipe, corpus, out, resume=True, overrides={"lr": 0.5}, max_steps=2, progress=False)
    with pytest.raises(ConfigError, match="unknown train settings"):
        train(recipe, corpus, tmp_path / "x", overrides={"learning_rate": 1.0}, progress=False)
    with pytest.raises(ConfigError, match="fewer than one batch"):
        train(recipe, corpus, tmp_path / "y", overrides={"batch_size": 64}, progress=False)
    with pytest.raises(ConfigError, match="--amp"):
        train(recipe, corpus, tmp_path / "z", amp=True, device="cpu", progress=False)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists() and not (tmp_path / "z").exists()


def test_sampler_covers_each_epoch_once_and_resumes():
    s = EpochSampler(10, 3, seed=0)
    first = s.remaining()
    assert len(first) == 3 and len({i for b in first for i in b}) == 9
    s.advance()
    t = EpochSampler(10, 3, seed=0)
    t.load_state_dict(s.state_dict())
    assert t.remaining() == first[1:]
    for _ in range(2):
        s.advance()
    assert s.state_dict()["epoch"] == 1 and s.remaining() != first


def test_cli_train_then_retrieve(corpus, recipe, tmp_path, capsys):
    out = tmp_path / "cli"
    rc = main(["train", "--recipe", str(recipe), "--data", str(corpus), "--out", str(out), "--max-steps", "2",
               "--no-progress", "--val-every-steps", "5"])
    assert rc == 0 and capsys.readouterr().out.strip() == str(out / "best")
    rc = main(["retrieve", "--checkpoint", str(out / "best"), "--data", str(corpus), "--split", "test",
               "--mode", "coarse,fine,ctf", "--kc", "2", "--seconds", "0.5", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["n_audio"] == 6 and res["n_image"] == 3 and res["kc"] == 2
    assert 0 <= res["ctf.speech_to_image.R@1"] <= 1 and res["fine.seconds_per_query"] > 0
    rc = main(["retrieve", "--checkpoint", str(out / "best"), "--data", str(corpus), "--mode", "exact"])
    assert rc == 2 and "--mode 'exact'" in capsys.readouterr().err


def test_retrieve_reports_recall_for_the_authors_checkpoint(authors_checkpoint, corpus, capsys):
    rc = main(["retrieve", "--checkpoint", str(authors_checkpoint), "--data", str(corpus), "--split", "val",
               "--kc", "2", "--seconds", "0.5"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.splitlines()[0] == "6 captions, 3 images"
    rows = [ln.split() for ln in out.splitlines() if ln.endswith(tuple("0123456789"))]
    assert [r[:2] for r in rows] == [["coarse", "speech_to_image"], ["coarse", "image_to_speech"],
                                     ["ctf", "speech_to_image"], ["ctf", "image_to_speech"]]


def test_fine_checkpoint_trains_the_same_weights(corpus, recipe, tmp_path, monkeypatch):
    """Recomputing the fine pass in backward changes memory, not numbers: bit-identical weights."""
    plain = tmp_path / "plain"
    train(recipe, corpus, plain, overrides={"pairs_per_chunk": 3}, max_steps=2, progress=False)
    calls = []
    original = torch.utils.checkpoint.checkpoint

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.utils.checkpoint, "checkpoint", counting)
    saved = tmp_path / "ckpt"
    rc = main(["train", "--recipe", str(recipe), "--data", str(corpus), "--out", str(saved), "--max-steps", "2",
               "--no-progress", "--fine-checkpoint", "--pairs-per-chunk", "3"])
    assert rc == 0 and len(calls) >= 2 * 2  # 2 steps of 4 x 4 pairs in chunks of 3
    run = json.loads((saved / "run.json").read_text())
    assert run["train"]["fine_checkpoint"] is True and run["train"]["pairs_per_chunk"] == 3
    wa, wb = weights(plain / "last"), weights(saved / "last")
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k


def test_audio_outside_the_data_folder_is_found_with_audio_root(recipe, tmp_path, capsys):
    data = write_corpus(tmp_path / "data")
    audio = tmp_path / "audio"
    audio.mkdir()
    (data / "SpokenCOCO" / "wavs").rename(audio / "wavs")
    out = tmp_path / "run"
    rc = main(["train", "--recipe", str(recipe), "--data", str(data), "--out", str(out), "--max-steps", "1",
               "--no-progress"])
    assert rc == 2 and "wav" in capsys.readouterr().err  # every caption's wav is missing under --data
    assert not out.exists()  # the refused start left nothing behind
    rc = main(["train", "--recipe", str(recipe), "--data", str(data), "--audio-root", str(audio / "."), "--out",
               str(out), "--max-steps", "1", "--no-progress"])
    assert rc == 0 and capsys.readouterr().out.strip() == str(out / "best")
    assert json.loads((out / "run.json").read_text())["data"]["audio_root"] == str(audio.resolve())
    rc = main(["retrieve", "--checkpoint", str(out / "best"), "--data", str(data), "--audio-root", str(audio),
               "--split", "test", "--mode", "coarse", "--seconds", "0.5", "--json"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["n_audio"] == 6
