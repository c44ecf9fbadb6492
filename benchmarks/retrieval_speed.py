"""Time per query of coarse, fine and coarse-to-fine (CTF) retrieval with the full-size FaST-VGS dimensions.

Random weights and random encoder outputs of the real shapes (audio: CLS + 32 Conv2/Trm2 frames of a 10 s
caption, 768-d; image: CLS + 36 regions), speech -> image direction, one caption per image. The fine stage
runs the cross encoder on every (caption, image) pair; CTF on the coarse top K_c only, so its ideal
speed-up over fine is N / K_c. The paper reports 399.7 ms (fine) vs 8.4 ms (CTF) per query on SpokenCOCO
(GPU, 47.6x).

Every image has one caption (the retrieval code requires a caption per image), so there are N queries.

Usage: python benchmarks/retrieval_speed.py [--images 100] [--kc 10] [--threads 2]
"""

from __future__ import annotations

import argparse

import torch

import vgprobe.fastvgs as fv
from vgprobe.fastvgs.model import AudioEncoding, ImageEncoding
from vgprobe.fastvgs.retrieval import retrieve


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=100, help="database size N (= number of speech queries)")
    ap.add_argument("--kc", type=int, default=10)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = fv.FaSTVGS(fv.preset("fastvgs-coco")).eval()
    d, n = model.cfg.hidden_size, args.images
    q = n
    audio = AudioEncoding(torch.randn(q, 33, d), torch.zeros(q, 33, dtype=torch.bool), torch.randn(q, d))
    image = ImageEncoding(torch.randn(n, 37, d), torch.randn(n, d))
    audio_image = torch.arange(n)
    with torch.inference_mode():
        r = retrieve(model, audio, image, audio_image, modes=("coarse", "fine", "ctf"), kc=args.kc,
                     directions=("speech_to_image",))
    ms = {m: 1000 * r[f"{m}.seconds_per_query"] for m in ("coarse", "fine", "ctf")}
    coarse_in_ctf = 1000 * r["ctf.coarse_seconds_per_query"]
    ideal = n / args.kc
    print(f"N = {n} images, {q} speech queries, K_c = {args.kc}, threads {args.threads}")
    print(f"ms per query: coarse {ms['coarse']:.3f}, fine {ms['fine']:.1f}, ctf {ms['ctf']:.2f} "
          f"(its coarse stage {coarse_in_ctf:.3f} = {100 * coarse_in_ctf / ms['ctf']:.1f} % of ctf)")
    print(f"fine / ctf = {ms['fine'] / ms['ctf']:.1f}x; ideal N / K_c = {ideal:.1f}x "
          f"({100 * (ms['fine'] / ms['ctf']) / ideal:.0f} % of ideal)")


if __name__ == "__main__":
    main()
