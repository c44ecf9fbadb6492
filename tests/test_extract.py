"""`vgprobe extract`: ZR2021 submission folders of named layers, equal to the model on each file alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

import vgprobe.fastvgs as fv
from vgprobe.cli import main
from vgprobe.errors import ConfigError, InputError
from vgprobe.extract import ExtractConfig, extract
from vgprobe.extract.sources import list_sources, parse_shard, plan_batches, shard


@pytest.fixture(scope="module")
def zr_set(tmp_path_factory) -> Path:
    from vgprobe.synth import build_zr2021

    return build_zr2021(tmp_path_factory.mktemp("zr") / "zr2021", speakers=2, sentences=3, seed=0,
                        semantic_voices=2, semantic_sentences=8, pairs_per_dataset=20)


def write_wavs(folder: Path, lengths: list[int], *, seed: int = 0, rate: int = 16000) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for i, n in enumerate(lengths):
        p = folder / f"utt{i:03d}.wav"
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, (0.1 * rng.standard_normal(n)).astype(np.float32), rate, subtype="FLOAT")
        paths.append(p)
    return paths


def run_extract(**kw) -> object:
    base = dict(checkpoint="random:tiny", layers=("trm1.6", "trm2.1"))
    base.update(kw)
    return extract(ExtractConfig(**base), log=lambda m: None)


# --------------------------------------------------------------------------- acceptance (authors' outputs)
def test_extraction_of_the_fixture_equals_the_authors_layer_outputs(authors_checkpoint, fastvgs_fixture_dir, tmp_path):
    """The issue's acceptance check: float WAVs of the fixture's waveforms, its weights as an authors' folder."""
    inputs = np.load(fastvgs_fixture_dir / "inputs.npz")
    expected = np.load(fastvgs_fixture_dir / "expected.npz")
    (tmp_path / "wavs").mkdir()
    for i in range(2):
        sf.write(tmp_path / "wavs" / f"wav{i}.wav", inputs[f"wav_{i}"], 16000, subtype="FLOAT")
    layers = tuple(f"trm1.{k}" for k in range(1, 9)) + ("trm2.1",)
    res = run_extract(checkpoint=str(authors_checkpoint), data=tmp_path / "wavs", out=tmp_path / "out", layers=layers)
    assert res.n_computed == 2
    for i in range(2):
        for k in range(8):
            got = np.load(tmp_path / "out" / f"trm1.{k + 1}" / f"wav{i}.npy")
            np.testing.assert_allclose(got, expected[f"wav{i}/trm1_layer{k}_frames"], rtol=0, atol=2e-4)
        # trm2.1: the frames the authors' own mask keeps (wav0: 4 of 5 Conv2 frames: the authors' length rule int(T / round(T / T_res)), model/README.md)
        n = int(expected[f"wav{i}/trm2_nframes"])
        got = np.load(tmp_path / "out" / "trm2.1" / f"wav{i}.npy")
        np.testing.assert_allclose(got, expected[f"wav{i}/trm2_seq"][1 : n + 1], rtol=0, atol=2e-4)
    meta = yaml.safe_load((tmp_path / "out" / "trm2.1" / "meta.yaml").read_text())
    assert meta["parameters"]["phonetic"]["frame_shift"] == pytest.approx(0.32)
    assert meta["vgprobe"]["settings"]["model"].startswith("FaST-VGS (authors checkpoint)")


# --------------------------------------------------------------------------- exactness of batching
def test_batched_features_equal_each_file_run_alone_unpadded(tmp_path):
    write_wavs(tmp_path / "wavs", [16000, 5000, 27000, 401, 12345])
    big = run_extract(data=tmp_path / "wavs", out=tmp_path / "batched", batch_seconds=1000.0,
                      layers=("cnn", "trm1.0", "trm1.6", "conv2", "trm2.1", "audio.coarse"))
    assert big.n_computed == 5
    torch.manual_seed(0)
    model = fv.FaSTVGS(fv.preset("tiny")).eval()  # random:tiny with seed 0
    from vgprobe.audio import read_audio, znorm

    for wav in sorted((tmp_path / "wavs").iterdir()):
        x = torch.from_numpy(znorm(read_audio(wav).samples))[None]
        with torch.no_grad():
            alone = model.audio_layers(x)
        for name in ("cnn", "trm1.0", "trm1.6", "conv2", "trm2.1", "audio.coarse"):
            want = alone[name][0]
            if name in alone.masks:
                want = want[~alone.masks[name][0]]
            got = np.load(tmp_path / "batched" / name / f"{wav.stem}.npy")
            np.testing.assert_allclose(got, np.atleast_2d(want.numpy()), rtol=0, atol=1e-5, err_msg=f"{wav.stem} {name}")


