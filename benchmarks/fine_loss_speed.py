"""Fine-loss training pass: the authors' tiled B × B cross-encoder pass vs vgprobe's pair scorer.

Both compute the fine matching loss of a batch of B (caption, image) pairs — the cross encoder on all B² pairs,
then the masked margin softmax loss — and its backward pass, with the full FaST-VGS widths (``fastvgs-coco``:
768-d, 12 heads, feed-forward 3072, 2 cross layers), dropout off, random weights. Inputs are the encoders'
outputs of the real training shapes: audio = CLS + 25 Conv2/Trm2 frames (8 s training crops; captions of
3.2-8 s, so some are padded), image = CLS + 36 regions; two captions per image as in SpokenCOCO batches.

- ``tiled``: what the authors' trainer does: ``audio.repeat_interleave(B)``, ``visual.repeat(B)``, the
  cross encoder on the B² copies in one call;
- ``vgprobe``: ``FaSTVGS.fine_scores`` (first-layer projections once per caption and image, last layer on the
  CLS tokens only) in calls of ``--pairs-per-chunk`` pairs, as ``vgprobe train`` runs it;
- ``vgprobe-ckpt``: the same with ``checkpoint=True`` (train setting ``fine_checkpoint``): each chunk's
  activations are recomputed in the backward pass instead of kept, so memory is that of one chunk.

Each method runs in its own process (peak resident memory is that process's ``ru_maxrss``), under an
address-space limit (``--memory-limit-gb``) so that a pass which does not fit fails with an allocation error
instead of swapping. One untimed step, then ``--steps`` timed forward+backward steps (median reported).
The losses and the gradients with respect to both encodings must agree to float32 tolerance (checked).

Usage: python benchmarks/fine_loss_speed.py [--batch 64] [--steps 3] [--threads 2] [--memory-limit-gb 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

METHODS = ("tiled", "vgprobe", "vgprobe-ckpt")

def inputs(batch: int, d: int, regions: int, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    t = 1 + 25
    audio = torch.randn(batch, t, d, generator=g)
    valid = torch.randint(1 + 10, t + 1, (batch,), generator=g)  # 3.2-8 s captions: 10-25 Conv2 frames
    valid[0] = t
    pad = torch.arange(t)[None, :] >= valid[:, None]
    visual = torch.randn(batch, 1 + regions, d, generator=g)
    image_ids = torch.arange(batch) // 2
    return audio, pad, visual, image_ids


def run_one(method: str, batch: int, steps: int, threads: int, chunk: int, out: Path) -> None:
    """Child process: time ``steps`` fine-loss forward+backward passes; write results to ``out``."""
    import torch

    import vgprobe.fastvgs as fv
    from vgprobe.fastvgs.loss import margin_softmax_loss
    from vgprobe.fastvgs.model import AudioEncoding, ImageEncoding

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = dataclasses.replace(fv.preset("fastvgs-coco"), bert_dropout=0.0, bert_attention_dropout=0.0)
    model = fv.FaSTVGS(cfg).train()
    audio0, pad, visual0, image_ids = inputs(batch, cfg.hidden_size, cfg.num_regions)

    def step() -> tuple[float, torch.Tensor, torch.Tensor]:
        model.zero_grad(set_to_none=True)
        seq = audio0.clone().requires_grad_(True)
        vis = visual0.clone().requires_grad_(True)
        a = AudioEncoding(seq, pad, seq[:, 0])
        v = ImageEncoding(vis, vis[:, 0])
        if method == "tiled":
            b = len(seq)
            ai, vi = torch.arange(b).repeat_interleave(b), torch.arange(b).repeat(b)
            scores = model.cross(seq[ai], a.additive_mask[ai], vis[vi]).view(b, b)
        else:
            scores = model.fine_scores(audio=a, image=v, pairs_per_chunk=chunk, checkpoint=method == "vgprobe-ckpt")
        loss = margin_softmax_loss(scores, margin=1.0, image_ids=image_ids)
        loss.backward()
        return loss.item(), seq.grad, vis.grad

    result: dict = {"method": method, "batch": batch}
    try:
        step()
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            loss, g_audio, g_visual = step()
            times.append(time.perf_counter() - t0)
        torch.save({"g_audio": g_audio, "g_visual": g_visual,
                    "g_fc": model.cross.fc[0].weight.grad}, out.with_suffix(".pt"))
        result |= {"ok": True, "loss": loss, "seconds": times}
    except (RuntimeError, MemoryError) as e:  # allocation refused under the address-space limit
        result |= {"ok": False, "error": str(e).splitlines()[0][:200]}
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out.write_text(json.dumps(result))


def spawn(method: str, args: argparse.Namespace, out: Path) -> dict:
    limit = int(args.memory_limit_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, __file__, "--child", method, "--batch", str(args.batch), "--steps", str(args.steps),
           "--threads", str(args.threads), "--pairs-per-chunk", str(args.pairs_per_chunk), "--result", str(out)]
    proc = subprocess.run(cmd, preexec_fn=cap, capture_output=True, text=True)
    if not out.is_file():
        return {"method": method, "ok": False, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs-per-chunk", type=int, default=1024, help="vgprobe's chunk (the train default)")
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    ap.add_argument("--memory-limit-gb", type=float, default=20.0)
    ap.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_one(args.child, args.batch, args.steps, args.threads, args.pairs_per_chunk, args.result)
        return

    import torch

    with tempfile.TemporaryDirectory() as tmp:
        res = {m: spawn(m, args, Path(tmp) / f"{m}.json") for m in args.methods}
        grads = {m: torch.load(Path(tmp) / f"{m}.pt") for m in res if res[m].get("ok")}
    load = os.getloadavg()
    print(f"B = {args.batch} ({args.batch ** 2} pairs), full widths, {args.steps} timed steps, "
          f"{args.threads} threads, address-space limit {args.memory_limit_gb:g} GB, load {load[0]:.1f}")
    for m, r in res.items():
        if r.get("ok"):
            print(f"{m:8s} loss {r['loss']:.6f}  s/step median {statistics.median(r['seconds']):.2f} "
                  f"(all {', '.join(f'{s:.2f}' for s in r['seconds'])})  peak RSS {r['peak_rss_gb']:.1f} GB")
        else:
            print(f"{m:8s} did not run: {r['error']}  (peak RSS {r.get('peak_rss_gb', float('nan')):.1f} GB)")
    ok = [m for m in res if m in grads]
    if len(ok) < 2:
        return
    ref = ok[0]
    differ = False
    for m in ok[1:]:
        r, v = res[ref], res[m]
        dloss = abs(r["loss"] - v["loss"])
        dgrad = {k: ((grads[ref][k] - grads[m][k]).abs().max() / grads[ref][k].abs().max()).item() for k in grads[ref]}
        same = dloss <= 1e-4 * max(1.0, abs(r["loss"])) and max(dgrad.values()) <= 1e-3
        differ |= not same
        ratio = statistics.median(r["seconds"]) / statistics.median(v["seconds"])
        print(f"{m} vs {ref}: |loss difference| {dloss:.2e}; max grad difference / max |grad|: "
              + ", ".join(f"{k} {x:.1e}" for k, x in dgrad.items()) + ("  (equal)" if same else "  (DIFFERENT)"))
        print(f"  speed-up {ref} time / {m} time: {ratio:.2f}x; peak RSS {ref} / {m}: "
              f"{r['peak_rss_gb'] / v['peak_rss_gb']:.2f}x")
    if differ:
        sys.exit(1)

if __name__ == "__main__":
    main()
