"""`vgprobe sweep`: every layer of a checkpoint, its random twin and log-mel, scored and reported, from a cache.

Most tests read one sweep (the session fixture ``sweep_run`` in conftest.py: the tiny recipe at a seeded random
init as the checkpoint, layers trm1.1, trm1.6 and the coarse trm2.1, on a small synthetic ZR2021 set).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from vgprobe.analysis.layer_sweep import (
    ABX_COLUMNS,
    BEST_COLUMNS,
    FEATURE_COLUMNS,
    MEASURE_COLUMNS,
    PROBE_COLUMNS,
    SEMANTIC_COLUMNS,
    read_sweep,
)
from vgprobe.cli import main
from vgprobe.errors import ConfigError, InputError
from vgprobe.pipelines.cache import entry_for
from vgprobe.pipelines.sweep import SweepConfig, sweep

LAYERS = ("trm1.1", "trm1.6", "trm2.1")
PAIRS = {(m, layer) for m in ("trained", "random") for layer in LAYERS} | {("logmel", "logmel")}


def feature_mtimes(root: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*.npy")}


def sweep_interrupted_while_extracting(cfg: SweepConfig, monkeypatch: pytest.MonkeyPatch, *, after: int) -> None:
    """Run ``cfg``'s sweep, interrupted (KeyboardInterrupt) when it writes its ``after + 1``-th feature file."""
    import vgprobe.extract.run as extract_run

    write, calls = extract_run.write_features, []

    def dies_after_some_writes(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        write(*args, **kwargs)

    monkeypatch.setattr(extract_run, "write_features", dies_after_some_writes)
    with pytest.raises(KeyboardInterrupt):
        sweep(cfg, log=lambda _: None)
    monkeypatch.setattr(extract_run, "write_features", write)


# ---------------------------------------------------------------------------- the report
def test_the_report_folder_holds_every_documented_file_and_column(sweep_run):
    names = {p.name for p in sweep_run.out.iterdir()}
    assert names == {"report.md", "abx.csv", "semantic.csv", "probes.csv", "measures.csv", "best_layers.csv",
                     "features.csv", "abx.png", "semantic.png", "probes.png", "commands.sh", "sweep.json"}
    for name, columns in (("abx", ABX_COLUMNS), ("semantic", SEMANTIC_COLUMNS), ("probes", PROBE_COLUMNS),
                          ("measures", MEASURE_COLUMNS), ("best_layers", BEST_COLUMNS), ("features", FEATURE_COLUMNS)):
        assert tuple(pd.read_csv(sweep_run.out / f"{name}.csv").columns) == columns, name
    for png in ("abx.png", "semantic.png", "probes.png"):
        data = (sweep_run.out / png).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000, png
    assert not [p for p in sweep_run.out.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_every_model_and_layer_appears_in_every_table(sweep_run):
    t = read_sweep(sweep_run.out)
    for name in ("abx", "semantic", "probes", "features"):
        df = getattr(t, name)
        assert set(zip(df["model"], df["layer"])) == PAIRS, name
    conditions = sorted((s, m) for s in ("dev-clean", "dev-other") for m in ("within", "across"))
    for key, g in t.abx.groupby(["model", "layer"]):
        assert sorted(zip(g["subset"], g["speaker"])) == conditions, key
    pools = t.semantic.groupby(["model", "layer"])["pool"].agg(lambda p: sorted(set(p)))
    assert all(v == ["max", "mean"] for v in pools)
    subsets = set(zip(t.probes["target"], t.probes["subset"]))
    assert subsets == {("phone", "dev-clean"), ("phone", "dev-other"), ("word", "synthetic"),
                       ("word", "librispeech"), ("word", "dev-clean")}


def test_the_random_baseline_has_the_checkpoints_architecture(sweep_run):
    models = {m["label"]: m for m in read_sweep(sweep_run.out).meta["models"]}
    assert models["random"]["checkpoint"] == "random:tiny"  # the checkpoint's config is the tiny recipe's
    assert models["random"]["layers"] == models["trained"]["layers"] == list(LAYERS)
    assert models["random"]["fingerprint"] != models["trained"]["fingerprint"]
    entry = Path(read_sweep(sweep_run.out).meta["entries"]["random"])
    meta = yaml.safe_load((entry / "trm1.6" / "meta.yaml").read_text())
    assert meta["vgprobe"]["settings"]["checkpoint"] == "random:tiny"
    assert "seed 0" in meta["vgprobe"]["settings"]["model"]


def test_coarse_layers_are_reported_as_not_scorable_with_the_reason(sweep_run):
    t = read_sweep(sweep_run.out)
    coarse = t.abx[t.abx["layer"] == "trm2.1"]
    assert len(coarse) == 2 * 4 and (coarse["status"] == "not scorable").all() and coarse["score"].isna().all()
    assert all("trm2.1" in r and "0.32 s" in r for r in coarse["reason"])
    fine = t.abx[t.abx["layer"] != "trm2.1"]
    assert (fine["status"] == "scored").all() and fine["score"].between(0, 0.6).all()
    phones = t.probes[(t.probes["layer"] == "trm2.1") & (t.probes["target"] == "phone")]
    aligned = t.probes[(t.probes["layer"] == "trm2.1") & (t.probes["subset"] == "dev-clean")
                       & (t.probes["target"] == "word")]
    assert len(phones) and (phones["status"] == "not scorable").all()
    assert len(aligned) and (aligned["status"] == "not scorable").all()
    whole_files = t.probes[(t.probes["layer"] == "trm2.1") & t.probes["subset"].isin(["synthetic", "librispeech"])]
    assert "not scorable" not in set(whole_files["status"])  # sSIMI tokens are whole files: any frame rate
    m = t.measures[(t.measures["family"] == "abx") & (t.measures["layer"] == "trm2.1")]
    assert len(m) == 2 * 4 and m["value"].isna().all()  # in the long table too, as n/a rather than missing
    report = (sweep_run.out / "report.md").read_text()
    assert "## Layers not scored" in report and "frame shift of 0.32 s" in report


def test_measures_that_cannot_run_on_small_data_are_listed_as_failed_with_the_message(sweep_run):
    t = read_sweep(sweep_run.out)
    failed = pd.concat([t.abx[t.abx["status"] == "failed"], t.probes[t.probes["status"] == "failed"]])
    assert len(failed)  # a handful of LibriSpeech word tokens: too few for a probe's training folds
    for reason in set(failed["reason"]):
        assert f"): {reason}" in sweep_run.log  # warned on stderr as well
    assert set(t.abx["status"]) <= {"scored", "not scorable"}


def test_the_summary_names_the_best_layer_per_measure_next_to_the_papers_choice(sweep_run):
    t = read_sweep(sweep_run.out)
    best = t.best_layers.set_index(["measure", "model"])
    for measure in ("abx.within.dev-clean", "abx.across.dev-other"):
        values = t.measures[(t.measures["measure"] == measure) & (t.measures["model"] == "trained")]
        values = values.dropna(subset=["value"]).set_index("layer")["value"]
        row = best.loc[(measure, "trained")]
        assert row["best_layer"] == values.idxmin() and row["best_value"] == pytest.approx(values.min())
        assert row["paper_layer"] == "trm1.6" and row["paper_value"] == pytest.approx(values["trm1.6"])
        assert row["difference"] == pytest.approx(values.min() - values["trm1.6"])
        assert row["paper_rank"] == 1 + int((values < values["trm1.6"]).sum())
    ssimi = best.loc[("ssimi.max.synthetic", "trained")]
    assert ssimi["paper_layer"] == "trm2.1" and ssimi["n_layers"] == 3
    assert ("abx.within.dev-clean", "logmel") not in best.index  # one layer: nothing to choose
    report = (sweep_run.out / "report.md").read_text()
    assert "## Summary: best layer per measure" in report
    assert "the paper's `trm1.6` is the best layer of this checkpoint in" in report
    assert "the paper's `trm2.1` with max pooling" in report


def test_log_mel_separates_the_synthetic_phones_and_the_noisy_subset_is_harder(sweep_run):
    # Chance is 50 %; the realistic synthetic dev-other adds noise, reverberation and more speaker spread.
    abx = read_sweep(sweep_run.out).abx
    logmel = abx[(abx["model"] == "logmel") & (abx["speaker"] == "within")].set_index("subset")["score"]
    assert logmel["dev-clean"] < 0.20 and logmel["dev-other"] < 0.35, logmel
    assert logmel["dev-clean"] < logmel["dev-other"], logmel


def test_the_commands_script_reproduces_the_abx_numbers_per_layer(sweep_run, capsys):
    import json
    import shlex

    lines = [shlex.split(x) for x in (sweep_run.out / "commands.sh").read_text().splitlines()
             if x.startswith("vgprobe abx") and x.split()[3].endswith("/trm1.6")]
    trained_root = read_sweep(sweep_run.out).meta["entries"]["trained"]
    (argv,) = [a for a in lines if a[3].startswith(trained_root)]
    assert main([*argv[1:], "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    abx = read_sweep(sweep_run.out).abx
    ours = abx[(abx["model"] == "trained") & (abx["layer"] == "trm1.6")].set_index(["subset", "speaker"])["score"]
    for r in rows:
        assert ours[(r["subset"], r["speaker"])] == pytest.approx(r["score"], abs=1e-12)


# ---------------------------------------------------------------------------- cache
def test_a_second_sweep_computes_nothing(sweep_run, tmp_path):
    before = feature_mtimes(sweep_run.cache)
    inputs = sweep_run.inputs
    result = sweep(SweepConfig(checkpoint=str(inputs.checkpoint), data=inputs.zr, out=tmp_path / "again",
                               cache=sweep_run.cache, layers=LAYERS, alignments=(("dev-clean", inputs.alignments),),
                               progress="off"), log=lambda _: None)
    n_files = int(read_sweep(sweep_run.out).features["n_files"].iloc[0])
    assert result.extracted == {"trained": (0, n_files), "random": (0, n_files), "logmel": (0, n_files)}
    assert result.scores_computed == 0 and result.scores_reused == 7 * 4  # abx, sSIMI max and mean, probes
    assert feature_mtimes(sweep_run.cache) == before
    for name in ("abx", "semantic", "probes"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / f"{name}.csv"),
                                      pd.read_csv(sweep_run.out / f"{name}.csv"))


def test_an_interrupted_sweep_resumes_where_it_stopped(sweep_inputs, tmp_path, monkeypatch):
    import vgprobe.pipelines.sweep_scoring as scoring

    cfg = SweepConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out", cache=tmp_path / "cache",
                      layers=("trm1.2", "trm1.6"), baselines=(), measures=("abx",), progress="off")
    sweep_interrupted_while_extracting(cfg, monkeypatch, after=20)
    assert not cfg.out.exists()

    abx_rows, scored = scoring.abx_rows, []

    def dies_on_the_second_layer(*args, **kwargs):
        if scored:
            raise KeyboardInterrupt
        scored.append(kwargs["layer"])
        return abx_rows(*args, **kwargs)

    monkeypatch.setattr(scoring, "abx_rows", dies_on_the_second_layer)
    with pytest.raises(KeyboardInterrupt):
        sweep(cfg, log=lambda _: None)
    assert not cfg.out.exists()
    monkeypatch.setattr(scoring, "abx_rows", abx_rows)

    result = sweep(cfg, log=lambda _: None)
    n_phonetic = len(list((sweep_inputs.zr / "phonetic").rglob("*.wav")))
    assert result.extracted == {"trained": (0, n_phonetic)}  # extracted by the second run, which resumed
    assert result.scores_computed == 1 and result.scores_reused == 1  # the first layer's scores were kept
    assert set(result.tables["abx"]["layer"]) == {"trm1.2", "trm1.6"}


def test_the_second_run_after_an_interrupted_extraction_computes_only_the_missing_files(sweep_inputs, tmp_path,
                                                                                         monkeypatch):
    cfg = SweepConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out", cache=tmp_path / "cache",
                      layers=("trm1.6",), baselines=(), measures=("abx",), progress="off")
    sweep_interrupted_while_extracting(cfg, monkeypatch, after=10)
    result = sweep(cfg, log=lambda _: None)
    n_phonetic = len(list((sweep_inputs.zr / "phonetic").rglob("*.wav")))
    computed, reused = result.extracted["trained"]
    assert reused == 10 and computed == n_phonetic - 10


def test_cache_entries_are_keyed_by_model_data_and_settings(tmp_path):
    identity = {"model_sha256": "ab" * 32, "model": "m", "checkpoint": "x", "data": "/d", "data_digest": "1",
                "split": "dev", "format": "npy", "dtype": "float32"}
    root = entry_for(tmp_path, model_sha256="ab" * 32, identity=identity).root
    assert root.parent == tmp_path / ("ab" * 8) and root.name.startswith("dev-")
    moved = entry_for(tmp_path, model_sha256="ab" * 32, identity={**identity, "checkpoint": "elsewhere"}).root
    assert moved == root  # the same weights found at another path share the entry
    for key, value in (("data_digest", "2"), ("data", "/e"), ("dtype", "bfloat16"), ("split", "test")):
        assert entry_for(tmp_path, model_sha256="ab" * 32, identity={**identity, key: value}).root != root, key


def test_a_layer_is_a_cache_hit_only_while_its_files_are_all_there(tmp_path):
    identity = {"model_sha256": "cd" * 32, "model": "m", "checkpoint": "x", "data": "/d", "data_digest": "1",
                "split": "dev", "format": "npy", "dtype": "float32"}
    entry = entry_for(tmp_path, model_sha256="cd" * 32, identity=identity)
    for i in range(3):
        path = entry.root / "trm1.6" / "phonetic" / "dev-clean" / f"f{i}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, np.zeros((2, 3), np.float32))
    assert entry.complete_layers(["trm1.6"], {"phonetic": 3}) == []  # not recorded yet
    entry.record({"trm1.6": {"frame_shift": 0.02, "dim": 3}}, {"phonetic": 3})
    assert entry.complete_layers(["trm1.6", "trm1.1"], {"phonetic": 3}) == ["trm1.6"]
    assert entry.complete_layers(["trm1.6"], {"phonetic": 3, "semantic": 2}) == []  # semantic never extracted
    assert entry.complete_layers(["trm1.6"], {"phonetic": 4}) == []  # the dataset grew
    path.unlink()
    assert entry.complete_layers(["trm1.6"], {"phonetic": 3}) == []


# ---------------------------------------------------------------------------- twins
def test_a_checkpoint_of_no_recipe_gets_its_twin_written_into_the_cache(tmp_path):
    import dataclasses

    import torch

    import vgprobe.fastvgs as fv
    from vgprobe.pipelines.sweep_models import resolve_models

    cfg = dataclasses.replace(fv.preset("tiny"), trm1_layers=2, dropout=0.3)
    torch.manual_seed(7)
    fv.save(fv.FaSTVGS(cfg), tmp_path / "ckpt")
    models = resolve_models(str(tmp_path / "ckpt"), layers=("all",), baselines=("random",), seed=5,
                            cache=tmp_path / "cache", log=lambda _: None)
    twin = models[1]
    assert Path(twin.checkpoint).parent == tmp_path / "cache" / "models"
    assert twin.layers == ("cnn", "trm1.0", "trm1.1", "trm1.2", "conv2", "trm2.1")
    torch.manual_seed(5)
    expected = fv.FaSTVGS(cfg).state_dict()
    got = fv.load(twin.checkpoint).state_dict()
    assert all(torch.equal(got[k], v) for k, v in expected.items())
    stamp = (Path(twin.checkpoint) / "model.safetensors").stat().st_mtime_ns
    again = resolve_models(str(tmp_path / "ckpt"), layers=("all",), baselines=("random",), seed=5,
                           cache=tmp_path / "cache", log=lambda _: None)[1]
    assert again.checkpoint == twin.checkpoint
    assert (Path(twin.checkpoint) / "model.safetensors").stat().st_mtime_ns == stamp


def test_dropout_rates_do_not_make_another_architecture(tmp_path):
    import dataclasses

    import vgprobe.fastvgs as fv
    from vgprobe.pipelines.sweep_models import resolve_models

    fv.save(fv.FaSTVGS(dataclasses.replace(fv.preset("tiny"), dropout=0.2, bert_dropout=0.1)), tmp_path / "ckpt")
    models = resolve_models(str(tmp_path / "ckpt"), layers=("trm1.6",), baselines=("random",), seed=0,
                            cache=tmp_path / "cache", log=lambda _: None)
    assert models[1].checkpoint == "random:tiny" and not (tmp_path / "cache").exists()


def test_a_hugging_face_encoder_gets_a_twin_built_from_its_config(tmp_path):
    import torch
    import transformers

    from vgprobe.pipelines.sweep_models import resolve_models

    cfg = transformers.Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                      intermediate_size=64, conv_dim=(32,) * 7, num_conv_pos_embeddings=16,
                                      num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    transformers.Wav2Vec2Model(cfg).save_pretrained(tmp_path / "hf")
    transformers.Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(tmp_path / "hf")
    models = resolve_models(str(tmp_path / "hf"), layers=("all",), baselines=("random", "logmel"), seed=3,
                            cache=tmp_path / "cache", log=lambda _: None)
    assert [m.label for m in models] == ["trained", "random", "logmel"]
    twin = Path(models[1].checkpoint)
    assert twin.parent == tmp_path / "cache" / "models"
    assert (twin / "preprocessor_config.json").read_text() == (tmp_path / "hf" / "preprocessor_config.json").read_text()
    assert models[1].layers == ("hidden.0", "hidden.1", "hidden.2")
    torch.manual_seed(3)
    expected = transformers.AutoModel.from_config(cfg).state_dict()
    got = transformers.AutoModel.from_pretrained(twin).state_dict()
    assert all(torch.equal(got[k], v) for k, v in expected.items())


# ---------------------------------------------------------------------------- bad input
@pytest.fixture()
def cli(sweep_inputs, tmp_path, capsys):
    def run(*extra: str, data: Path | None = None) -> tuple[int, str]:
        argv = ["sweep", "--checkpoint", str(sweep_inputs.checkpoint), "--data", str(data or sweep_inputs.zr),
                "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--no-progress", *extra]
        code = main(argv)
        return code, capsys.readouterr().err

    return run


def test_a_missing_data_root_is_a_clear_error_and_writes_nothing(cli, tmp_path):
    code, err = cli(data=tmp_path / "nowhere")
    assert code == 2 and f"{tmp_path / 'nowhere'}: the data folder does not exist" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_an_unknown_layer_is_a_clear_error_and_writes_nothing(cli, tmp_path):
    code, err = cli("--layers", "trm1.6,trm9.9")
    assert code == 2 and "unknown layer 'trm9.9'" in err and "trm1.8" in err  # lists the model's layers
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize("extra, message", [
    (("--probes", "abx,pca"), "unknown measures ['pca']"),
    (("--baselines", "random,mfcc"), "unknown baselines ['mfcc']"),
    (("--alignments", "dev-x=words.json"), "'dev-x' is not a phonetic subset"),
    (("--alignments", "dev-clean"), "expected SUBSET=JSON"),
    (("--pools", "median"), "median"),
])
def test_bad_settings_are_clear_errors_and_write_nothing(cli, tmp_path, extra, message):
    code, err = cli(*extra)
    assert code == 2 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_dataset_without_item_files_is_refused_before_any_work(cli, sweep_inputs, tmp_path):
    import shutil

    data = tmp_path / "zr"
    shutil.copytree(sweep_inputs.zr, data)
    (data / "phonetic" / "dev-other" / "dev-other.item").unlink()
    code, err = cli(data=data)
    assert code == 2 and "no triphone item file for dev-other" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_an_occupied_output_folder_is_never_replaced(cli, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    code, err = cli()
    assert code == 2 and "not an earlier sweep's output" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_the_cache_may_not_live_inside_the_output_folder(sweep_inputs, tmp_path):
    cfg = SweepConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out",
                      cache=tmp_path / "out" / "cache")
    with pytest.raises(ConfigError, match="lies inside the output folder"):
        sweep(cfg, log=lambda _: None)


def test_a_folder_of_wavs_that_is_no_zerospeech_root_is_refused(sweep_inputs, tmp_path):
    cfg = SweepConfig(checkpoint="random:tiny", data=sweep_inputs.zr / "phonetic", out=tmp_path / "out",
                      cache=tmp_path / "cache")
    with pytest.raises(InputError, match="not a ZeroSpeech 2021 dataset root"):
        sweep(cfg, log=lambda _: None)


def test_the_default_cache_follows_the_environment(tmp_path):
    from vgprobe.pipelines.cache import default_cache_dir

    assert default_cache_dir({"VGPROBE_CACHE": str(tmp_path)}) == tmp_path
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "vgprobe"
    assert default_cache_dir({}) == Path.home() / ".cache" / "vgprobe"


def test_progress_lines_name_every_stage(sweep_run):
    for stage in ("[1/4] models:", "[2/4] extract:", "[3/4] score:", "[4/4] report:"):
        assert stage in sweep_run.log


def test_a_cache_disk_without_room_for_the_features_is_refused_before_extracting(sweep_inputs, tmp_path, monkeypatch):
    import shutil
    from types import SimpleNamespace

    monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(total=10**6, used=10**6 - 1000, free=1000))
    cfg = SweepConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out", cache=tmp_path / "cache",
                      layers=("trm1.6",), baselines=(), measures=("abx",), progress="off")
    with pytest.raises(ConfigError, match=r"the features need about 0\.0 GB but .* has 0\.0 GB free"):
        sweep(cfg, log=lambda _: None)
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