def test_batch_plan_depends_only_on_lengths():
    lengths = [5, 30, 30, 10, 1]
    plan = plan_batches([n * 16000 for n in lengths], 40)
    assert sorted(i for b in plan for i in b) == [0, 1, 2, 3, 4]
    assert plan[0] == [1]  # the longest first; 2 x 30 s exceeds 40 s of padded audio
    assert plan_batches([n * 16000 for n in lengths], 40) == plan


# --------------------------------------------------------------------------- layout, formats, metadata
def test_zr2021_layout_and_meta(zr_set, tmp_path):
    res = run_extract(data=zr_set, out=tmp_path / "out")
    for layer, shift in (("trm1.6", 0.02), ("trm2.1", 0.32)):
        root = tmp_path / "out" / layer
        meta = yaml.safe_load((root / "meta.yaml").read_text())
        assert meta["parameters"]["phonetic"]["frame_shift"] == pytest.approx(shift)
        s = meta["vgprobe"]["settings"]
        assert s["layer"] == layer and s["checkpoint"] == "random:tiny" and len(s["model_sha256"]) == 64
        for sub in ("phonetic/dev-clean", "phonetic/dev-other", "semantic/dev/synthetic", "semantic/dev/librispeech"):
            wavs = sorted(p.stem for p in (zr_set / sub).glob("*.wav"))
            feats = sorted(p.stem for p in (root / sub).glob("*.npy"))
            assert feats == wavs and wavs, sub
    arr = np.load(next((tmp_path / "out" / "trm1.6" / "phonetic" / "dev-clean").glob("*.npy")))
    assert arr.dtype == np.float32 and arr.ndim == 2 and arr.shape[1] == 64
    assert res.n_computed == res.n_files and not res.skipped
    assert json.loads((tmp_path / "out" / ".vgprobe-last.json").read_text())["layers"] == ["trm1.6", "trm2.1"]


def test_task_and_split_select_the_parts(zr_set, tmp_path):
    run_extract(data=zr_set, out=tmp_path / "out", task="phonetic", layers=("trm1.6",))
    assert (tmp_path / "out" / "trm1.6" / "phonetic").is_dir()
    assert not (tmp_path / "out" / "trm1.6" / "semantic").exists()
    with pytest.raises(InputError, match="split 'test'"):
        run_extract(data=zr_set, out=tmp_path / "out2", split="test")


def test_txt_format_round_trips_the_float32_values(tmp_path):
    write_wavs(tmp_path / "wavs", [9000, 7000])
    run_extract(data=tmp_path / "wavs", out=tmp_path / "npy")
    run_extract(data=tmp_path / "wavs", out=tmp_path / "txt", fmt="txt")
    for p in (tmp_path / "npy" / "trm1.6").glob("*.npy"):
        txt = np.loadtxt(tmp_path / "txt" / "trm1.6" / f"{p.stem}.txt", dtype=np.float32, ndmin=2)
        np.testing.assert_array_equal(txt, np.load(p))


def test_any_folder_of_wavs_is_mirrored(tmp_path):
    write_wavs(tmp_path / "wavs" / "a" / "b", [5000])
    write_wavs(tmp_path / "wavs" / "c", [6000])
    run_extract(data=tmp_path / "wavs", out=tmp_path / "out", layers=("trm1.2",))
    got = sorted(p.relative_to(tmp_path / "out" / "trm1.2").as_posix() for p in (tmp_path / "out").rglob("*.npy"))
    assert got == ["a/b/utt000.npy", "c/utt000.npy"]


# --------------------------------------------------------------------------- resume, overwrite, shards
def test_rerun_skips_complete_files_and_redoes_missing_or_truncated_ones(tmp_path):
    write_wavs(tmp_path / "wavs", [8000, 9000, 10000, 11000])
    first = run_extract(data=tmp_path / "wavs", out=tmp_path / "out", batch_seconds=1.0)
    snapshot = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*.npy")}
    (tmp_path / "out" / "trm1.6" / "utt001.npy").unlink()
    bad = tmp_path / "out" / "trm2.1" / "utt002.npy"
    bad.write_bytes(bad.read_bytes()[:100])  # a truncated file is not "finished"
    again = run_extract(data=tmp_path / "wavs", out=tmp_path / "out", batch_seconds=1.0)
    assert first.n_computed == 4 and again.n_computed == 2 and again.n_reused == 2
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*.npy")} == snapshot


