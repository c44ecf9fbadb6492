"""score_abx / score_abx_submission / ``vgprobe abx``: formats, seeded caps, bad input, outputs."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from vgprobe.cli import main
from vgprobe.errors import InputError
from vgprobe.zerospeech.abx import results_to_frame, score_abx, score_abx_submission
from vgprobe.zerospeech.abx.dataset import NotScorableError
from vgprobe.zerospeech.items import ItemWarning

SET = Path(__file__).parent / "data" / "abx" / "continuous_triphone"
ITEM = SET / "continuous_triphone.item"


def scores(features, item=ITEM, **kw):
    kw.setdefault("frame_shift", 0.02)
    return [(r.speaker, r.context, r.score, r.n_cells) for r in score_abx(features, item, **kw)]


@pytest.fixture(scope="module")
def capped():
    return scores(SET / "features", context_modes=("within", "any"))


def test_defaults_are_the_zr2021_protocol(capped):
    (res,) = score_abx(SET / "features", ITEM, frame_shift=0.02, speaker_modes=("within",))
    assert (res.speaker, res.context, res.distance) == ("within", "within", "cosine")
    assert (res.max_size_group, res.max_x_across, res.slicing) == (10, 5, "librilight")
    assert [s[:2] for s in capped] == [("within", "within"), ("across", "within"), ("within", "any"), ("across", "any")]
    assert all(0.0 <= s[2] <= 1.0 for s in capped)


def test_capped_scores_are_seeded(capped):
    assert scores(SET / "features", context_modes=("within", "any")) == capped
    other = scores(SET / "features", context_modes=("within", "any"), seed=7)
    assert other != capped  # the caps bite on this set: another seed draws other tokens


def test_capped_scores_ignore_file_listing_order_and_item_line_order(tmp_path, capped):
    feats = tmp_path / "features"
    feats.mkdir()
    for path in sorted((SET / "features").iterdir(), reverse=True):  # another creation (listing) order
        shutil.copy(path, feats / path.name)
    lines = ITEM.read_text().splitlines()
    shuffled = tmp_path / "shuffled.item"
    body = lines[1:]
    np.random.default_rng(0).shuffle(body)
    shuffled.write_text("\n".join([lines[0], *body]) + "\n")
    assert scores(feats, shuffled, context_modes=("within", "any")) == capped


def test_npy_pt_and_txt_features_give_the_same_scores(tmp_path, capped):
    pt, txt = tmp_path / "pt", tmp_path / "txt"
    pt.mkdir()
    txt.mkdir()
    for path in (SET / "features").glob("*.npy"):
        x = np.load(path)
        torch.save(torch.from_numpy(x), pt / f"{path.stem}.pt")
        np.savetxt(txt / f"{path.stem}.txt", x.astype(np.float64), fmt="%.9g")  # float32 round-trips in 9 digits
    assert scores(pt, context_modes=("within", "any")) == capped
    # .txt is read as float64 (as Libri-Light does): normalisation rounds differently, scores agree closely
    for ours, ref in zip(scores(txt, context_modes=("within", "any")), capped):
        assert ours[3] == ref[3] and ours[2] == pytest.approx(ref[2], abs=1e-6)


def test_exact_slicing_keeps_one_more_frame(capped):
    exact = score_abx(SET / "features", ITEM, frame_shift=0.02, slicing="exact", speaker_modes=("within",))
    assert exact[0].n_tokens >= score_abx(SET / "features", ITEM, frame_shift=0.02, speaker_modes=("within",))[0].n_tokens
    assert exact[0].score != capped[0][2]


def test_missing_features_list_the_first_stems_and_the_count(tmp_path):
    feats = tmp_path / "features"
    shutil.copytree(SET / "features", feats)
    for stem in ("f000", "f003"):
        (feats / f"{stem}.npy").unlink()
    with pytest.raises(InputError, match=r"no features for 2 of the 24 files .* \(first: f000, f003\)"):
        score_abx(feats, ITEM, frame_shift=0.02)
    with pytest.warns(UserWarning, match="ignoring 2"):
        res = score_abx(feats, ITEM, frame_shift=0.02, ignore_missing=True)
    assert res[0].n_tokens < score_abx(SET / "features", ITEM, frame_shift=0.02)[0].n_tokens


@pytest.mark.parametrize("bad", ["dim", "nan"])
def test_bad_feature_files_are_named(tmp_path, bad):
    feats = tmp_path / "features"
    shutil.copytree(SET / "features", feats)
    x = np.load(feats / "f005.npy")
    np.save(feats / "f005.npy", x[:, :-1] if bad == "dim" else np.where(x > 1, np.nan, x))
    with pytest.raises(InputError, match="f005.npy"):
        score_abx(feats, ITEM, frame_shift=0.02)


def test_a_mode_without_cells_is_an_error_not_nan(tmp_path):
    lines = ITEM.read_text().splitlines()
    one_speaker = tmp_path / "one.item"
    one_speaker.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.endswith(" spk0")]) + "\n")
    with pytest.raises(InputError, match="no ABX cell for speaker=across"):
        score_abx(SET / "features", one_speaker, frame_shift=0.02)


def test_kl_refuses_negative_features():
    with pytest.raises(InputError, match="non-negative"):
        score_abx(SET / "features", ITEM, frame_shift=0.02, distance="kl")


def test_submission_scores_clean_and_other_with_the_frame_shift_of_meta_yaml(tmp_path):
    sub, data = tmp_path / "sub", tmp_path / "zr"
    for subset in ("dev-clean", "dev-other"):
        shutil.copytree(SET / "features", sub / "phonetic" / subset)
        (data / "phonetic" / subset).mkdir(parents=True)
        shutil.copy(ITEM, data / "phonetic" / subset / f"{subset}.item")
    (sub / "meta.yaml").write_text("parameters:\n  phonetic:\n    frame_shift: 0.02\n")
    results = score_abx_submission(sub, data, "dev", speaker_modes=("within",))
    assert [(r.subset, r.frame_shift) for r in results] == [("dev-clean", 0.02), ("dev-other", 0.02)]
    assert results[0].score == results[1].score
    (sub / "meta.yaml").write_text("author: x\n")
    with pytest.raises(InputError, match="frame_shift"):
        score_abx_submission(sub, data, "dev")


def test_cli_json_csv_and_table(tmp_path, capsys):
    out = tmp_path / "abx.csv"
    args = ["abx", "--features", str(SET / "features"), "--item", str(ITEM), "--frame-shift", "0.02",
            "--speaker", "within", "--max-size-group", "none", "--json", "--out", str(out)]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["speaker"], r["context"], r["distance"]) for r in rows] == [("within", "within", "cosine")]
    assert rows[0]["score"] == pytest.approx(0.5112889409065247, abs=1e-6)  # the pinned peer score
    assert rows[0]["max_size_group"] is None and rows[0]["n_cells"] > 0
    frame = __import__("pandas").read_csv(out)
    assert frame["score"].tolist() == pytest.approx([rows[0]["score"]])
    assert main(args[:-3]) == 0
    assert "51.129" in capsys.readouterr().out  # the table prints percentages


def test_cli_errors_are_one_line_exit_2(capsys, tmp_path, monkeypatch):
    assert main(["abx", "--features", str(SET / "features")]) == 2
    assert "--features, --item and --frame-shift go together" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)  # no vgprobe.toml here
    for key in ("VGPROBE_CONFIG", "VGPROBE_OUT", "VGPROBE_DATA", "VGPROBE_CHECKPOINT", "VGPROBE_SPLIT"):
        monkeypatch.delenv(key, raising=False)
    assert main(["abx"]) == 2
    assert "no out given: pass --submission/--features explicitly, or set them in ./vgprobe.toml" in capsys.readouterr().err


def test_results_table_has_one_row_per_mode():
    frame = results_to_frame(score_abx(SET / "features", ITEM, frame_shift=0.02))
    assert list(frame["speaker"]) == ["within", "across"] and "score" in frame.columns


def test_a_missing_submission_folder_is_named_as_missing(tmp_path):
    with pytest.raises(InputError, match=r"nope/trm1.6: the submission folder does not exist"):
        score_abx_submission(tmp_path / "nope" / "trm1.6", tmp_path, "dev")


def coarse_copy(folder: Path, step: int) -> None:
    """The test set's features keeping every ``step``-th frame: frames ``step`` × 20 ms apart."""
    folder.mkdir(parents=True)
    for path in (SET / "features").glob("*.npy"):
        np.save(folder / path.name, np.load(path)[::step])


