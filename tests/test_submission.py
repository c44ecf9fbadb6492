"""``vgprobe submission``: folders in the zerospeech-benchmarks 0.9.4 schema, built atomically from layer folders.

The toolkit itself validates these folders in tests/toolkit/run_toolkit_check.sh (its own
venv); here: the layout, the arrays, the declared settings, and every refusal.
"""

import os

import numpy as np
import pytest
import yaml

from toolkit.make_toy_inputs import main as make_toy_inputs
from vgprobe.cli import main
from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech.abx.submission import submission_frame_shift
from vgprobe.zerospeech.features import read_features
from vgprobe.zerospeech.lm.score_file import read_scores
from vgprobe.zerospeech.submission import (
    AbxSettings,
    Authorship,
    SemanticSettings,
    build_abxls_submission,
    build_slm21_submission,
)

WHO = Authorship(authors="Ada Lovelace, Alan Turing", institution="Analytical Engines", train_set="SpokenCOCO")
SEM = SemanticSettings(pool="mean", metric="euclidean")


@pytest.fixture
def toy(tmp_path):
    make_toy_inputs(tmp_path / "in")
    return tmp_path / "in"


def slm21(toy, out, **kw):
    args = dict(features=toy / "layer", data=toy / "data", authorship=WHO, semantic=SEM,
                lexical=toy / "lexical.txt", syntactic=toy / "syntactic.txt")
    return build_slm21_submission(out, **{**args, **kw})


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def test_slm21_holds_float64_copies_of_every_semantic_file_and_normalised_score_files(toy, tmp_path):
    out = slm21(toy, tmp_path / "sub")
    for type_ in ("synthetic", "librispeech"):
        wavs = sorted(p.stem for p in (toy / "data" / "semantic" / "dev" / type_).glob("*.wav"))
        files = sorted((out / "semantic" / "dev" / type_).iterdir())
        assert [p.stem for p in files] == wavs and {p.suffix for p in files} == {".npy"}
        for p in files:
            arr = np.load(p)
            assert arr.dtype == np.float64 and arr.ndim == 2
            np.testing.assert_array_equal(arr, read_features(toy / "layer" / "semantic" / "dev" / type_ / f"{p.stem}.txt"))
    for task in ("lexical", "syntactic"):
        gold = (toy / "data" / task / "dev" / "gold.csv").read_text().splitlines()[1:]
        lines = (out / task / "dev.txt").read_text().splitlines()
        assert [line.split(" ")[0] for line in lines] == [g.split(",")[1] for g in gold]
        given = read_scores(toy / f"{task}.txt")
        assert all(float(line.split(" ")[1]) == given[line.split(" ")[0]][0] for line in lines)
    assert sorted(p.name for p in out.iterdir()) == ["lexical", "meta.yaml", "params.yaml", "semantic", "syntactic"]


def test_slm21_meta_and_params_declare_the_real_settings(toy, tmp_path):
    out = slm21(toy, tmp_path / "sub")
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    assert meta["benchmark_name"] == "sLM21"
    assert meta["publication"] == {"author_label": "Ada Lovelace et al.", "authors": "Ada Lovelace, Alan Turing",
                                   "institution": "Analytical Engines", "publication_year": meta["publication"]["publication_year"]}
    assert meta["model_info"]["train_set"] == "SpokenCOCO" and "layer toy" in meta["model_info"]["system_description"]
    assert meta["author"] == "Ada Lovelace, Alan Turing" and meta["affiliation"] == "Analytical Engines"
    assert meta["parameters"] == {"semantic": {"metric": "euclidean", "pooling": "mean"}}
    assert meta["vgprobe"]["layer"]["model_sha256"] == yaml.safe_load((toy / "layer" / "meta.yaml").read_text())["vgprobe"]["settings"]["model_sha256"]
    assert "username" not in meta and "<" not in (out / "meta.yaml").read_text()
    params = yaml.safe_load((out / "params.yaml").read_text())
    assert params["semantic"]["metric"] == "euclidean" and params["semantic"]["pooling"] == "mean"
    assert params["syntactic"] == {"score_files_type": ".npy"}