def test_other_settings_into_the_same_folder_are_refused_unless_overwrite(tmp_path):
    write_wavs(tmp_path / "wavs", [8000])
    run_extract(data=tmp_path / "wavs", out=tmp_path / "out")
    with pytest.raises(ConfigError, match="model_sha256"):
        run_extract(data=tmp_path / "wavs", out=tmp_path / "out", seed=1)
    res = run_extract(data=tmp_path / "wavs", out=tmp_path / "out", seed=1, overwrite=True)
    assert res.n_computed == 1  # the old files cannot be trusted: --overwrite recomputes them


def test_shards_are_disjoint_and_cover_everything(tmp_path):
    write_wavs(tmp_path / "wavs", [5000 + 100 * i for i in range(7)])
    srcs = list_sources(tmp_path / "wavs")
    parts = [shard(srcs, i, 3) for i in range(3)]
    assert sorted(s.rel for p in parts for s in p) == sorted(s.rel for s in srcs)
    assert sum(len(p) for p in parts) == len(srcs)
    for i in range(3):
        run_extract(data=tmp_path / "wavs", out=tmp_path / "out", shard=(i, 3), layers=("trm1.1",))
    assert len(list((tmp_path / "out" / "trm1.1").glob("*.npy"))) == 7
    assert parse_shard(None, {"RANK": "1", "WORLD_SIZE": "4"}) == (1, 4)
    assert parse_shard("2/3", {}) == (2, 3)
    with pytest.raises(ConfigError):
        parse_shard("3/3", {})


# --------------------------------------------------------------------------- bad audio
def test_stereo_is_an_error_unless_mixed_to_mono(tmp_path):
    (tmp_path / "wavs").mkdir()
    sf.write(tmp_path / "wavs" / "st.wav", np.zeros((8000, 2), np.float32) + 0.1, 16000)
    with pytest.raises(InputError, match=r"st.wav: 2 channels.*--mix-to-mono"):
        run_extract(data=tmp_path / "wavs", out=tmp_path / "out")
    sf.write(tmp_path / "wavs" / "st.wav", np.random.default_rng(0).standard_normal((8000, 2)).astype(np.float32), 16000)
    assert run_extract(data=tmp_path / "wavs", out=tmp_path / "out", mix_to_mono=True).n_computed == 1


def test_bad_files_fail_the_run_or_are_skipped_and_listed(tmp_path):
    write_wavs(tmp_path / "wavs", [8000, 8000])
    sf.write(tmp_path / "wavs" / "short.wav", np.ones(300, np.float32), 16000)
    sf.write(tmp_path / "wavs" / "nan.wav", np.full(8000, np.nan, np.float32), 16000, subtype="FLOAT")
    (tmp_path / "wavs" / "broken.wav").write_bytes(b"RIFF....not audio")
    with pytest.raises(InputError, match="broken.wav: cannot read audio"):
        run_extract(data=tmp_path / "wavs", out=tmp_path / "out")
    res = run_extract(data=tmp_path / "wavs", out=tmp_path / "out", on_error="skip")
    assert res.exit_code == 3 and res.n_computed == 2
    listed = (tmp_path / "out" / "skipped.tsv").read_text().splitlines()
    assert listed[0] == "file\treason" and len(listed) == 4
    assert any("short.wav" in line and "at least 400" in line for line in listed)
    assert any("nan.wav" in line and "NaN" in line for line in listed)
    assert sorted(p.stem for p in (tmp_path / "out" / "trm1.6").glob("*.npy")) == ["utt000", "utt001"]


def test_other_sample_rates_are_resampled_with_a_warning(tmp_path):
    write_wavs(tmp_path / "wavs", [8000], rate=8000)
    messages = []
    res = extract(ExtractConfig(checkpoint="random:tiny", data=tmp_path / "wavs", out=tmp_path / "out",
                                layers=("trm1.1",)), log=messages.append)
    assert res.resampled and "utt000.wav" in messages[0] and "resampled" in messages[0]
    assert np.load(tmp_path / "out" / "trm1.1" / "utt000.npy").shape[0] == 49  # 16000 samples after resampling


