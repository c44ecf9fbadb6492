"""Extraction speed of the full-size FaST-VGS audio branch (random weights) on this machine.

For files of several lengths, measures audio seconds processed per wall second of:
  sweep      : ``FaSTVGS.audio_layers_each`` as ``vgprobe extract`` runs it, trm1.0 ... trm1.8 in one pass
  one layer  : the same, asking for trm1.8 only (same forward pass; the sweep should cost <= 1.05x this)
  +trm2.1    : the sweep plus trm2.1 (Conv2 + Trm2 run per file)
  per-file   : the model called once per file for one layer (``audio_layers(wav[None], layers=["trm1.8"])``)
  bf16       : the sweep with bfloat16 autocast (optional fast path), with its max abs error against fp32
and the FLOP bound: the measured fp32 matrix-multiply rate of this machine divided by the FLOPs that one audio
second costs (counted from the configuration: CNN, projection, positional conv, Trm1 layers).

Usage: python benchmarks/extract_speed.py [--lengths 2,5,10,20] [--seconds-per-length 60] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch

import vgprobe.fastvgs as fv


def flops_per_file(cfg: fv.FaSTVGSConfig, n_samples: int, trm1_layers: int) -> float:
    """Multiply-adds x 2 of Conv1 + projection + positional conv + ``trm1_layers`` Trm1 layers for one file."""
    total, n, c_in = 0.0, n_samples, 1
    for c_out, k, s in cfg.conv_layers:
        n = (n - k) // s + 1
        total += 2.0 * n * c_out * c_in * k
        c_in = c_out
    t, d = n + 1, cfg.hidden_size  # + CLS
    total += 2.0 * n * cfg.cnn_dim * d  # projection
    total += 2.0 * t * d * (d // cfg.pos_conv_groups) * cfg.pos_conv_kernel  # positional conv
    per_layer = 2.0 * t * d * d * 4 + 2.0 * t * d * cfg.trm1_ffn * 2 + 2.0 * t * t * d * 2
    return total + trm1_layers * per_layer


def matmul_rate(seconds: float = 3.0) -> float:
    """Sustained fp32 GEMM rate (FLOP/s) on square 2048 matrices."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for _ in range(3):
        a @ b
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        n += 1
    return n * 2.0 * 2048**3 / (time.perf_counter() - t0)


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="2,5,10,20", help="file lengths in seconds")
    ap.add_argument("--seconds-per-length", type=float, default=40.0, help="audio per measurement batch")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = fv.preset("fastvgs-coco")
    model = fv.FaSTVGS(cfg).eval()
    sweep = [f"trm1.{k}" for k in range(0, 9)]
    rate = matmul_rate()
    print(f"threads {args.threads}; fp32 matmul rate {rate / 1e9:.0f} GFLOP/s")
    per_s = flops_per_file(cfg, 16000 * 10, 8) / 10
    print(f"FLOPs per audio second (10 s files, 8 layers): {per_s / 1e9:.2f} GFLOP -> "
          f"bound {rate / per_s:.1f} audio-s/s")
    header = f"{'len s':>5} {'bound':>7} {'sweep':>7} {'%bound':>7} {'1 layer':>8} {'sweep/1':>8} " \
             f"{'+trm2.1':>8} {'per-file':>8} {'bf16':>7} {'bf16/fp32':>9} {'bf16 err':>9}"
    print(header)
    for sec in [float(x) for x in args.lengths.split(",")]:
        n = int(16000 * sec)
        count = max(1, round(args.seconds_per_length / sec))
        wavs = [torch.randn(n) for _ in range(count)]
        audio = count * sec
        bound = rate / (flops_per_file(cfg, n, 8) / sec)
        with torch.inference_mode():
            t_all = timed(lambda: model.audio_layers_each(wavs, sweep), args.repeats)
            t_one = timed(lambda: model.audio_layers_each(wavs, ["trm1.8"]), args.repeats)
            t_top = timed(lambda: model.audio_layers_each(wavs, sweep + ["trm2.1"]), args.repeats)
            t_file = timed(lambda: [model.audio_layers(w[None], layers=["trm1.8"]) for w in wavs], args.repeats)
            ref = model.audio_layers_each(wavs[:1], ["trm1.8"])[0]["trm1.8"]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                t_bf = timed(lambda: model.audio_layers_each(wavs, sweep), args.repeats)
                bf = model.audio_layers_each(wavs[:1], ["trm1.8"])[0]["trm1.8"].float()
        err = (bf - ref).abs().max().item()
        r_all = audio / t_all
        print(f"{sec:5.0f} {bound:7.1f} {r_all:7.1f} {100 * r_all / bound:6.0f}% {audio / t_one:8.1f} "
              f"{t_all / t_one:8.2f} {audio / t_top:8.1f} {audio / t_file:8.1f} {audio / t_bf:7.1f} "
              f"{t_all / t_bf:9.2f} {err:9.2e}")


if __name__ == "__main__":
    main()
