"""Head ablation: what masking a head may change, the cached runner, and the scored table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from heads_models import hf_model, image_of, small_fastvgs
from vgprobe.analysis.heads import ablate, ablate_heads, head_mask, rank_ablations
from vgprobe.analysis.heads.data import AblationSets, PhoneticSubset, RetrievalSet, SemanticSet, load_ablation_sets
from vgprobe.train.data import retrieval_batch
from vgprobe.analysis.heads.runner import MemorySink, Runner, check_ablations
from vgprobe.errors import ConfigError

ALL_AUDIO = ["cnn", "trm1.0", "trm1.1", "trm1.2", "trm1.3", "conv2", "trm2.1", "audio.coarse"]


def audio_outputs(model, wav):
    with torch.no_grad():
        return model.audio_layers(wav, layers=ALL_AUDIO)


def test_ablating_a_head_changes_only_the_layers_at_and_above_it():
    model = small_fastvgs()
    wav = torch.randn(2, 24000)
    stock = audio_outputs(model, wav)
    with ablate(model, [("trm1", 2, 1)]):
        out = audio_outputs(model, wav)
    for name in ("cnn", "trm1.0", "trm1.1"):
        assert torch.equal(out[name], stock[name]), name  # bit-identical below
    for name in ("trm1.2", "trm1.3", "conv2", "trm2.1", "audio.coarse"):
        assert not torch.allclose(out[name], stock[name], atol=1e-4), name
    feats, boxes = image_of(0)
    with torch.no_grad():
        x0 = model.image_trm[0](model.roi(feats[None], boxes[None]).new_zeros(1, 7, 32))[0]  # any input
        with ablate(model, [("image", 2, 0)]):
            same = model.image_trm[0](model.roi(feats[None], boxes[None]).new_zeros(1, 7, 32))[0]
            img = model.encode_image(feats[None], boxes[None])
        stock_img = model.encode_image(feats[None], boxes[None])
    assert torch.equal(x0, same) and not torch.allclose(img.coarse, stock_img.coarse, atol=1e-4)


def test_an_empty_ablation_list_gives_the_stock_output():
    model = small_fastvgs()
    wav = torch.randn(1, 20000)
    feats, boxes = image_of(3)
    with torch.no_grad():
        stock = audio_outputs(model, wav)
        score = model.fine_scores(wav, None, feats[None], boxes[None])
        with ablate(model, []):
            out = audio_outputs(model, wav)
            assert torch.equal(model.fine_scores(wav, None, feats[None], boxes[None]), score)
    for name in ALL_AUDIO:
        assert torch.equal(out[name], stock[name]), name


def test_ablating_every_head_of_a_layer_removes_the_attention_contribution():
    """With all heads off, attention adds only its output bias: trm1.k = LN2(h + FFN(h)), h = LN1(x + b_out)."""
    model = small_fastvgs()
    wav = torch.randn(1, 16000)
    with torch.no_grad(), ablate(model, [("trm1", 2, h) for h in range(4)]):
        out = model.trm1(wav, keep=frozenset({"trm1.1", "trm1.2"}), upto=2)
    layer = model.trm1.encoder.layers[1]
    with torch.no_grad():
        h = layer.layer_norm(out["trm1.1"] + layer.attention.out_proj.bias)
        expected = layer.final_layer_norm(h + layer.feed_forward(h))
    torch.testing.assert_close(out["trm1.2"], expected, atol=1e-6, rtol=0)
    # the same for a BERT layer: the context is zero, so the dense output is its bias
    x = torch.randn(1, 5, 32)
    lay = model.trm2[0]
    with torch.no_grad(), ablate(model, [("trm2", 1, h) for h in range(4)]):
        y = lay(x, None)[0]
    with torch.no_grad():
        a = lay.attention.output.LayerNorm(x + lay.attention.output.dense.bias)
        torch.testing.assert_close(y, lay.output(lay.intermediate(a), a), atol=1e-6, rtol=0)


def test_cross_encoder_heads_can_be_masked_and_leave_the_first_layer_alone():
    model = small_fastvgs()
    wav = torch.randn(1, 30000)
    feats, boxes = image_of(1)
    with torch.no_grad():
        audio, image = model.encode_audio(wav), model.encode_image(feats[None], boxes[None])
        _, stock = model.cross(audio.seq, audio.additive_mask, image.seq, return_layers=True)
        for stack in ("cross", "cross.audio_self", "cross.image_self"):
            with ablate(model, [(stack, 2, 1)]):
                _, got = model.cross(audio.seq, audio.additive_mask, image.seq, return_layers=True)
            assert torch.equal(got[0][0], stock[0][0]) and torch.equal(got[0][1], stock[0][1])
            side = 1 if stack == "cross.image_self" else 0
            assert not torch.allclose(got[1][side], stock[1][side], atol=1e-4), stack


def test_hugging_face_heads_are_masked_on_wav2vec2_and_refused_on_wavlm():
    model = hf_model("wav2vec2")
    wav = torch.randn(1, 12000)
    with torch.no_grad():
        stock = model(wav, output_hidden_states=True).hidden_states
        with ablate(model, [("encoder", 2, 3)]):
            got = model(wav, output_hidden_states=True).hidden_states
    assert torch.equal(got[1], stock[1]) and not torch.allclose(got[2], stock[2], atol=1e-4)
    with pytest.raises(ConfigError, match="WavLM"):
        with ablate(hf_model("wavlm"), [("encoder", 1, 0)]):
            pass


def test_per_row_masks_switch_off_a_different_head_in_each_batch_row():
    model = small_fastvgs()
    wav = torch.randn(1, 16000)
    keep = torch.ones(3, 4)
    keep[1, 0] = 0
    keep[2, 3] = 0
    with torch.no_grad():
        x = model.trm1(wav, keep=frozenset({"trm1.0"}), upto=0)["trm1.0"].repeat(3, 1, 1)
        layer = model.trm1.encoder.layers[0]
        first = lambda out: out[0] if isinstance(out, tuple) else out  # noqa: E731 - (hidden,) before 5.x
        with head_mask(model, {("trm1", 1): keep}):
            rows = first(layer(x))
        for r, heads in enumerate([[], [0], [3]]):
            with ablate(model, [("trm1", 1, h) for h in heads]):
                torch.testing.assert_close(rows[r : r + 1], first(layer(x[:1])), atol=1e-6, rtol=0)


def test_bad_head_references_are_refused():
    model = small_fastvgs()
    with pytest.raises(ConfigError, match="heads 0..3"):
        ablate(model, [("trm1", 1, 4)])
    with pytest.raises(ConfigError, match="layers 1..3"):
        ablate(model, [("trm1", 4, 0)])
    with pytest.raises(ConfigError, match="one of"):
        check_ablations(model, [[("trm1", 1, 0), ("image", 1, 0)]])


# ------------------------------------------------------------------------ the cached runner
@pytest.fixture(scope="module")
def small_sets():
    """Three phonetic and four semantic waveforms (two share a length), three captions padded to 1.5 s."""
    g = torch.Generator().manual_seed(0)

    def w(n):
        return torch.randn(n, generator=g)

    wav = torch.zeros(3, 24000)
    padding = torch.ones(3, 24000, dtype=torch.bool)
    for i, n in enumerate([24000, 15000, 9000]):
        wav[i, :n] = w(n)
        padding[i, :n] = False
    feats, boxes = zip(*(image_of(i) for i in range(2)))
    return AblationSets(
        phonetic=(PhoneticSubset("dev-clean", None, {"p1": w(12000), "p2": w(17000), "p3": w(12000)}),),
        semantic=SemanticSet(None, None, {"synthetic": {"s1": w(9000), "s2": w(13000)},
                                          "librispeech": {"s3": w(9000)}}),
        retrieval=RetrievalSet(wav, padding, torch.stack(feats), torch.stack(boxes), torch.tensor([0, 1, 1])),
    )


def test_the_runner_computes_what_the_model_computes_under_ablate(small_sets):
    model = small_fastvgs()
    ablations = [(("trm1", 2, 0),), (("trm1", 2, 3), ("trm1", 3, 1)), (("trm2", 1, 2),), (("image", 2, 1),)]
    runner = Runner(model, small_sets, abx_layer=2, semantic_layer="trm2.1", budget=4000, batch_size=2)
    sink = MemorySink()
    runner.baseline_images(sink, 0)
    runner.run([()], sink, first_index=0)
    for i, ab in enumerate(ablations, start=1):
        runner.run([ab], sink, first_index=i)
    r = small_sets.retrieval
    for i, ab in enumerate([(), *ablations]):
        with torch.no_grad(), ablate(model, ab):
            phon = small_sets.phonetic[0].utterances
            ref = model.audio_layers_each(list(phon.values()), ["trm1.2"])
            sem = {f"{t}/{k}": v for t, u in small_sets.semantic.utterances.items() for k, v in u.items()}
            ref_sem = model.audio_layers_each(list(sem.values()), ["trm2.1"])
            audio = model.encode_audio(r.wav, r.padding)
            image = model.encode_image(r.feats, r.boxes)
        stack = ab[0][0] if ab else "trm1"
        if stack == "trm1" and not (ab and ab[0][1] > 2):
            for key, f in zip(phon, ref):
                np.testing.assert_allclose(sink.frames_[i]["phonetic"][f"dev-clean/{key}"], f["trm1.2"], atol=2e-5)
        if stack in ("trm1", "trm2"):
            for key, f in zip(sem, ref_sem):
                np.testing.assert_allclose(sink.frames_[i]["semantic"][key], f["trm2.1"], atol=2e-5)
            np.testing.assert_allclose(sink.coarse_matrix(i, "audio"), audio.coarse, atol=2e-5)
        if stack == "image" or not ab:
            np.testing.assert_allclose(sink.coarse_matrix(i, "image"), image.coarse, atol=2e-5)
    assert "phonetic" not in sink.frames_.get(3, {})  # a Trm2 head cannot change trm1.2: not recomputed


def test_a_tiny_budget_gives_the_same_features_as_one_batch(small_sets):
    model = small_fastvgs()
    ablations = [(("trm1", 1, h),) for h in range(4)]
    out = []
    for budget in (10**9, 1):
        runner = Runner(model, small_sets, abx_layer=3, semantic_layer="trm1.3", budget=budget, batch_size=3)
        sink = MemorySink()
        runner.run(ablations, sink, first_index=0)
        out.append(sink)
    for a in range(4):
        for kind in ("phonetic", "semantic"):
            for key, f in out[0].frames_[a][kind].items():
                np.testing.assert_allclose(out[1].frames_[a][kind][key], f, atol=1e-5)
        np.testing.assert_allclose(out[1].coarse_matrix(a, "audio"), out[0].coarse_matrix(a, "audio"), atol=1e-5)


# ------------------------------------------------------------------------ the scored table
def reduced_semantic(zr, out, *, pairs_per_dataset: int = 10) -> SemanticSet:
    """The first pairs of each (type, dataset) of a ZR2021 semantic set, and the gold tokens of their words."""
    import csv

    from sweep_data import first_pairs

    from vgprobe.analysis.heads.data import load_semantic

    full = load_semantic(zr)
    with open(full.pairs, newline="") as f:
        kept = first_pairs(list(csv.DictReader(f)), pairs_per_dataset)
    words = {(r["type"], w) for r in kept for w in (r["word_1"], r["word_2"])}
    with open(full.gold, newline="") as f:
        gold = [r for r in csv.DictReader(f) if (r["type"], r["word"]) in words]
    out.mkdir(parents=True)
    for name, table in (("pairs.csv", kept), ("gold.csv", gold)):
        with open(out / name, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(table[0]))
            w.writeheader()
            w.writerows(table)
    utts = {t: {g["filename"]: full.utterances[t][g["filename"]] for g in gold if g["type"] == t}
            for t in ("synthetic", "librispeech")}
    return SemanticSet(out / "gold.csv", out / "pairs.csv", utts)


@pytest.fixture(scope="module")
def eval_sets(tmp_path_factory, corpus):
    """A small ZR2021 set (about 20 phonetic files per subset, a reduced semantic set) and the 6 captions of the
    test corpus' val split, cut or padded to 0.5 s."""
    pytest.importorskip("espeakng_loader")
    from dataclasses import replace

    from vgprobe.synth import build_zr2021

    zr = build_zr2021(tmp_path_factory.mktemp("zr") / "zr2021", speakers=2, sentences=10, seed=0,
                      semantic_voices=1, semantic_sentences=6, pairs_per_dataset=20)
    sets = load_ablation_sets(zr_root=zr, retrieval=RetrievalSet(*retrieval_batch(corpus, "val", seconds=0.5)))
    semantic = reduced_semantic(zr, tmp_path_factory.mktemp("semantic") / "dev", pairs_per_dataset=5)
    return zr, replace(sets, semantic=semantic)