def test_txt_features_read_back_exactly(toy, tmp_path):
    out = slm21(toy, tmp_path / "sub", fmt="txt", lexical=None, syntactic=None)
    assert yaml.safe_load((out / "params.yaml").read_text())["syntactic"]["score_files_type"] == ".txt"
    for p in (out / "semantic" / "dev" / "synthetic").iterdir():
        np.testing.assert_array_equal(np.loadtxt(p, ndmin=2),
                                      read_features(toy / "layer" / "semantic" / "dev" / "synthetic" / p.name))
    abx = build_abxls_submission(tmp_path / "abx", features=toy / "layer", data=toy / "data", authorship=WHO, fmt="txt")
    for p in (abx / "dev-clean").iterdir():
        layer = np.load(toy / "layer" / "phonetic" / "dev-clean" / f"{p.stem}.npy")
        np.testing.assert_array_equal(np.loadtxt(p, ndmin=2), layer.astype(np.float64))


def test_abxls_has_the_toolkit_folders_at_its_root_linked_to_the_zr2021_tree(toy, tmp_path):
    abx = AbxSettings(distance="euclidean", speaker_mode="within", context="phoneme-any")
    out = build_abxls_submission(tmp_path / "abx", features=toy / "layer", data=toy / "data", authorship=WHO, abx=abx)
    assert sorted(p.name for p in out.iterdir()) == ["dev-clean", "dev-other", "meta.yaml", "params.yaml", "phonetic"]
    for subset in ("dev-clean", "dev-other"):
        for p in (out / subset).iterdir():
            twin = out / "phonetic" / subset / p.name
            assert os.path.samefile(p, twin) and np.load(p).dtype == np.float64
    params = yaml.safe_load((out / "params.yaml").read_text())
    assert (params["feature_size"], params["distance_mode"], params["speaker_mode"], params["context"]) == (
        0.02, "euclidian", "within", "phoneme-any")
    assert params["cuda"] is False and params["score_file_type"] == ".npy"
    assert submission_frame_shift(out) == 0.02  # what `vgprobe abx --submission` reads


def test_the_command_builds_both_and_reads_the_dataset_from_the_layer_meta(toy, tmp_path, capsys):
    who = ["--authors", "Ada Lovelace", "--institution", "X", "--train-set", "none"]
    assert main(["submission", "sLM21", "--features", str(toy / "layer"), "--out", str(tmp_path / "s"), *who,
                 "--lexical", str(toy / "lexical.txt"), "--gpu-hours", "12.5", "--code-url", "https://example.org/c"]) == 0
    meta = yaml.safe_load((tmp_path / "s" / "meta.yaml").read_text())
    assert meta["publication"]["author_label"] == "Ada Lovelace" and meta["model_info"]["gpu_budget"] == "12.5"
    assert meta["gpu_budget"] == 12.5 and meta["code_url"] == "https://example.org/c"
    assert (tmp_path / "s" / "lexical" / "dev.txt").is_file() and not (tmp_path / "s" / "syntactic").exists()
    assert main(["submission", "abxLS", "--features", str(toy / "layer"), "--out", str(tmp_path / "a"), *who]) == 0
    assert main(["submission", "abxLS", "--features", str(toy / "layer"), "--out", str(tmp_path / "a"), *who]) == 2
    assert "already exists; choose another folder or pass --overwrite" in capsys.readouterr().err


def test_overwrite_replaces_an_existing_folder_whole(toy, tmp_path):
    out = slm21(toy, tmp_path / "sub")
    (out / "stale.txt").write_text("old")
    with pytest.raises(ConfigError, match="already exists"):
        slm21(toy, out)
    slm21(toy, out, overwrite=True, lexical=None)
    assert not (out / "stale.txt").exists() and not (out / "lexical").exists()
    assert leftovers(tmp_path) == []


BAD_META = {
    "not yaml": ("vgprobe:\n  settings: [unclosed\n", r"meta\.yaml:\d: not valid YAML"),
    "no settings": ("author: x\n", r"meta\.yaml: no 'vgprobe: settings:' mapping"),
    "no sha": (None, r"meta\.yaml:3: vgprobe.settings lacks model_sha256"),
    "bad shift": ("frame_shift: 0.02", r"meta\.yaml:\d+: vgprobe.settings.frame_shift must be a positive number"),
}


