"""The training application: FaST-VGS trained on image–spoken-caption corpora (one process or many).

It imports the model library (:mod:`vgprobe.fastvgs`); the model never imports it. Modules:
``config`` (recipe train block), ``data`` (corpus layouts, loaders), ``sampler`` (batch order),
``objective`` (global-batch loss), ``optim`` (BertAdam), ``distributed`` (torchrun helpers),
``runfolder`` (checkpoints, metrics), ``evaluate`` (retrieval on a split), ``trainer`` (the loop).
"""

from vgprobe.train.config import TrainConfig, resolve_config
from vgprobe.train.trainer import Trainer, train

__all__ = ["TrainConfig", "Trainer", "resolve_config", "train"]