def test_unknown_layers_list_the_model_layers(tmp_path):
    write_wavs(tmp_path / "wavs", [8000])
    with pytest.raises(ConfigError, match=r"unknown layer 'hidden.3'.*trm1.6"):
        run_extract(data=tmp_path / "wavs", out=tmp_path / "out", layers=("hidden.3",))


# --------------------------------------------------------------------------- Hugging Face encoders
@pytest.mark.parametrize("family", ["wav2vec2", "hubert", "wavlm"])
def test_hugging_face_encoder_layers_equal_hidden_states(tmp_path, family):
    import transformers

    config_cls, model_cls = {
        "wav2vec2": (transformers.Wav2Vec2Config, transformers.Wav2Vec2Model),
        "hubert": (transformers.HubertConfig, transformers.HubertModel),
        "wavlm": (transformers.WavLMConfig, transformers.WavLMModel),
    }[family]
    cfg = config_cls(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                     conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    model = model_cls(cfg).eval()
    model.save_pretrained(tmp_path / "hf")
    fe = transformers.Wav2Vec2FeatureExtractor(do_normalize=family != "hubert")
    fe.save_pretrained(tmp_path / "hf")
    paths = write_wavs(tmp_path / "wavs", [7000, 12000])
    run_extract(checkpoint=str(tmp_path / "hf"), data=tmp_path / "wavs", out=tmp_path / "out", layers=("all",))
    for p in paths:
        x = fe(sf.read(p, dtype="float32")[0], sampling_rate=16000, return_tensors="pt").input_values
        with torch.no_grad():
            hs = model(x, output_hidden_states=True).hidden_states
        for k in range(3):
            np.testing.assert_allclose(np.load(tmp_path / "out" / f"hidden.{k}" / f"{p.stem}.npy"), hs[k][0].numpy(),
                                       rtol=0, atol=1e-5)
    meta = yaml.safe_load((tmp_path / "out" / "hidden.1" / "meta.yaml").read_text())
    assert meta["parameters"]["phonetic"]["frame_shift"] == pytest.approx(0.02)
    normalise = "true" if family != "hubert" else "false"
    assert f"do_normalize={normalise}" in meta["vgprobe"]["settings"]["normalisation"]


def test_a_hugging_face_folder_without_its_feature_extractor_settings_is_refused(tmp_path):
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    Wav2Vec2Model(Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                                 conv_dim=(32,) * 7, num_conv_pos_embeddings=16,
                                 num_conv_pos_embedding_groups=2)).save_pretrained(tmp_path / "hf")
    write_wavs(tmp_path / "wavs", [7000])
    from vgprobe.errors import CheckpointError

    with pytest.raises(CheckpointError, match="preprocessor_config.json"):
        run_extract(checkpoint=str(tmp_path / "hf"), data=tmp_path / "wavs", out=tmp_path / "out", layers=("all",))


# --------------------------------------------------------------------------- CLI and project configuration
def test_the_card_command_works_with_a_project_configuration(zr_set, tmp_path, monkeypatch, capsys):
    (tmp_path / "vgprobe.toml").write_text(
        f'[vgprobe]\ncheckpoint = "random:tiny"\ndata = "{zr_set}"\nout = "feats"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for k in ("VGPROBE_CHECKPOINT", "VGPROBE_DATA", "VGPROBE_OUT", "VGPROBE_SPLIT", "VGPROBE_CONFIG"):
        monkeypatch.delenv(k, raising=False)
    assert main(["extract", "--layer", "trm1.6", "--split", "dev", "--task", "phonetic"]) == 0
    err = capsys.readouterr().err
    assert "vgprobe.toml" in err
    assert any((tmp_path / "feats" / "trm1.6" / "phonetic" / "dev-clean").glob("*.npy"))
    monkeypatch.setenv("VGPROBE_OUT", str(tmp_path / "env-out"))
    assert main(["extract", "--layer", "trm1.1", "--task", "phonetic", "--no-progress"]) == 0
    assert (tmp_path / "env-out" / "trm1.1").is_dir()
    assert main(["extract", "--layer", "trm1.1", "--task", "phonetic", "--out", str(tmp_path / "flag-out")]) == 0
    assert (tmp_path / "flag-out" / "trm1.1").is_dir()


def test_missing_configuration_says_what_to_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for k in ("VGPROBE_CHECKPOINT", "VGPROBE_DATA", "VGPROBE_OUT", "VGPROBE_CONFIG"):
        monkeypatch.delenv(k, raising=False)
    assert main(["extract", "--layer", "trm1.6"]) == 2
    assert "--checkpoint" in capsys.readouterr().err
