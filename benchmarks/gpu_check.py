"""One-command check of vgprobe on a GPU: parity, extraction, training resume, throughput (under 5 minutes).

Parts (``--parts``, default all, in this order; a part that crashes is reported as ERROR and the next one runs):

  parity   the FaST-VGS parity fixture (arrays produced by the authors' code; weights rebuilt from its recipe by
           ``tests/fastvgs_weights.py``) run on the device in float32 with TF32 off, against the expected arrays,
           with the tolerances of ``tests/test_fastvgs_parity.py``: FAIL when any group exceeds its tolerance.
  extract  ``vgprobe extract`` of a small ``vgprobe synth zr2021`` set with a random full-size model
           (``random:fastvgs-coco``): on the device in float32 must equal the CPU's float32 features within
           the parity tolerance of the layer's group (FAIL otherwise); bfloat16's error is reported.
  train    ``tiny`` on a small ``vgprobe synth vg`` corpus with ``--amp`` (bf16 autocast; fp32 on a CPU): N steps,
           stop, resume, N more, against 2N uninterrupted; and a second uninterrupted run, whose difference from
           the first is the run-to-run noise of the device's kernels (0 when they are deterministic). Compared:
           the logged loss averages (every 10 steps) and the final weights (max abs difference). The resumed
           run should differ from the straight one by no more than that noise (reported, not a failure).
  speed    full-size model: extraction audio-seconds per second (the sweep trm1.0..trm1.8 as ``vgprobe extract``
           runs it) in fp32 (TF32 off) and bf16 at 2/10/20 s files, against the FLOP bound (the measured matmul
           rate of the device in that precision over the FLOPs one audio second costs, as
           ``benchmarks/extract_speed.py`` counts them); one ``fastvgs-coco`` training step at B = 64
           (encoders + global-batch loss + BertAdam) in fp32 and bf16, and the fine-loss pass alone, the
           authors' tiled B × B cross-encoder pass against vgprobe's pair scorer (``benchmarks/fine_loss_speed.py``);
           peak device memory of each.
  abx      vgprobe's ABX has no GPU path (a numba CPU engine): nothing to run, stated in the table.

It prints one table and exits 1 when a parity check fails or a part crashed, else 0. ``--device cpu --quick``
runs every part with tiny sizes (the tests run it that way).

Usage:
    python benchmarks/gpu_check.py [--device cuda] [--fixture tests/data/fastvgs_reference] [--json out.json]
    python benchmarks/gpu_check.py --device cpu --quick --fixture DIR     # the script itself, on a CPU
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]

import vgprobe.fastvgs as fv  # noqa: E402
from vgprobe.extract.run import strict_float32  # noqa: E402

PARTS = ("parity", "extract", "train", "speed", "abx")
# The parity tolerances of tests/test_fastvgs_parity.py (a test checks that both stay equal).
TOL = {
    "front": 5e-5,
    "image": 5e-5,
    "coarse_emb": 5e-5,
    "fine_scores": 5e-5,
    "coarse_scores": 1e-4,
    "trm1": 2e-4,
    "trm2": 2e-4,
    "cross": 1e-3,
}


@dataclass
class Row:
    part: str
    check: str
    value: str
    reference: str = ""
    status: str = "INFO"  # PASS | FAIL | INFO | WARN | ERROR


@dataclass
class Context:
    device: torch.device
    quick: bool
    work: Path
    fixture: Path | None
    authors_folder: Path | None
    rows: list[Row] = field(default_factory=list)

    def add(self, part: str, check: str, value: str, reference: str = "", status: str = "INFO") -> None:
        row = Row(part, check, value, reference, status)
        self.rows.append(row)
        print(f"  {part:8s} {check:44s} {value:>22s}  {reference:24s} {status}", file=sys.stderr, flush=True)

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)


def _maxdiff(a, b) -> float:
    a = a.detach().float().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float32)
    if a.shape != np.shape(b):
        raise AssertionError(f"shape {a.shape} != {np.shape(b)}")
    return float(np.abs(a - b).max()) if a.size else 0.0


# ------------------------------------------------------------------------------------------------ parity
def part_parity(ctx: Context) -> None:
    if ctx.fixture is None or not (ctx.fixture / "expected.npz").is_file():
        raise FileNotFoundError(f"no parity fixture at {ctx.fixture} (pass --fixture DIR)")
    folder = ctx.authors_folder
    if folder is None:
        from fastvgs_weights import build_authors_folder

        folder = build_authors_folder(ctx.fixture, ctx.work / "authors")
    inputs, exp = np.load(ctx.fixture / "inputs.npz"), np.load(ctx.fixture / "expected.npz")
    dev = ctx.device
    model = fv.load(folder).to(dev).eval()
    worst: dict[str, float] = dict.fromkeys(TOL, 0.0)
    masks_equal = True

    def close(group: str, actual, key: str) -> None:
        worst[group] = max(worst[group], _maxdiff(actual, exp[key]))

    def same(actual: torch.Tensor, key: str) -> None:
        nonlocal masks_equal
        masks_equal &= bool(np.array_equal(actual.cpu().numpy(), exp[key]))

    t = lambda name: torch.from_numpy(inputs[name]).to(dev)  # noqa: E731
    with strict_float32(str(dev)), torch.no_grad():
        for i in (0, 1):
            p = f"wav{i}/"
            wav = t(f"wav_{i}")[None]
            out = model.audio_layers(wav)
            enc = model.encode_audio(wav)
            close("front", out["cnn"][0], p + "cnn_features")
            for k in range(8):
                close("trm1", out[f"trm1.{k + 1}"][0], p + f"trm1_layer{k}_frames")
            close("trm2", out["conv2"][0], p + "conv2_out")
            close("trm2", enc.seq[0], p + "trm2_seq")
            close("coarse_emb", out["audio.coarse"][0], p + "audio_coarse")
            same(out.masks["trm1.6"][0], p + "trm1_frame_padding_mask")
            same(enc.key_padding[0], p + "trm2_key_padding_mask")
        feats, boxes = t("roi_feats"), t("roi_boxes")
        img = model.encode_image(feats, boxes)
        close("image", img.seq, "img/visual_seq")
        close("coarse_emb", img.coarse, "img/visual_coarse")
        for batch in ("batch_longest", "batch_val10s"):
            p = f"{batch}/"
            wav, mask = t(f"{batch}_wav"), t(f"{batch}_sample_mask")
            out = model.audio_layers(wav, mask, layers=["trm1.8", "conv2"])
            audio = model.encode_audio(wav, mask)
            image = model.encode_image(feats, boxes)
            close("trm1", out["trm1.8"], p + "trm1_layer7_frames")
            close("trm2", out["conv2"], p + "conv2_out")
            close("trm2", audio.seq, p + "trm2_seq")
            close("coarse_emb", audio.coarse, p + "audio_coarse")
            close("coarse_scores", model.coarse_scores(audio=audio, image=image), p + "coarse_scores")
            close("fine_scores", model.fine_scores(audio=audio, image=image), p + "fine_scores")
            pa, pv = torch.tensor([0, 0, 1, 1], device=dev), torch.tensor([0, 1, 0, 1], device=dev)
            a, v = audio.select(pa), image.select(pv)
            _, layers = model.cross(a.seq, a.additive_mask, v.seq, return_layers=True)
            for k, (xa, xv) in enumerate(layers):
                close("cross", xa, p + f"xtrm_layer{k}_audio")
                close("cross", xv, p + f"xtrm_layer{k}_visual")
            same(out.masks["trm1.8"], p + "trm1_frame_padding_mask")
    for group, err in worst.items():
        ctx.add("parity", f"{group} max |diff| (fp32, TF32 off)", f"{err:.3g}", f"<= {TOL[group]:g}",
                "PASS" if err <= TOL[group] else "FAIL")
    ctx.add("parity", "padding masks equal", str(masks_equal), "exact", "PASS" if masks_equal else "FAIL")


# ----------------------------------------------------------------------------------------------- extract
def part_extract(ctx: Context) -> None:
    from vgprobe.cli import main as cli
    from vgprobe.synth import build_zr2021

    if ctx.quick:  # 4 phonetic files
        data = build_zr2021(ctx.work / "zr2021", speakers=1, sentences=2, seed=0, semantic_voices=1,
                            semantic_sentences=2, pairs_per_dataset=2)
        checkpoint, task = "random:tiny", "phonetic"
    else:  # 208 files, 150 s of audio
        data = build_zr2021(ctx.work / "zr2021", speakers=2, sentences=3, seed=0, semantic_voices=2,
                            semantic_sentences=8, pairs_per_dataset=20)
        checkpoint, task = "random:fastvgs-coco", "all"
    layers = {"trm1.6": "trm1", "trm1.8": "trm1", "trm2.1": "trm2"}
    runs = {"cpu-fp32": ("cpu", "float32"), "dev-fp32": (str(ctx.device), "float32"),
            "dev-bf16": (str(ctx.device), "bfloat16")}
    seconds = {}
    for name, (device, dtype) in runs.items():
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the table alone
            rc = cli(["extract", "--checkpoint", checkpoint, "--data", str(data), "--out", str(ctx.work / name),
                      "--layer", ",".join(layers), "--task", task, "--device", device, "--dtype", dtype,
                      "--no-progress"])
        seconds[name] = time.perf_counter() - t0
        if rc != 0:
            raise RuntimeError(f"vgprobe extract --device {device} --dtype {dtype} exited {rc}")
    for layer, group in layers.items():
        ref_root = ctx.work / "cpu-fp32" / layer
        files = sorted(ref_root.rglob("*.npy"))
        scale = max(float(np.abs(np.load(f)).max()) for f in files)
        for name in ("dev-fp32", "dev-bf16"):
            err = max(_maxdiff(np.load(ctx.work / name / layer / f.relative_to(ref_root)), np.load(f))
                      for f in files)
            if name == "dev-fp32":
                ref, status = f"<= {TOL[group]:g}", "PASS" if err <= TOL[group] else "FAIL"
            else:
                ref, status = f"max |cpu| {scale:.3g}", "INFO"
            ctx.add("extract", f"{layer} {name} vs cpu-fp32 ({len(files)} files)", f"{err:.3g}", ref, status)
    ctx.add("extract", "wall seconds cpu-fp32 / dev-fp32 / dev-bf16",
            " / ".join(f"{seconds[n]:.1f}" for n in runs), checkpoint)


# ------------------------------------------------------------------------------------------------- train
def _train_records(run: Path) -> list[dict]:
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    return [r for r in rows if r["kind"] == "train"]


def _windows(records: list[dict]) -> dict[tuple[int, int], float]:
    """(first step, last step) of each record's averaging window -> the average loss."""
    out, prev = {}, 0
    for r in records:
        out[(prev + 1, r["step"])] = r["loss"]
        prev = r["step"]
    return out


