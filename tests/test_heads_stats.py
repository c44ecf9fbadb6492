"""Per-head attention statistics: definitions, streaming averages, silence mass, head divergence."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from heads_models import hf_model, image_of, small_fastvgs
from vgprobe.analysis.heads import attention_sites, head_statistics, iter_file_maps, silent_frames, similarity_matrix
from vgprobe.analysis.heads.stats import SiteMap, jsd_rows, row_statistics
from vgprobe.errors import InputError


def trm1_site(model, layer=1):
    return [s for s in attention_sites(model, stacks=["trm1"]) if s.layer == layer][0]


def hand_map(site, rows: list[list[float]], heads: int = 1) -> SiteMap:
    """A map with the same distribution for every head: row i (query token i) is rows[i]."""
    p = torch.tensor(rows, dtype=torch.float32)[None].repeat(heads, 1, 1)
    return SiteMap(site, p, torch.ones(p.shape[1], dtype=torch.bool), torch.ones(p.shape[2], dtype=torch.bool))


def one_hot(n: int, j: int) -> list[float]:
    return [1.0 if k == j else 0.0 for k in range(n)]


def test_uniform_attention_gives_the_analytic_statistics():
    model = small_fastvgs()
    with torch.no_grad():
        for layer in model.trm1.encoder.layers:  # zero queries and keys: every score equal
            for lin in (layer.attention.q_proj, layer.attention.k_proj):
                lin.weight.zero_()
                lin.bias.zero_()
    t = 49  # Conv1 frames of 1 s
    df = head_statistics(model, {"u": torch.randn(16000)}, stacks=["trm1"])
    v = df[df["statistic"] != "jsd_bits"].pivot(index=["layer", "head"], columns="statistic", values="value")
    n_keys = t + 1  # CLS + frames
    assert v["entropy_bits"].to_numpy() == pytest.approx(math.log2(n_keys), rel=1e-5)
    assert v["cls_mass"].to_numpy() == pytest.approx(1 / n_keys, rel=1e-5)
    assert v["self_mass"].to_numpy() == pytest.approx(1 / n_keys, rel=1e-5)
    assert v["max_weight"].to_numpy() == pytest.approx(1 / n_keys, rel=1e-5)
    assert v["neighbour_mass"].to_numpy() == pytest.approx((2 * (t - 2) + 2) / t / n_keys, rel=1e-5)
    frames_mean_dist = sum(abs(i - j) for i in range(t) for j in range(t)) / t / t  # CLS mass left out
    assert v["distance_ms"].to_numpy() == pytest.approx(20 * frames_mean_dist, rel=1e-5)
    assert v["silence_mass"].isna().all()  # no alignments given
    jsd = df[df["statistic"] == "jsd_bits"]["value"].to_numpy()
    assert np.abs(jsd).max() < 1e-6  # identical heads
    assert set(df["n_queries"]) == {t}


def test_hand_made_maps_give_distance_self_and_neighbour_mass():
    site = trm1_site(small_fastvgs())  # 20 ms frames, CLS first
    k = 7  # CLS + 6 frames
    # query frame i (token i + 1) attends frame i - 2 where it exists, else the CLS
    rows = [one_hot(k, 0)] + [one_hot(k, q - 2) if q - 2 >= 1 else one_hot(k, 0) for q in range(1, k)]
    st = row_statistics(hand_map(site, rows))
    assert st["cls_mass"][0].tolist() == [1, 1, 0, 0, 0, 0]
    assert st["self_mass"].abs().max() == 0 and st["neighbour_mass"].abs().max() == 0
    assert st["distance_ms"][0, 2:].tolist() == pytest.approx([40.0] * 4)
    assert st["entropy_bits"].abs().max() == 0 and st["max_weight"].min() == 1
    rows = [one_hot(k, 0)] + [[0.0] * q + [0.5] + [0.0] * (k - q - 1) for q in range(1, k)]
    rows = [[r[j] + (0.5 if j == q + 1 else 0.0) for j in range(k)] if q > 0 else r for q, r in enumerate(rows)]
    st = row_statistics(hand_map(site, rows))  # half on itself, half on the next frame (or on nothing at the end)
    assert st["self_mass"][0].tolist() == [0.5] * 6
    assert st["neighbour_mass"][0].tolist() == [0.5] * 5 + [0.0]
    assert st["entropy_bits"][0, :5].tolist() == pytest.approx([1.0] * 5)


def test_silence_mass_counts_the_weight_on_frames_outside_every_aligned_word():
    site = trm1_site(small_fastvgs())  # frame j centred at 12.5 + 20 j ms
    words = [(0.05, 0.09, "a"), (0.11, 0.13, "b")]
    silent = silent_frames(words, 6, frame_shift=site.frame_shift, first_centre=site.first_centre)
    # centres 12.5, 32.5, 52.5, 72.5, 92.5, 112.5 ms: frames 2, 3 in "a", frame 5 in "b"
    assert silent.tolist() == [True, True, False, False, True, False]
    k = 7
    row = [0.1, 0.2, 0.0, 0.3, 0.0, 0.4, 0.0]  # CLS, then frames 0..5: silent frames 0, 1, 4 get 0.2 + 0 + 0.4
    st = row_statistics(hand_map(site, [one_hot(k, 0)] + [row] * 6), silent)
    assert st["silence_mass"][0].tolist() == pytest.approx([0.6] * 6)


def test_silence_mass_from_an_alignment_file(tmp_path):
    model = small_fastvgs()
    with torch.no_grad():
        for layer in model.trm1.encoder.layers:
            for lin in (layer.attention.q_proj, layer.attention.k_proj):
                lin.weight.zero_()
                lin.bias.zero_()
    path = tmp_path / "words.json"
    path.write_text(json.dumps({"u": [[0.2, 0.6, "cat"]]}))  # 1 s: frames centred in [0.2, 0.6) are speech
    df = head_statistics(model, {"u": torch.randn(16000)}, stacks=["trm1"], alignments=path)
    centres = 0.0125 + 0.02 * np.arange(49)
    n_silent = int(((centres < 0.2) | (centres >= 0.6)).sum())
    got = df[df["statistic"] == "silence_mass"]["value"].to_numpy()
    assert got == pytest.approx(n_silent / 50, rel=1e-5)  # uniform over CLS + 49 frames


def test_alignments_must_cover_every_utterance_and_be_well_formed(tmp_path):
    model = small_fastvgs()
    utts = {"u": torch.randn(8000), "v": torch.randn(8000)}
    with pytest.raises(InputError, match="no entry for 1 utterance"):
        head_statistics(model, utts, stacks=["trm1"], alignments={"u": [(0.0, 0.1, "a")]})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"u": [[0.3, 0.1, "a"]]}))
    with pytest.raises(InputError, match=r"bad.json: 'u' entry 0: expected finite times with 0 <= onset <= offset"):
        head_statistics(model, utts, stacks=["trm1"], alignments=bad)


def test_the_streaming_average_is_the_frame_weighted_average_of_all_rows():
    model = small_fastvgs()
    utts = {"a": torch.randn(8000), "b": torch.randn(20000), "c": torch.randn(33000)}
    words = {"a": [(0.1, 0.3, "x")], "b": [(0.2, 0.9, "y")], "c": [(0.0, 1.0, "z"), (1.5, 2.0, "w")]}
    images = {u: image_of(i) for i, u in enumerate(utts)}
    stacks = ["trm1", "trm2", "image", "cross"]
    df = head_statistics(model, utts, stacks=stacks, alignments=words, images=images)
    # the same maps held all at once: every row of every file in one pool
    pooled: dict = {}
    for utt, maps in iter_file_maps(model, utts, stacks=stacks, images=images):
        for m in maps:
            s = m.site
            silent = None
            if s.keys == "frames":
                silent = silent_frames(words[utt], m.weights.shape[-1] - 1, frame_shift=s.frame_shift,
                                       first_centre=s.first_centre)
            st = row_statistics(m, silent)
            st["jsd"] = jsd_rows(m)
            for name, v in st.items():
                pooled.setdefault((s.stack, s.layer, name), []).append(v)
    for (stack, layer, name), parts in pooled.items():
        full = torch.cat(parts, dim=-1).mean(-1).numpy()
        if name == "jsd":
            got = similarity_matrix(df, stack=stack, layer=layer)
        else:
            sel = df[(df["stack"] == stack) & (df["layer"] == layer) & (df["statistic"] == name)]
            got = sel.sort_values("head")["value"].to_numpy()
        np.testing.assert_allclose(got, full, rtol=1e-10, atol=1e-12, err_msg=f"{stack}.{layer} {name}")
    # frame weighting is not a mean of per-file means
    per_file = [row_statistics(m)["entropy_bits"].mean(-1) for _, maps in
                iter_file_maps(model, utts, stacks=["trm1"]) for m in maps if m.site.layer == 1]
    got = df[(df["stack"] == "trm1") & (df["layer"] == 1) & (df["statistic"] == "entropy_bits")]["value"]
    assert not np.allclose(got.to_numpy(), torch.stack(per_file).mean(0).numpy(), rtol=1e-6)


def test_statistics_that_have_no_meaning_are_nan():
    model = small_fastvgs()
    utts = {"a": torch.randn(20000)}
    df = head_statistics(model, utts, stacks=["image", "cross"], alignments={"a": [(0.1, 0.5, "x")]},
                         images={"a": image_of(0)})
    v = df[df["statistic"] != "jsd_bits"].groupby(["stack", "statistic"])["value"].apply(lambda s: s.isna().all())
    for stack in ("image", "cross.image_self", "cross.audio_to_image"):  # keys are regions: no time, no silence
        assert v[(stack, "distance_ms")] and v[(stack, "neighbour_mass")] and v[(stack, "silence_mass")]
    for stack in ("cross.audio_to_image", "cross.image_to_audio"):  # queries and keys are different tokens
        assert v[(stack, "self_mass")]
    assert not v[("cross.image_to_audio", "silence_mass")]  # image queries over audio frames
    assert not v[("image", "self_mass")] and not v[("cross.audio_self", "distance_ms")]
    hf = head_statistics(hf_model("hubert"), {"a": torch.randn(8000)})
    assert hf[hf["statistic"] == "cls_mass"]["value"].isna().all()
    assert set(hf["stack"]) == {"encoder"} and sorted(set(hf["layer"])) == [1, 2]


def test_head_divergence_is_a_symmetric_bounded_matrix_with_a_zero_diagonal():
    site = trm1_site(small_fastvgs())
    g = torch.Generator().manual_seed(0)
    p = torch.softmax(3 * torch.randn(4, 9, 9, generator=g), dim=-1)
    p[3] = 0
    p[3, torch.arange(9), 0] = 1.0  # head 3: everything on the CLS
    p[2] = p[1]  # head 2 = head 1
    ones = torch.ones(9, dtype=torch.bool)
    m = jsd_rows(SiteMap(site, p, ones, ones)).mean(-1)
    torch.testing.assert_close(m, m.T)
    assert torch.all(torch.diagonal(m) == 0) and float(m[1, 2]) == pytest.approx(0, abs=1e-12)
    assert float(m.min()) >= 0 and float(m.max()) <= 1
    q = torch.zeros(2, 9, 9)
    q[0, :, 1] = 1
    q[1, :, 2] = 1  # disjoint supports: 1 bit
    assert jsd_rows(SiteMap(site, q, ones, ones)).mean(-1)[0, 1].item() == pytest.approx(1.0)
    perm = torch.tensor([2, 0, 3, 1])
    torch.testing.assert_close(jsd_rows(SiteMap(site, p[perm], ones, ones)).mean(-1), m[perm][:, perm])


def test_the_table_is_tidy():
    df = head_statistics(small_fastvgs(), [torch.randn(9000)], stacks=["trm1"], model_name="random")
    assert list(df.columns) == ["model", "stack", "layer", "head", "other_head", "statistic", "value", "n_queries"]
    assert set(df["model"]) == {"random"}
    per_head = df[df["statistic"] != "jsd_bits"]
    assert per_head["other_head"].isna().all() and len(per_head) == 3 * 4 * 7
    assert len(df[df["statistic"] == "jsd_bits"]) == 3 * 4 * 4
    assert similarity_matrix(df, stack="trm1", layer=2).shape == (4, 4)
    assert isinstance(df["other_head"].dtype, pd.Int64Dtype)


def test_a_hugging_face_folder_is_read_through_load_encoder(tmp_path):
    import soundfile as sf

    from vgprobe.analysis.heads import load_utterances
    from vgprobe.extract.encoders import load_encoder

    hf_model("wavlm", tmp_path / "hf")
    rng = np.random.default_rng(0)
    paths = []
    for i, n in enumerate((9000, 14000)):
        paths.append(tmp_path / f"w{i}.wav")
        sf.write(paths[-1], (0.1 * rng.standard_normal(n)).astype(np.float32), 16000)
    enc = load_encoder(str(tmp_path / "hf"))
    utts = load_utterances(enc, paths)
    assert list(utts) == ["w0", "w1"] and abs(float(utts["w1"].std()) - 1) < 1e-3  # the folder's normalisation
    df = head_statistics(enc, utts, model_name="wavlm")
    assert sorted(set(df["layer"])) == [1, 2] and set(df["n_queries"]) == {27 + 43}