def stock_scores(model, zr, sets, tmp, heads=()):
    """ABX (trm1.2), sSIMI (trm2.1, max) and coarse R@1 computed the ordinary way: features of each file alone
    written to folders and scored, captions encoded as a batch and ranked by the retrieval module."""
    from vgprobe.fastvgs.retrieval import retrieve
    from vgprobe.zerospeech.abx.score import score_abx
    from vgprobe.zerospeech.semantic import score_semantic

    out = {}
    with torch.no_grad(), ablate(model, heads):
        for s in sets.phonetic:
            feats = model.audio_layers_each(list(s.utterances.values()), ["trm1.2"])
            (tmp / s.name).mkdir(parents=True)
            for stem, f in zip(s.utterances, feats):
                np.save(tmp / s.name / f"{stem}.npy", f["trm1.2"].numpy())
            for r in score_abx(tmp / s.name, s.item_file, frame_shift=0.02):
                out[f"abx.{s.name}.{r.speaker}"] = 100 * r.score
        for t, utts in sets.semantic.utterances.items():
            (tmp / "semantic" / t).mkdir(parents=True)
            for stem, f in zip(utts, model.audio_layers_each(list(utts.values()), ["trm2.1"])):
                np.save(tmp / "semantic" / t / f"{stem}.npy", f["trm2.1"].numpy())
        for r in score_semantic(tmp / "semantic", sets.semantic.gold, sets.semantic.pairs, pool="max",
                                metric="cosine"):
            if r.dataset == "weighted_mean":
                out[f"ssimi.{r.type}"] = r.correlation
        rs = sets.retrieval
        audio, image = model.encode_audio(rs.wav, rs.padding), model.encode_image(rs.feats, rs.boxes)
        rec = retrieve(model, audio, image, rs.audio_image, modes=("coarse",), ks=(1,))
    out["r1.speech_to_image"] = 100 * rec["coarse.speech_to_image.R@1"]
    out["r1.image_to_speech"] = 100 * rec["coarse.image_to_speech.R@1"]
    return out