def _weights(run: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(run / "last" / "model.safetensors"))


def part_train(ctx: Context) -> None:
    from vgprobe.synth import build_vg_corpus
    from vgprobe.train import train

    # steps: the resume point; a multiple of the trainer's 10-step loss windows, so that the windows after it
    # compare (in quick mode they do not, and only the weights are compared)
    images, batch, steps = (12, 4, 2) if ctx.quick else (60, 16, 30)
    corpus = build_vg_corpus(ctx.work / "vg", images=images, captions_per_image=2, seed=0, processes=4)
    amp = ctx.cuda
    overrides = {"batch_size": batch, "val_every_steps": steps}
    if ctx.quick:
        overrides |= {"train_audio_seconds": 1.0, "eval_audio_seconds": 1.0}
    common = {"overrides": overrides, "device": str(ctx.device), "amp": amp, "progress": False}
    t0 = time.perf_counter()
    train("tiny", corpus, ctx.work / "straight", max_steps=2 * steps, **common)
    t_straight = time.perf_counter() - t0
    train("tiny", corpus, ctx.work / "resumed", max_steps=steps, **common)
    train("tiny", corpus, ctx.work / "resumed", max_steps=2 * steps, resume=True, **common)
    train("tiny", corpus, ctx.work / "again", max_steps=2 * steps, **common)
    precision = "bf16 autocast" if amp else "fp32"
    w = {name: _weights(ctx.work / name) for name in ("straight", "resumed", "again")}
    diff = {name: max(float((w[name][k].float() - w["straight"][k].float()).abs().max()) for k in w["straight"])
            for name in ("resumed", "again")}
    logs = {name: _windows(_train_records(ctx.work / name)) for name in ("straight", "resumed", "again")}
    steps_logged = [last for _, last in logs["straight"]]
    loss_diff = {}
    for name in ("resumed", "again"):  # the same averaging windows, after the resume point
        common_windows = [w for w in logs["straight"] if w in logs[name] and w[1] > steps]
        loss_diff[name] = max((abs(logs["straight"][w] - logs[name][w]) for w in common_windows), default=float("nan"))
    floor = diff["again"]
    ok = diff["resumed"] <= 2 * floor if floor > 0 else diff["resumed"] == 0
    ctx.add("train", f"tiny {precision}: {2 * steps} steps, wall s", f"{t_straight:.1f}", f"batch {batch}")
    ctx.add("train", f"weights |resumed - straight| ({steps}+{steps})", f"{diff['resumed']:.3g}",
            f"noise {floor:.3g}", "PASS" if ok else "WARN")
    ctx.add("train", "weights |again - straight| (run-to-run noise)", f"{floor:.3g}", "0 if deterministic")
    if not np.isnan(loss_diff["resumed"]):  # some windows compare
        ctx.add("train", f"logged loss |resumed - straight|, steps > {steps}", f"{loss_diff['resumed']:.3g}",
                f"noise {loss_diff['again']:.3g}", "PASS" if loss_diff["resumed"] <= 2 * loss_diff["again"]
                or loss_diff["resumed"] == 0 else "WARN")
    ctx.add("train", "loss at logged steps (straight)",
            " ".join(f"{x:.3f}" for x in logs["straight"].values()), f"steps {steps_logged}")