def test_coarse_frames_make_a_not_scorable_error_naming_shift_and_empty_fraction(tmp_path):
    coarse_copy(tmp_path / "coarse", 16)
    with pytest.raises(NotScorableError, match=r"coarse: not scorable by ABX with frames 320 ms apart: (\d+) of "
                       r"\1 tokens \(100.0 %\) are shorter than one frame"):
        score_abx(tmp_path / "coarse", ITEM, frame_shift=0.32)
    coarse_copy(tmp_path / "coarser", 12)  # 240 ms: a few long tokens survive, too few for a within cell
    with pytest.raises(NotScorableError, match=r"frames 240 ms apart: 663 of 672 tokens \(98.7 %\).*leaving no "
                       r"ABX cell for speaker=within, context=within") as caught:
        score_abx(tmp_path / "coarser", ITEM, frame_shift=0.24)
    assert 0.5 < caught.value.empty_fraction < 1.0


def project_with_layers(tmp_path, monkeypatch, layers: dict[str, tuple[int, float]]) -> None:
    """An extraction output root with one submission folder per layer (features, meta.yaml)."""
    out, data = tmp_path / "out", tmp_path / "zr"
    for subset in ("dev-clean", "dev-other"):
        (data / "phonetic" / subset).mkdir(parents=True)
        shutil.copy(ITEM, data / "phonetic" / subset / f"{subset}.item")
        for layer, (step, shift) in layers.items():
            coarse_copy(out / layer / "phonetic" / subset, step)
            (out / layer / "meta.yaml").write_text(f"parameters:\n  phonetic:\n    frame_shift: {shift}\n")
    (out / ".vgprobe-last.json").write_text(json.dumps({"layers": list(layers), "data": str(data), "split": "dev"}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VGPROBE_OUT", str(out))
    monkeypatch.setenv("VGPROBE_DATA", str(data))
    for key in ("VGPROBE_CONFIG", "VGPROBE_CHECKPOINT", "VGPROBE_SPLIT"):
        monkeypatch.delenv(key, raising=False)


def test_cli_layer_sweep_records_a_coarse_layer_as_not_scorable(tmp_path, monkeypatch, capsys):
    project_with_layers(tmp_path, monkeypatch, {"fine": (1, 0.02), "trm2.1": (16, 0.32)})
    out = tmp_path / "abx.csv"
    assert main(["abx", "--layer", "fine,trm2.1", "--speaker", "within", "--json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "trm2.1: not scorable: layer trm2.1 (" in captured.err and "320 ms apart" in captured.err
    rows = json.loads(captured.out)
    assert [(r["layer"], r.get("status")) for r in rows] == [("fine", None), ("fine", None), ("trm2.1", "not scorable")]
    assert rows[2]["frame_shift"] == 0.32 and rows[2]["empty_fraction"] == 1.0
    frame = __import__("pandas").read_csv(out)
    assert frame["layer"].tolist() == ["fine", "fine", "trm2.1"] and frame["score"].isna().tolist() == [False] * 2 + [True]
    # a sweep where no layer can be scored is an error
    assert main(["abx", "--layer", "trm2.1"]) == 2
    assert "layer trm2.1" in capsys.readouterr().err


def test_results_carry_a_bootstrap_interval_and_counts_in_field_order():
    results = score_abx(SET / "features", ITEM, frame_shift=0.02, max_size_group=None, max_x_across=None)
    frame = results_to_frame(results)
    assert list(frame.columns[:10]) == ["subset", "speaker", "context", "distance", "score", "ci_low", "ci_high",
                                        "n_cells", "n_triplets", "n_speakers"]
    assert list(frame["speaker"]) == ["within", "across"]
    for r in results:
        assert r.ci_low < r.score < r.ci_high and r.n_speakers == 4 and r.n_triplets > r.n_cells > 0
    again = score_abx(SET / "features", ITEM, frame_shift=0.02, max_size_group=None, max_x_across=None)
    assert [(r.ci_low, r.ci_high) for r in again] == [(r.ci_low, r.ci_high) for r in results]  # seeded


def test_cli_refuses_reversed_items_unless_allowed(tmp_path, capsys):
    lines = ITEM.read_text().splitlines()
    stem, onset, offset, *rest = lines[5].split()
    lines[5] = " ".join([stem, offset, onset, *rest])
    item = tmp_path / "reversed.item"
    item.write_text("\n".join(lines) + "\n")
    args = ["abx", "--features", str(SET / "features"), "--item", str(item), "--frame-shift", "0.02"]
    assert main(args) == 2
    assert "reversed.item:6: onset" in capsys.readouterr().err
    with pytest.warns(ItemWarning, match="reversed.item:6"):
        assert main([*args, "--allow-reversed-items"]) == 0


def test_library_layer_sweep_records_a_coarse_layer_as_not_scorable(tmp_path, monkeypatch):
    from vgprobe.analysis.layer_sweep import abx_sweep, plot_abx_sweep

    project_with_layers(tmp_path, monkeypatch, {"fine": (1, 0.02), "trm2.1": (16, 0.32)})
    df = abx_sweep({"m": tmp_path / "out"}, tmp_path / "zr", speaker_modes=("within",))
    assert df["layer"].tolist() == ["fine", "fine", "trm2.1"]
    coarse = df[df["layer"] == "trm2.1"].iloc[0]
    assert coarse["status"] == "not scorable" and coarse["frame_shift"] == 0.32 and coarse["empty_fraction"] == 1.0
    assert "layer trm2.1" in coarse["reason"] and "320 ms" in coarse["reason"]
    assert plot_abx_sweep(df, tmp_path / "sweep.png").stat().st_size > 1000