def test_ablate_heads_scores_every_head_against_the_stock_scorers(eval_sets, tmp_path):
    zr, sets = eval_sets
    model = small_fastvgs(seed=1, image_feature_dim=2048, num_regions=36)
    heads = [("trm1", 1, 0), ("trm1", 3, 1), ("trm2", 1, 0), ("image", 1, 2), [("trm1", 2, 0), ("trm1", 2, 1)]]
    df = ablate_heads(model, sets, heads=heads, abx_layer="trm1.2", model_name="small", workdir=tmp_path)
    assert list(df.columns) == ["model", "ablation", "stack", "layer", "head", "metric", "baseline", "ablated",
                                "delta", "harm", "affected"]
    assert list(dict.fromkeys(df["ablation"])) == ["trm1.1:0", "trm1.2:0+trm1.2:1", "trm1.3:1", "trm2.1:0",
                                                   "image.1:2"]
    base = stock_scores(model, zr, sets, tmp_path / "base")
    for metric, v in base.items():
        assert df.attrs["baseline"][metric] == pytest.approx(v, abs=1e-9), metric
    assert df.attrs["baseline"]["abx"] == pytest.approx(np.mean([v for k, v in base.items() if k.startswith("abx.")]))
    one = df[df["ablation"] == "trm1.1:0"].set_index("metric")
    for metric, v in stock_scores(model, zr, sets, tmp_path / "one", [("trm1", 1, 0)]).items():
        assert one.loc[metric, "ablated"] == pytest.approx(v, abs=1e-9), metric
    assert one["affected"].all()
    # a metric reading no layer at or above the ablated head keeps its baseline, flagged unaffected
    unaffected = {"trm1.3:1": "abx", "trm2.1:0": "abx", "image.1:2": "abx|ssimi"}
    for label, families in unaffected.items():
        part = df[(df["ablation"] == label) & df["metric"].str.match(families)]
        assert len(part) and not part["affected"].any() and (part["ablated"] == part["baseline"]).all()
        assert df[(df["ablation"] == label) & df["metric"].str.startswith("r1")]["affected"].all()
    assert df[df["ablation"] == "trm1.2:0+trm1.2:1"]["head"].isna().all()
    ab = df[df["metric"].str.startswith("abx")]
    np.testing.assert_allclose(ab["harm"], ab["delta"])  # error: up is worse
    r1 = df[df["metric"] == "r1"]
    np.testing.assert_allclose(r1["harm"], -r1["delta"])
    ranked = rank_ablations(df, "r1")
    assert list(ranked["harm"]) == sorted(ranked["harm"], reverse=True)
    assert df.attrs["seconds"] > 0


def test_ablate_heads_refuses_what_it_cannot_score(small_sets):
    with pytest.raises(ConfigError, match="FaST-VGS"):
        ablate_heads(hf_model("wav2vec2"), small_sets)
    for layer in ("trm2.1", "trm1.0"):  # trm1.0 lies below every attention layer: no head can change it
        with pytest.raises(ConfigError, match="abx_layer must be a Trm1 layer"):
            ablate_heads(small_fastvgs(), small_sets, abx_layer=layer, heads=[("trm1", 1, 0)])
    with pytest.raises(ConfigError, match="cross-encoder heads"):
        ablate_heads(small_fastvgs(), small_sets, heads=[("cross", 1, 0)], abx_layer="trm1.2")
    from dataclasses import replace

    with pytest.raises(ConfigError, match="no retrieval set"):
        ablate_heads(small_fastvgs(), replace(small_sets, retrieval=None), heads=[("image", 1, 0)], abx_layer="trm1.2")