# ------------------------------------------------------------------------------------------------- speed
def matmul_rate(device: torch.device, dtype: torch.dtype, seconds: float) -> float:
    """Sustained GEMM rate (FLOP/s) of square matrices on ``device`` in ``dtype`` (fp32 with TF32 off)."""
    n = 8192 if device.type == "cuda" else 1024
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    with strict_float32(str(device)):
        for _ in range(2):
            a @ b
        _sync(device)
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            a @ b
            count += 1
            if count % 8 == 0:
                _sync(device)
        _sync(device)
        return count * 2.0 * n**3 / (time.perf_counter() - t0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def peak_memory(ctx: Context) -> Iterator[list[float]]:
    """Yields a one-element list that holds the peak device memory (GiB) of the block after it ends."""
    box = [float("nan")]
    if ctx.cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(ctx.device)
    yield box
    if ctx.cuda:
        box[0] = torch.cuda.max_memory_allocated(ctx.device) / 2**30


def timed(ctx: Context, fn: Callable[[], object], repeats: int) -> float:
    fn()
    ctx.sync()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    ctx.sync()
    return (time.perf_counter() - t0) / repeats


def _gib(x: float) -> str:
    return "n/a (CPU)" if np.isnan(x) else f"{x:.1f} GiB"


def part_speed(ctx: Context) -> None:
    from extract_speed import flops_per_file

    dev = ctx.device
    recipe = "tiny" if ctx.quick else "fastvgs-coco"
    lengths = (1.0,) if ctx.quick else (2.0, 10.0, 20.0)
    audio_per_length = 4.0 if ctx.quick else 240.0
    repeats = 1 if ctx.quick else 2
    rates = {"fp32": matmul_rate(dev, torch.float32, 0.5 if ctx.quick else 2.0),
             "bf16": matmul_rate(dev, torch.bfloat16, 0.5 if ctx.quick else 2.0)}
    for name, r in rates.items():
        ctx.add("speed", f"matmul rate {name}", f"{r / 1e12:.2f} TFLOP/s", "fp32: TF32 off")
    torch.manual_seed(0)
    cfg = fv.preset(recipe)
    model = fv.FaSTVGS(cfg).to(dev).eval()
    sweep = [f"trm1.{k}" for k in range(cfg.trm1_layers + 1)]
    for sec in lengths:
        n = int(16000 * sec)
        count = max(1, round(audio_per_length / sec))
        wavs = [torch.randn(n, device=dev) for _ in range(count)]
        per_audio_s = flops_per_file(cfg, n, cfg.trm1_layers) / sec
        for name in ("fp32", "bf16"):
            amp = (torch.autocast(dev.type, dtype=torch.bfloat16) if name == "bf16" else contextlib.nullcontext())
            with strict_float32(str(dev)), torch.inference_mode(), amp, peak_memory(ctx) as peak:
                t = timed(ctx, lambda w=wavs: model.audio_layers_each(w, sweep), repeats)
            rate, bound = count * sec / t, rates[name] / per_audio_s
            ctx.add("speed", f"extract {recipe} {sec:g} s files, {name}", f"{rate:.0f} audio-s/s",
                    f"bound {bound:.0f} ({100 * rate / bound:.0f} %)", "INFO")
        ctx.add("speed", f"extract {sec:g} s files, peak memory (bf16)", _gib(peak[0]), f"{count} files")
    model.cpu()
    _training_step(ctx, recipe)
    _fine_pass(ctx, recipe)


def _training_step(ctx: Context, recipe: str) -> None:
    from vgprobe.train import resolve_config

    dev = ctx.device
    model_cfg, tcfg, _ = resolve_config(recipe, {})
    batch = 4 if ctx.quick else 64
    seconds = 1.0 if ctx.quick else tcfg.train_audio_seconds
    g = torch.Generator().manual_seed(0)
    n = int(16000 * seconds)
    wav = torch.randn(batch, n, generator=g).to(dev)
    mask = torch.zeros(batch, n, dtype=torch.bool, device=dev)
    feats = torch.randn(batch, model_cfg.num_regions, model_cfg.image_feature_dim, generator=g).to(dev)
    boxes = torch.rand(batch, model_cfg.num_regions, 4, generator=g).to(dev)
    ids = (torch.arange(batch) // 2).to(dev)
    for name in ("fp32", "bf16"):
        step = _train_step_fn(model_cfg, tcfg, dev, bf16=name == "bf16", batch=(wav, mask, feats, boxes, ids))
        with strict_float32(str(dev)), peak_memory(ctx) as peak:
            t = timed(ctx, step, 1 if ctx.quick else 2)
        ctx.add("speed", f"train step {recipe} B={batch}, {seconds:g} s audio, {name}", f"{t:.2f} s/step",
                f"peak {_gib(peak[0])}")
        del step
        if ctx.cuda:
            torch.cuda.empty_cache()


def _train_step_fn(model_cfg, tcfg, dev: torch.device, *, bf16: bool, batch: tuple) -> Callable[[], None]:
    """One update of a fresh model as ``vgprobe train`` takes it (frozen CNN, global-batch loss, clipping,
    BertAdam), as a function of nothing."""
    from vgprobe.fastvgs.loss import LossWeights
    from vgprobe.train.distributed import World
    from vgprobe.train.objective import Objective
    from vgprobe.train.optim import BertAdam

    torch.manual_seed(0)
    model = fv.FaSTVGS(model_cfg).to(dev).train()
    model.trm1.freeze_cnn = not tcfg.train_cnn
    for pname, p in model.named_parameters():
        p.requires_grad_(tcfg.train_cnn or "feature_extractor" not in pname)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = BertAdam(params, lr=tcfg.lr, warmup=tcfg.warmup_fraction, t_total=1000, betas=tcfg.betas,
                   eps=tcfg.eps, weight_decay=tcfg.weight_decay)
    objective = Objective(model, LossWeights(tcfg.coarse_weight, tcfg.fine_weight, tcfg.margin),
                          World(0, 1, dev), tcfg.pairs_per_chunk)

    def step() -> None:
        with torch.autocast(dev.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            losses = objective(*batch)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(params, tcfg.max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def _fine_pass(ctx: Context, recipe: str) -> None:
    import dataclasses as dc

    from fine_loss_speed import inputs

    from vgprobe.fastvgs.loss import margin_softmax_loss
    from vgprobe.fastvgs.model import AudioEncoding, ImageEncoding

    dev = ctx.device
    batch = 4 if ctx.quick else 64
    cfg = dc.replace(fv.preset(recipe), bert_dropout=0.0, bert_attention_dropout=0.0)
    torch.manual_seed(0)
    model = fv.FaSTVGS(cfg).to(dev).train()
    audio0, pad, visual0, image_ids = (x.to(dev) for x in inputs(batch, cfg.hidden_size, cfg.num_regions))
    results = {}
    for method in ("tiled", "vgprobe"):
        def step(method: str = method) -> float:
            model.zero_grad(set_to_none=True)
            seq = audio0.clone().requires_grad_(True)
            vis = visual0.clone().requires_grad_(True)
            a, v = AudioEncoding(seq, pad, seq[:, 0]), ImageEncoding(vis, vis[:, 0])
            if method == "tiled":  # the authors' trainer: the cross encoder on all B² copies in one call
                every = torch.arange(batch, device=dev)
                ai, vi = every.repeat_interleave(batch), every.repeat(batch)
                scores = model.cross(seq[ai], a.additive_mask[ai], vis[vi]).view(batch, batch)
            else:
                scores = model.fine_scores(audio=a, image=v, pairs_per_chunk=1024)
            loss = margin_softmax_loss(scores, margin=1.0, image_ids=image_ids)
            loss.backward()
            return loss.detach()

        try:
            with strict_float32(str(dev)), peak_memory(ctx) as peak:
                t = timed(ctx, step, 1 if ctx.quick else 2)
            results[method] = (t, float(step()))
            ctx.add("speed", f"fine-loss pass B={batch} ({batch * batch} pairs), {method}, fp32", f"{t:.3f} s",
                    f"peak {_gib(peak[0])}")
        except torch.cuda.OutOfMemoryError as exc:
            ctx.add("speed", f"fine-loss pass B={batch}, {method}", "out of memory", str(exc)[:24], "INFO")
    if len(results) == 2:
        (tt, lt), (tv, lv) = results["tiled"], results["vgprobe"]
        ctx.add("speed", "fine-loss pass speed-up tiled / vgprobe", f"{tt / tv:.2f}x",
                f"|loss diff| {abs(lt - lv):.2g}")


# ---------------------------------------------------------------------------------------------------- abx
def part_abx(ctx: Context) -> None:
    ctx.add("abx", "engine", "CPU (numba)", "no GPU path in vgprobe", "INFO")


RUN = {"parity": part_parity, "extract": part_extract, "train": part_train, "speed": part_speed, "abx": part_abx}
PARITY_PARTS = ("parity", "extract")


def print_table(ctx: Context, header: str) -> None:
    cols = [(r.part, r.check, r.value, r.reference, r.status) for r in ctx.rows]
    names = ("part", "check", "value", "reference", "status")
    widths = [max(len(names[i]), *(len(c[i]) for c in cols)) if cols else len(names[i]) for i in range(5)]
    print(header)
    print("| " + " | ".join(n.ljust(w) for n, w in zip(names, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cols:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(c, widths)) + " |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda, cuda:i or cpu (default cuda)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    ap.add_argument("--fixture", type=Path, default=REPO / "tests" / "data" / "fastvgs_reference",
                    help="the FaST-VGS parity fixture folder (inputs.npz, expected.npz, keys.tsv, args.pkl)")
    ap.add_argument("--authors-folder", type=Path, help="the fixture's weights already written as an authors' "
                    "folder (skips the rebuild)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes everywhere (for a CPU run of the script)")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temporary folder, deleted)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown parts {unknown}; choose from {','.join(PARTS)}")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("gpu_check: --device cuda but torch sees no CUDA device; pass --device cpu --quick to test the script",
              file=sys.stderr)
        return 2
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "CPU"
    header = (f"vgprobe gpu_check {datetime.date.today()} on {name} ({device}); torch {torch.__version__}"
              + (f", CUDA {torch.version.cuda}" if device.type == "cuda" else "")
              + (", quick sizes" if args.quick else ""))
    print(header, file=sys.stderr)
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gpu_check.")))
        work.mkdir(parents=True, exist_ok=True)
        ctx = Context(device=device, quick=args.quick, work=work, fixture=args.fixture,
                      authors_folder=args.authors_folder)
        for part in parts:
            t0 = time.perf_counter()
            print(f"[{part}]", file=sys.stderr, flush=True)
            try:
                RUN[part](ctx)
            except Exception as exc:  # noqa: BLE001 - reported in the table; the other parts still run
                traceback.print_exc()
                ctx.add(part, "crashed", type(exc).__name__, str(exc)[:60], "ERROR")
            ctx.add(part, "part wall seconds", f"{time.perf_counter() - t0:.1f}")
    print_table(ctx, header)
    if args.json:
        args.json.write_text(json.dumps({"header": header, "rows": [dataclasses.asdict(r) for r in ctx.rows]},
                                        indent=1) + "\n")
    failed = [r for r in ctx.rows if r.status == "ERROR" or (r.status == "FAIL" and r.part in PARITY_PARTS)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
