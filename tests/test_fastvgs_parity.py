"""FaST-VGS computes what the authors' code computes.

Reference: tests/data/fastvgs_reference (expected.npz was produced by the authors' FaST-VGS-Family
code, commit a1f6aee, with fairseq 0.12.2, on the fixture's recipe weights; its README says how).
The weights are rebuilt from the recipe, written as a released-style folder and loaded through
vgprobe.fastvgs.load. Tolerances are the absolute tolerances per array group that the fixture suggests:
a few times the largest float32-vs-float64 difference of the reference run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

TOL = {
    "front": 5e-5,  # cnn_features, post_extract_proj, pos_conv_out, encoder_input_ln
    "image": 5e-5,
    "coarse_emb": 5e-5,
    "fine_scores": 5e-5,
    "coarse_scores": 1e-4,
    "trm1": 2e-4,
    "trm2": 2e-4,  # conv2_out, trm2_seq, trm2_cls_in
    "cross": 1e-3,  # xtrm_*, fine_cls_concat
}


@pytest.fixture(scope="module")
def arrays(fastvgs_fixture_dir):
    return np.load(fastvgs_fixture_dir / "inputs.npz"), np.load(fastvgs_fixture_dir / "expected.npz")


def close(actual: torch.Tensor, expected: np.ndarray, atol: float, what: str) -> None:
    a = actual.detach().cpu().numpy()
    assert a.shape == expected.shape, f"{what}: shape {a.shape} != {expected.shape}"
    err = float(np.abs(a - expected).max()) if a.size else 0.0
    assert err <= atol, f"{what}: max |diff| {err:.3g} > {atol}"


class Hooks:
    """Records module outputs by name during one forward pass."""

    def __init__(self, modules: dict[str, torch.nn.Module], *, inputs: set[str] = frozenset()):
        self.out: dict[str, torch.Tensor] = {}
        self.handles = []
        for name, m in modules.items():
            if name in inputs:
                fn = lambda mod, args, out, name=name: self.out.__setitem__(name, args[0])  # noqa: E731
            else:
                fn = lambda mod, args, out, name=name: self.out.__setitem__(  # noqa: E731
                    name, out[0] if isinstance(out, tuple) else out
                )
            self.handles.append(m.register_forward_hook(fn))

    def __enter__(self):
        return self.out

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


@pytest.mark.parametrize("i", [0, 1])
def test_unpadded_waveform_matches_every_audio_array(authors_model, arrays, i):
    inputs, exp = arrays
    m = authors_model
    wav = torch.from_numpy(inputs[f"wav_{i}"])[None]
    modules = {
        "post_extract_proj": m.trm1.feature_projection,
        "pos_conv_out": m.trm1.encoder.pos_conv_embed,
        "encoder_input_ln": m.trm1.encoder.layer_norm,
        "trm2_cls_in": m.audio_cls_proj,
    }
    with torch.no_grad(), Hooks(modules) as hooked:
        out = m.audio_layers(wav)  # every layer, one pass
        enc = m.encode_audio(wav)
    p = f"wav{i}/"
    close(out["cnn"][0], exp[p + "cnn_features"], TOL["front"], "cnn")
    for name in ("post_extract_proj", "pos_conv_out", "encoder_input_ln"):
        close(hooked[name][0], exp[p + name], TOL["front"], name)
    close(out["trm1.0"][0], exp[p + "encoder_input_ln"][1:], TOL["front"], "trm1.0")
    for k in range(8):
        close(out[f"trm1.{k + 1}"][0], exp[p + f"trm1_layer{k}_frames"], TOL["trm1"], f"trm1.{k + 1}")
    np.testing.assert_array_equal(out.masks["trm1.6"][0].numpy(), exp[p + "trm1_frame_padding_mask"])
    close(out["conv2"][0], exp[p + "conv2_out"], TOL["trm2"], "conv2")
    close(hooked["trm2_cls_in"][0], exp[p + "trm2_cls_in"], TOL["trm2"], "trm2_cls_in")
    close(enc.seq[0], exp[p + "trm2_seq"], TOL["trm2"], "trm2_seq")
    close(out["trm2.1"][0], exp[p + "trm2_seq"][1:], TOL["trm2"], "trm2.1")
    close(out["audio.coarse"][0], exp[p + "audio_coarse"], TOL["coarse_emb"], "audio_coarse")
    np.testing.assert_array_equal(enc.key_padding[0].numpy(), exp[p + "trm2_key_padding_mask"])
    np.testing.assert_array_equal(enc.additive_mask[0].numpy(), exp[p + "extended_audio_attention_mask"])
    n_valid = int((~out.masks["trm2.1"][0]).sum())
    assert n_valid == int(exp[p + "trm2_nframes"])
    assert int((~out.masks["trm1.1"][0]).sum()) == int(exp[p + "w2v2_nframes"])


def test_image_branch_matches(authors_model, arrays):
    inputs, exp = arrays
    m = authors_model
    feats, boxes = torch.from_numpy(inputs["roi_feats"]), torch.from_numpy(inputs["roi_boxes"])
    modules = {"visn_fc_out": m.roi, **{f"trm_layer{k}": layer for k, layer in enumerate(m.image_trm)}}
    with torch.no_grad(), Hooks(modules) as hooked:
        img = m.encode_image(feats, boxes)
    for name, t in hooked.items():
        close(t, exp[f"img/{name}"], TOL["image"], name)
    close(img.seq, exp["img/visual_seq"], TOL["image"], "visual_seq")
    close(img.coarse, exp["img/visual_coarse"], TOL["coarse_emb"], "visual_coarse")


@pytest.mark.parametrize("batch", ["batch_longest", "batch_val10s"])
def test_padded_batches_match_including_mask_quirks(authors_model, arrays, batch):
    inputs, exp = arrays
    m = authors_model
    wav = torch.from_numpy(inputs[f"{batch}_wav"])
    mask = torch.from_numpy(inputs[f"{batch}_sample_mask"])
    feats, boxes = torch.from_numpy(inputs["roi_feats"]), torch.from_numpy(inputs["roi_boxes"])
    p = f"{batch}/"
    with torch.no_grad(), Hooks({"fine_cls_concat": m.cross.fc}, inputs={"fine_cls_concat"}) as hooked:
        out = m.audio_layers(wav, mask, layers=["trm1.8", "conv2"])
        audio = m.encode_audio(wav, mask)
        image = m.encode_image(feats, boxes)
        coarse = m.coarse_scores(audio=audio, image=image)
        fine = m.fine_scores(audio=audio, image=image)
        pairs_a, pairs_v = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1])
        a, v = audio.select(pairs_a), image.select(pairs_v)
        _, layers = m.cross(a.seq, a.additive_mask, v.seq, return_layers=True)
    np.testing.assert_array_equal(out.masks["trm1.8"].numpy(), exp[p + "trm1_frame_padding_mask"])
    close(out["trm1.8"], exp[p + "trm1_layer7_frames"], TOL["trm1"], "trm1 layer 7")
    close(out["conv2"], exp[p + "conv2_out"], TOL["trm2"], "conv2")
    close(audio.seq, exp[p + "trm2_seq"], TOL["trm2"], "trm2_seq")
    close(audio.coarse, exp[p + "audio_coarse"], TOL["coarse_emb"], "audio_coarse")
    np.testing.assert_array_equal(audio.key_padding.numpy(), exp[p + "trm2_key_padding_mask"])
    np.testing.assert_array_equal(audio.additive_mask.numpy(), exp[p + "extended_audio_attention_mask"])
    close(coarse, exp[p + "coarse_scores"], TOL["coarse_scores"], "coarse_scores")
    close(fine, exp[p + "fine_scores"], TOL["fine_scores"], "fine_scores")
    for k, (xa, xv) in enumerate(layers):
        close(xa, exp[p + f"xtrm_layer{k}_audio"], TOL["cross"], f"xtrm {k} audio")
        close(xv, exp[p + f"xtrm_layer{k}_visual"], TOL["cross"], f"xtrm {k} visual")
    close(hooked["fine_cls_concat"][-4:], exp[p + "fine_cls_concat"], TOL["cross"], "fine_cls_concat")


def test_reference_scores_quoted_in_the_fixture_readme(authors_model, arrays):
    inputs, _ = arrays
    m = authors_model
    wav = torch.from_numpy(inputs["batch_val10s_wav"])
    mask = torch.from_numpy(inputs["batch_val10s_sample_mask"])
    with torch.no_grad():
        fine = m.fine_scores(wav, mask, torch.from_numpy(inputs["roi_feats"]), torch.from_numpy(inputs["roi_boxes"]))
    np.testing.assert_allclose(fine.numpy(), [[-0.299941, -0.090809], [-0.259306, -0.103078]], atol=5e-5)
