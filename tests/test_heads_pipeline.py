"""`vgprobe heads`: the attention-head report of a checkpoint against its random twin, from the CLI.

The inputs are the layer-sweep test set (tests/sweep_data.py): a synthetic ZeroSpeech 2021 root whose phonetic
files carry exact word alignments as TextGrids, and the `tiny` recipe at a seeded random initialisation saved as
a checkpoint folder (its twin is random:tiny with another seed, so the two models differ).
"""

from __future__ import annotations

import contextlib
import io
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from vgprobe.cli import main
from vgprobe.errors import ConfigError, InputError

FILES = 8


@pytest.fixture(scope="module")
def heads_run(sweep_inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("heads") / "report"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["heads", "--checkpoint", str(sweep_inputs.checkpoint), "--data", str(sweep_inputs.zr),
                     "--out", str(out), "--max-files", str(FILES), "--clusters", "12", "--views", "2",
                     "--no-progress"])
    assert code == 0
    return SimpleNamespace(out=out, stderr=err.getvalue(), inputs=sweep_inputs)


def test_the_report_folder_holds_tables_figures_segments_and_commands(heads_run):
    names = {p.name for p in heads_run.out.iterdir()}
    assert {"report.md", "statistics.csv", "wordseg.csv", "ablation.csv", "gold.json", "commands.sh", "heads.json",
            "heads_trm1.png", "heads_trm2.png", "similarity_trm1.png", "wordseg_layers.png", "cls_attention.png",
            "ablation_abx.png", "segments"} <= names
    report = (heads_run.out / "report.md").read_text()
    for heading in ("## 1. Per-head statistics", "## 2. Word discovery from CLS attention", "## 3. Head ablation"):
        assert heading in report
    assert "best trained layer by boundary F1" in report and "best random layer by boundary F1" in report
    meta = json.loads((heads_run.out / "heads.json").read_text())
    assert meta["models"]["random"].startswith("random:tiny") and len(meta["files"]) == FILES


def test_the_files_are_shared_between_the_phonetic_subsets(heads_run):
    files = json.loads((heads_run.out / "heads.json").read_text())["files"]
    assert sum("/dev-clean/" in f for f in files) == sum("/dev-other/" in f for f in files) == FILES // 2


def test_statistics_cover_every_head_of_both_audio_stacks_for_both_models(heads_run):
    import vgprobe.fastvgs as fv

    cfg = fv.preset("tiny")
    stats = pd.read_csv(heads_run.out / "statistics.csv")
    per_head = stats[stats["statistic"] == "entropy_bits"]
    for model in ("trained", "random"):
        part = per_head[per_head["model"] == model]
        assert len(part[part["stack"] == "trm1"]) == cfg.trm1_layers * cfg.trm1_heads
        assert len(part[part["stack"] == "trm2"]) == cfg.trm2_layers * cfg.bert_heads
    silence = stats[stats["statistic"] == "silence_mass"]["value"]
    assert silence.notna().all() and ((silence > 0) & (silence < 1)).all()  # the gold words were used
    a = stats[(stats["model"] == "trained") & (stats["statistic"] == "entropy_bits")]["value"].to_numpy()
    b = stats[(stats["model"] == "random") & (stats["statistic"] == "entropy_bits")]["value"].to_numpy()
    assert not np.allclose(a, b)  # two different models


def test_every_layer_with_a_cls_token_is_segmented_for_both_models(heads_run):
    ws = pd.read_csv(heads_run.out / "wordseg.csv")
    layers = [f"trm1.{k}" for k in range(1, 9)] + ["trm2.1"]
    for model in ("trained", "random"):
        assert ws[ws["model"] == model]["layer"].tolist() == layers
    assert (ws["n_utterances"] == FILES).all() and (ws["n_clusters"] <= 12).all()
    trm1 = ws[ws["layer"].str.startswith("trm1.")]
    assert ((trm1["boundary_precision"] > 0) & (trm1["boundary_precision"] <= 1)).all()


