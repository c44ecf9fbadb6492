"""The FaST-VGS training objective over the global batch, as one module (so DistributedDataParallel can
wrap a single forward).

Each process encodes its own captions and images, gathers coarse embeddings, image sequences and image ids
of every process, and computes ``λc·L(coarse B×B) + λf·L(fine B×B)`` on the global batch
(:func:`vgprobe.fastvgs.loss.fastvgs_loss`). Example::

    obj = Objective(model, LossWeights(0.1, 1.0, 1.0), world, pairs_per_chunk=1024)
    losses = obj(wav, padding_mask, feats, boxes, image_ids)     # {"loss", "coarse", "fine"}
"""

from __future__ import annotations

import torch
from torch import nn

from vgprobe.fastvgs.loss import LossWeights, fastvgs_loss
from vgprobe.fastvgs.model import FaSTVGS, ImageEncoding
from vgprobe.train.distributed import World, gather_cat, gather_plain


class Objective(nn.Module):
    """The global-batch loss as a module, so DistributedDataParallel can wrap one forward."""

    def __init__(
        self, model: FaSTVGS, weights: LossWeights, world: World, pairs_per_chunk: int, checkpoint: bool = False
    ) -> None:
        super().__init__()
        self.model, self.weights, self.world = model, weights, world
        self.pairs_per_chunk, self.checkpoint = pairs_per_chunk, checkpoint

    def forward(self, wav, padding_mask, feats, boxes, image_ids) -> dict[str, torch.Tensor]:
        audio = self.model.encode_audio(wav, padding_mask)
        image = self.model.encode_image(feats, boxes)
        a_coarse, v_coarse = gather_cat(audio.coarse, self.world), gather_cat(image.coarse, self.world)
        ids = gather_plain(image_ids, self.world)
        coarse = a_coarse @ v_coarse.T  # (B, B) captions x images
        fine = None
        if self.weights.fine:
            images = ImageEncoding(gather_cat(image.seq, self.world), v_coarse)
            rows = self.model.fine_scores(audio=audio, image=images, pairs_per_chunk=self.pairs_per_chunk,
                                          checkpoint=self.checkpoint)
            fine = gather_cat(rows, self.world)  # (B_local, B) -> (B, B)
        return fastvgs_loss(coarse, fine, image_ids=ids, weights=self.weights)