@pytest.mark.parametrize("case", BAD_META)
def test_a_malformed_layer_meta_yaml_is_refused_naming_file_and_line(toy, tmp_path, case):
    path = toy / "layer" / "meta.yaml"
    text, message = BAD_META[case]
    original = path.read_text()
    if case == "no sha":
        path.write_text("\n".join(line for line in original.splitlines() if "model_sha256" not in line) + "\n")
    elif case == "bad shift":
        path.write_text(original.replace("frame_shift: 0.02", "frame_shift: fast"))
    else:
        path.write_text(text)
    with pytest.raises(InputError, match=message):
        slm21(toy, tmp_path / "sub")
    assert not (tmp_path / "sub").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda toy: __import__("shutil").rmtree(toy / "layer" / "semantic" / "dev" / "librispeech"),
         r"layer/semantic/dev/librispeech: subset folder missing from the layer folder"),
        (lambda toy: __import__("shutil").rmtree(toy / "data" / "semantic" / "dev" / "synthetic"),
         r"data/semantic/dev/synthetic: dataset subset folder not found"),
        (lambda toy: sorted((toy / "layer" / "semantic" / "dev" / "synthetic").iterdir())[3].unlink(),
         r"layer/semantic/dev/synthetic: no feature file for '"),
        (lambda toy: (toy / "lexical.txt").write_text("\n".join((toy / "lexical.txt").read_text().splitlines()[1:])),
         r"lexical\.txt: no score for '.*' \(gold line \d+\)"),
        (lambda toy: (toy / "syntactic.txt").write_text((toy / "syntactic.txt").read_text() + "x1 nan\n"),
         r"syntactic\.txt:\d+: score 'nan' of 'x1' is not a number"),
        (lambda toy: (toy / "syntactic.txt").write_text((toy / "syntactic.txt").read_text() * 2),
         r"syntactic\.txt:\d+: '.*' is listed twice"),
        (lambda toy: np.savetxt(sorted((toy / "layer" / "semantic" / "dev" / "synthetic").iterdir())[3], np.ones((3, 5))),
         r"feature dimension 5; expected 8"),
        (lambda toy: np.savetxt(sorted((toy / "layer" / "semantic" / "dev" / "librispeech").iterdir())[0], np.ones((0, 8))),
         r"the feature matrix has no frames"),
    ],
)
@pytest.mark.filterwarnings("ignore:loadtxt")
def test_bad_inputs_are_refused_and_nothing_is_written(toy, tmp_path, damage, message):
    damage(toy)
    with pytest.raises(InputError, match=message):
        slm21(toy, tmp_path / "sub")
    assert not (tmp_path / "sub").exists() and leftovers(tmp_path) == []


def test_a_one_frame_file_cannot_go_to_txt(toy, tmp_path):
    np.savetxt(sorted((toy / "layer" / "semantic" / "dev" / "synthetic").iterdir())[0], np.ones((1, 8)))
    slm21(toy, tmp_path / "npy")  # fine as .npy: a (1, 8) array
    with pytest.raises(InputError, match=r"1 frame; a one-line \.txt file reads back as a 1-D array"):
        slm21(toy, tmp_path / "txt", fmt="txt")
    assert not (tmp_path / "txt").exists()


@pytest.mark.parametrize(
    "who, sem, message",
    [
        (Authorship(authors=" ", institution="X", train_set="Y"), SEM, "needs authors"),
        (Authorship(authors="A", institution="<required>", train_set="Y"), SEM, "looks like a template value"),
        (WHO, SemanticSettings(pool="mean", metric="wminkowski"), "not one the toolkit accepts"),
        (WHO, SemanticSettings(pool="median", metric="cosine"), "unknown pooling"),
    ],
)
def test_bad_settings_are_config_errors(toy, tmp_path, who, sem, message):
    with pytest.raises(ConfigError, match=message):
        slm21(toy, tmp_path / "sub", authorship=who, semantic=sem)


def test_abxls_needs_a_layer_with_a_time_axis(toy, tmp_path):
    meta = toy / "layer" / "meta.yaml"
    meta.write_text(meta.read_text().replace("frame_shift: 0.02", "frame_shift: null"))
    with pytest.raises(InputError, match="has no frame shift"):
        build_abxls_submission(tmp_path / "abx", features=toy / "layer", data=toy / "data", authorship=WHO)