def test_each_wordseg_row_equals_what_analyze_wordseg_computes_from_the_written_files(heads_run, capsys):
    ws = pd.read_csv(heads_run.out / "wordseg.csv").set_index(["model", "layer"])
    for model, layer in (("trained", "trm1.3"), ("random", "trm1.8")):
        base = heads_run.out / "segments" / model / layer
        capsys.readouterr()
        assert main(["analyze", "wordseg", "--gold", str(heads_run.out / "gold.json"), "--pred", f"{base}.json",
                     "--feats", f"{base}.feats.npz", "--json"]) == 0
        r = json.loads(capsys.readouterr().out)
        row = ws.loc[(model, layer)]
        assert row["boundary_f1"] == pytest.approx(r["boundary"]["f1"], abs=1e-12)
        assert row["a_score"] == pytest.approx(r["area"]["a_score"], abs=1e-12)
        assert row["wd"] == r["word"]["wd_count_f1_ge_0.5"]
        assert row["nmi"] == pytest.approx(r["word"]["nmi_all_codes"], abs=1e-12)
    commands = (heads_run.out / "commands.sh").read_text()
    assert "vgprobe analyze wordseg --gold gold.json --pred segments/trained/trm1.3.json" in commands


def test_the_segments_are_those_of_the_single_file_cls_attention_api(heads_run):
    from vgprobe.analysis.heads import cls_attention, load_utterances
    from vgprobe.analysis.segmentation import seconds_per_frame, segment_cls_attention
    from vgprobe.extract.encoders import load_encoder

    files = json.loads((heads_run.out / "heads.json").read_text())["files"]
    enc = load_encoder(str(heads_run.inputs.checkpoint))
    utt = load_utterances(enc, files[:1])
    (stem, wav), = utt.items()
    pred = json.loads((heads_run.out / "segments" / "trained" / "trm1.5.json").read_text())[stem]
    attn = cls_attention(enc, wav, "trm1.5")
    seg = segment_cls_attention(attn, 0.7, seconds_per_frame(len(wav), attn.shape[1]))
    assert pred["segments"] == seg.seconds and pred["spf"] == seg.spf


def test_the_ablation_ranks_every_head_of_trm1_and_trm2_on_abx_and_ssimi(heads_run):
    import vgprobe.fastvgs as fv

    cfg = fv.preset("tiny")
    ab = pd.read_csv(heads_run.out / "ablation.csv")
    n_heads = cfg.trm1_layers * cfg.trm1_heads + cfg.trm2_layers * cfg.bert_heads
    assert ab["ablation"].nunique() == n_heads
    assert {"abx", "ssimi.synthetic", "ssimi.librispeech"} <= set(ab["metric"])
    above = ab[(ab["metric"] == "abx") & (ab["stack"] == "trm1") & (ab["layer"] > 6)]
    assert len(above) and not above["affected"].any() and (above["delta"] == 0).all()
    assert "no image-caption corpus given" in (heads_run.out / "report.md").read_text()


def test_progress_and_stages_are_logged(heads_run):
    stages = [line.split(":")[0] for line in heads_run.stderr.splitlines() if line.startswith("heads [")]
    assert stages == ["heads [1] models", "heads [2] attention of trained", "heads [3] attention of random",
                      "heads [4] ablation", "heads [5] report"]
    assert heads_run.stderr.count("    done in ") >= 5


def test_a_second_run_replaces_the_report_whole(heads_run, sweep_inputs):
    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    (heads_run.out / "stale.txt").write_text("from an older run")
    heads_report(HeadsConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=heads_run.out, max_files=2,
                             ablation=False, views=1, clusters=4), log=lambda m: None)
    assert not (heads_run.out / "stale.txt").exists()
    assert json.loads((heads_run.out / "heads.json").read_text())["models"] == {"trained": "random:tiny"}


def test_a_folder_that_is_no_heads_report_is_refused(sweep_inputs, tmp_path):
    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an earlier heads report"):
        heads_report(HeadsConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path), log=lambda m: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_alignments_missing_an_analysed_file_are_an_error_naming_the_source(sweep_inputs, tmp_path):
    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    gold = tmp_path / "words.json"
    gold.write_text(json.dumps({"someone-else": [[0.1, 0.4, "cat"]]}))
    with pytest.raises(InputError, match=r"words\.json.*no entry for 2 of the 2 files"):
        heads_report(HeadsConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out",
                                 alignments=(gold,), max_files=2), log=lambda m: None)
    assert not (tmp_path / "out").exists()


def test_audio_without_alignments_gets_statistics_and_says_what_is_missing(sweep_inputs, tmp_path):
    import shutil

    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    folder = tmp_path / "wavs"
    folder.mkdir()
    for wav in sorted((sweep_inputs.zr / "phonetic" / "dev-clean").glob("*.wav"))[:2]:
        shutil.copy(wav, folder / wav.name)
    result = heads_report(HeadsConfig(checkpoint="random:tiny", data=folder, out=tmp_path / "out", views=1),
                          log=lambda m: None)
    assert set(result.tables) == {"statistics"}
    report = (tmp_path / "out" / "report.md").read_text()
    assert "no gold word alignments" in report and "not a ZeroSpeech 2021 root" in report


