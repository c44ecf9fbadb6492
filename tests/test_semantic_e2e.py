"""End to end on the espeak-synthesised ZR2021 set (``vgprobe synth zr2021``): log-spectrum features of
every semantic wav, scored through the CLI's submission and explicit forms, equal a direct loop
transcription of the sSIMI definition (the docstring of ``vgprobe.zerospeech.semantic``)."""

import csv
import json
import math

import numpy as np
import pytest
import scipy.stats
import soundfile as sf
from scipy.spatial.distance import cdist

from vgprobe.cli import main

pytest.importorskip("espeakng_loader")


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    from vgprobe.synth.zr2021 import build_zr2021

    root = build_zr2021(tmp_path_factory.mktemp("zr") / "zr", speakers=1, sentences=2, semantic_sentences=40,
                        pairs_per_dataset=40, processes=2)
    sub = tmp_path_factory.mktemp("sub")
    for type_ in ("synthetic", "librispeech"):
        out = sub / "semantic" / "dev" / type_
        out.mkdir(parents=True)
        for wav in (root / "semantic" / "dev" / type_).glob("*.wav"):
            x, _ = sf.read(wav)
            n = len(x) // 320
            spectrum = np.abs(np.fft.rfft(x[: n * 320].reshape(n, 320) * np.hanning(320), axis=1))[:, :32]
            np.save(out / f"{wav.stem}.npy", np.log(spectrum**2 + 1e-6).astype(np.float32))
    return root, sub


def loop_transcription(root, sub, pool, metric):
    """The sSIMI definition, one pair at a time: pool, cdist per token pair, spearman per dataset."""
    gold = list(csv.DictReader(open(root / "semantic" / "dev" / "gold.csv")))
    pairs = list(csv.DictReader(open(root / "semantic" / "dev" / "pairs.csv")))
    reduce = {"max": lambda x: x.max(0), "mean": lambda x: x.mean(0), "lastlast": lambda x: x[-2]}[pool]
    vec = {(g["type"], g["filename"]): reduce(np.load(sub / "semantic" / "dev" / g["type"] / f"{g['filename']}.npy").astype(np.float64)) for g in gold}
    groups = {}
    for p in pairs:
        t1 = [g for g in gold if g["type"] == p["type"] and g["word"] == p["word_1"]]
        t2 = [g for g in gold if g["type"] == p["type"] and g["word"] == p["word_2"]]
        ds = [cdist(vec[(p["type"], a["filename"])][None], vec[(p["type"], b["filename"])][None], metric)[0, 0]
              for a in t1 for b in t2 if p["type"] == "librispeech" or a["voice"] == b["voice"]]
        groups.setdefault((p["type"], p["dataset"]), []).append((p, float(np.mean(ds))))
    out = {}
    for (t, d), rows in groups.items():
        rel = [float(p["relatedness"]) if p["relatedness"] else math.nan for p, _ in rows]
        sim = [float(p["similarity"]) if p["similarity"] else math.nan for p, _ in rows]
        human = sim if any(map(math.isnan, rel)) else rel
        out[(t, d)] = 100 * scipy.stats.spearmanr(-np.array(human), [s for _, s in rows])[0]
    return out


@pytest.mark.parametrize("pool, metric", [("max", "cosine"), ("mean", "euclidean"), ("lastlast", "cosine")])
def test_submission_form_equals_the_loop_transcription(sets, pool, metric, capsys):
    root, sub = sets
    assert main(["semantic", "--submission", str(sub), "--data", str(root), "--split", "dev",
                 "--pool", pool, "--metric", metric, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = loop_transcription(root, sub, pool, metric)
    got = {(r["type"], r["dataset"]): r["correlation"] for r in rows if r["dataset"] not in ("mean", "weighted_mean")}
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == pytest.approx(expected[key], abs=1e-9), key


def test_explicit_form_equals_submission_form(sets, capsys):
    root, sub = sets
    data = root / "semantic" / "dev"
    assert main(["semantic", "--features", str(sub / "semantic" / "dev"), "--gold", str(data / "gold.csv"),
                 "--pairs", str(data / "pairs.csv"), "--json"]) == 0
    explicit = capsys.readouterr().out
    assert main(["semantic", "--submission", str(sub), "--data", str(root), "--json"]) == 0
    assert capsys.readouterr().out == explicit