def test_a_hugging_face_encoder_gets_statistics_and_a_note_that_it_has_no_cls(sweep_inputs, tmp_path):
    from heads_models import hf_model

    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    hf_model("wav2vec2", tmp_path / "hf")
    result = heads_report(HeadsConfig(checkpoint=str(tmp_path / "hf"), data=sweep_inputs.zr, out=tmp_path / "out",
                                      max_files=2, cache=tmp_path / "cache"), log=lambda m: None)
    assert set(result.tables) == {"statistics"}
    assert set(result.tables["statistics"]["model"]) == {"trained", "random"}
    assert set(result.tables["statistics"]["stack"]) == {"encoder"}
    assert "no CLS token" in (tmp_path / "out" / "report.md").read_text()


def test_with_a_corpus_the_image_and_cross_heads_are_described_and_ablation_adds_retrieval(sweep_inputs, corpus,
                                                                                           tmp_path):
    out = tmp_path / "report"
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["heads", "--checkpoint", str(sweep_inputs.checkpoint), "--data", str(sweep_inputs.zr),
                     "--out", str(out), "--max-files", "4", "--clusters", "6", "--views", "1", "--corpus", str(corpus),
                     "--seconds", "0.5", "--no-progress"]) == 0
    stats = pd.read_csv(out / "statistics.csv")
    stacks = set(stats["stack"])
    assert {"trm1", "trm2", "image"} <= stacks and any(s.startswith("cross.") for s in stacks)
    image = stats[(stats["stack"] == "image") & (stats["statistic"] == "entropy_bits")]
    assert set(image["model"]) == {"trained", "random"} and (image["n_queries"] > 0).all()
    assert (out / "heads_image.png").is_file()
    ab = pd.read_csv(out / "ablation.csv")
    assert {"r1", "r1.speech_to_image", "r1.image_to_speech"} <= set(ab["metric"])
    assert ab[ab["stack"] == "image"]["ablation"].nunique() == 2 * 4  # tiny: 2 image layers of 4 heads
    assert (out / "ablation_r1.png").is_file()
    assert "image-encoder and cross-encoder heads need" not in (out / "report.md").read_text()


def test_given_centroids_code_a_layer_instead_of_k_means(sweep_inputs, tmp_path):
    from vgprobe.analysis.segmentation import nearest_centroid

    codebook = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    np.save(tmp_path / "c.npy", codebook)
    out = tmp_path / "report"
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["heads", "--checkpoint", "random:tiny", "--data", str(sweep_inputs.zr), "--out", str(out),
                     "--max-files", "2", "--no-ablation", "--views", "1", "--clusters", "5",
                     "--centroids", f"trm1.3={tmp_path / 'c.npy'}"]) == 0
    ws = pd.read_csv(out / "wordseg.csv").set_index("layer")
    assert ws.loc["trm1.3", "n_clusters"] == 3 and ws.loc["trm1.2", "n_clusters"] == 5
    pred = json.loads((out / "segments" / "trained" / "trm1.3.json").read_text())
    feats = np.load(out / "segments" / "trained" / "trm1.3.feats.npz")
    for utt, p in pred.items():
        assert p["codes"] == nearest_centroid(feats[utt], codebook)
    assert "--centroids trm1.3=" in (out / "commands.sh").read_text()


def test_centroids_that_do_not_fit_are_refused_naming_the_file(sweep_inputs, tmp_path):
    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    np.save(tmp_path / "wrong.npy", np.zeros((3, 7), dtype=np.float32))
    with pytest.raises(InputError, match=r"centroids of trm1.3: expected \(K, 64\)"):
        heads_report(HeadsConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out", max_files=2,
                                 ablation=False, centroids=(("trm1.3", tmp_path / "wrong.npy"),)), log=lambda m: None)
    (tmp_path / "obj.npy").write_bytes(b"not numpy")
    with pytest.raises(InputError, match="obj.npy: not a .npy array"):
        heads_report(HeadsConfig(checkpoint="random:tiny", data=sweep_inputs.zr, out=tmp_path / "out", max_files=2,
                                 ablation=False, centroids=(("trm1.3", tmp_path / "obj.npy"),)), log=lambda m: None)
    assert not (tmp_path / "out").exists()
