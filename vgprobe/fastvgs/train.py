"""Training FaST-VGS as the authors did (DESIGN.md §4), from one CPU to many GPUs under torchrun.

Each update: encode the local captions and images; gather coarse embeddings, image sequences and image
ids over all processes; loss = λc·L(coarse B×B) + λf·L(fine B×B) on the global batch; backward; clip
the gradient norm; BertAdam step (warm-up-linear schedule over ``t_total = ⌊n_train / B⌋ · epochs``).
The CNN is frozen (no gradients, not in the optimiser). Validation every ``val_every_steps`` and at the
end: coarse and coarse-to-fine recall on the val split; ``best`` = highest mean R@1.

Example::

    best = train("tiny", "vg/", "runs/tiny", max_steps=200)    # -> runs/tiny/best (a vgprobe checkpoint)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from vgprobe.config_types import convert, typed_fields
from vgprobe.errors import ConfigError
from vgprobe.fastvgs.config import FaSTVGSConfig, load_recipe, recipe_path
from vgprobe.fastvgs.data import CaptionDataset, collate, load_split
from vgprobe.fastvgs.distributed import World, barrier, gather_cat, gather_plain, init_world, use_global_batchnorm
from vgprobe.fastvgs.evaluate import evaluate_split
from vgprobe.fastvgs.loss import LossWeights, fastvgs_loss
from vgprobe.fastvgs.model import FaSTVGS, ImageEncoding
from vgprobe.fastvgs.optim import BertAdam
from vgprobe.fastvgs.runfolder import append_metrics, load_state, prepare_run, save_checkpoint, trim_metrics


@dataclass(frozen=True)
class TrainConfig:
    """The ``train:`` block of a recipe."""

    dataset: str
    batch_size: int
    epochs: int
    lr: float
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    warmup_fraction: float
    max_grad_norm: float
    coarse_weight: float
    fine_weight: float
    margin: float
    train_audio_seconds: float
    eval_audio_seconds: float
    val_every_steps: int
    val_batch_size: int
    topk: int
    seed: int
    train_cnn: bool = False  # the authors freeze the CNN
    pairs_per_chunk: int = 1024
    fine_checkpoint: bool = False  # recompute the fine pass's activations in backward (memory of one chunk)
    num_workers: int = 0

    @classmethod
    def from_dict(cls, d: dict, *, source: str = "train block") -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown train settings {unknown}; known: {sorted(known)}")
        d = typed_fields(cls, d, source=source)
        if "betas" in d:
            betas = d["betas"]
            if not isinstance(betas, (list, tuple)) or len(betas) != 2:
                raise ConfigError(f"{source}: betas must be a pair [beta1, beta2], got {betas!r}")
            d["betas"] = tuple(convert("betas", b, float, source) for b in betas)
        try:
            return cls(**d)
        except TypeError as exc:
            raise ConfigError(f"{source}: {exc}") from exc


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


class EpochSampler:
    """Seeded permutation per epoch, cut into full global batches; the state is (epoch, batch)."""

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        if n < batch_size:
            raise ConfigError(f"the training split has {n} captions, fewer than one batch of {batch_size}")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch, self.batch = 0, 0

    @property
    def steps_per_epoch(self) -> int:
        return self.n // self.batch_size

    def remaining(self) -> list[list[int]]:
        """The batches left in the current epoch."""
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        perm = torch.randperm(self.n, generator=g).tolist()
        b = self.batch_size
        return [perm[i * b:(i + 1) * b] for i in range(self.batch, self.steps_per_epoch)]

    def advance(self) -> None:
        self.batch += 1
        if self.batch == self.steps_per_epoch:
            self.epoch, self.batch = self.epoch + 1, 0

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "batch": self.batch, "n": self.n, "batch_size": self.batch_size}

    def load_state_dict(self, s: dict) -> None:
        if (s["n"], s["batch_size"]) != (self.n, self.batch_size):
            raise ConfigError(f"resume: the sampler state is for {s['n']} captions in batches of {s['batch_size']}, "
                              f"the data now has {self.n} in batches of {self.batch_size}")
        self.epoch, self.batch = s["epoch"], s["batch"]


def resolve_config(recipe: str | Path, overrides: dict | None) -> tuple[FaSTVGSConfig, TrainConfig, dict]:
    path = recipe_path(recipe)
    raw = load_recipe(path)
    if "train" not in raw:
        raise ConfigError(f"{path}: the recipe has no 'train' block")
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    model_cfg = FaSTVGSConfig.from_dict(raw["model"] or {})
    source = f"{path} train block" + (f" with overrides of {sorted(given)}" if given else "")
    tcfg = TrainConfig.from_dict(dict(raw["train"]) | given, source=source)
    return model_cfg, tcfg, {"recipe": str(path), "model": model_cfg.to_dict(), "train": dataclasses.asdict(tcfg)}


def _any_rank(flag: bool, world: World) -> bool:
    """True on every rank when ``flag`` is True on some rank (so all ranks stop at the same step)."""
    if not world.distributed:
        return flag
    return bool(gather_plain(torch.tensor([flag], device=world.device), world).any())


def local_slice(batch: list[int], world: World) -> list[int]:
    if len(batch) % world.size:
        raise ConfigError(f"batch_size {len(batch)} is not divisible by the {world.size} processes")
    n = len(batch) // world.size
    return batch[world.rank * n:(world.rank + 1) * n]


def train(
    recipe: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    overrides: dict | None = None,
    init_w2v2: str | Path | None = None,
    audio_root: str | Path | None = None,
    resume: bool = False,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    drop_missing: bool = False,
    device: str | None = None,
    amp: bool = False,
    progress: bool = True,
) -> Path:
    """Train (or resume) a run in ``out_dir``; returns the ``best`` checkpoint folder (``last`` if no
    validation improved). ``max_steps`` stops early (the schedule still spans the full recipe);
    ``max_seconds`` stops after the first step at which the loop's wall time (validation included) reaches
    it, then validates and checkpoints as at the end. Metrics records carry ``time_s``, the loop's wall time."""
    world = init_world(device)
    out = Path(out_dir)
    model_cfg, tcfg, config = resolve_config(recipe, overrides)
    config["data"] = {"dir": str(Path(data_dir).resolve()), "dataset": tcfg.dataset,
                      "audio_root": str(Path(audio_root).resolve()) if audio_root else None}
    config["init_w2v2"] = str(init_w2v2) if init_w2v2 else None
    # the data are validated before the run folder is made: a refused start leaves nothing behind
    train_split = load_split(data_dir, "train", dataset=tcfg.dataset, drop_missing=drop_missing, audio_root=audio_root)
    val_split = load_split(data_dir, "val", dataset=tcfg.dataset, drop_missing=drop_missing, audio_root=audio_root)
    sampler = EpochSampler(len(train_split.captions), tcfg.batch_size, tcfg.seed)
    if amp and world.device.type != "cuda":
        raise ConfigError("--amp (bf16 autocast) is for GPUs; on CPU train in fp32")
    if world.is_main:
        out.mkdir(parents=True, exist_ok=True)
        prepare_run(out, config, resume=resume)
    barrier(world)

    dataset = CaptionDataset(train_split, seconds=tcfg.train_audio_seconds)
    torch.manual_seed(tcfg.seed)
    model = FaSTVGS(model_cfg)
    if init_w2v2 and not resume:
        from vgprobe.fastvgs.init_w2v2 import init_from_wav2vec2

        init_from_wav2vec2(model, init_w2v2)
    t_total = sampler.steps_per_epoch * tcfg.epochs
    model.trm1.freeze_cnn = not tcfg.train_cnn
    for name, p in model.named_parameters():
        p.requires_grad_(tcfg.train_cnn or "feature_extractor" not in name)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = BertAdam(params, lr=tcfg.lr, warmup=tcfg.warmup_fraction, t_total=t_total, betas=tcfg.betas,
                   eps=tcfg.eps, weight_decay=tcfg.weight_decay)
    step, best = 0, -math.inf
    if resume:
        import vgprobe.fastvgs as fv

        state = load_state(out)
        model.load_state_dict(fv.load(out / "last").state_dict())
        opt.load_state_dict(state["optimizer"])
        sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["rng"]["torch"])
        step, best = state["step"], state["best"]
        if world.is_main:
            trim_metrics(out, step)
    model.to(world.device).train()
    weights = LossWeights(tcfg.coarse_weight, tcfg.fine_weight, tcfg.margin)
    objective: nn.Module = Objective(model, weights, world, tcfg.pairs_per_chunk, tcfg.fine_checkpoint)
    if world.distributed:
        use_global_batchnorm(model)  # Conv2's BatchNorm sees the global batch, as with one process
        objective = nn.parallel.DistributedDataParallel(
            objective, device_ids=[world.device.index] if world.device.type == "cuda" else None,
            find_unused_parameters=not (tcfg.coarse_weight and tcfg.fine_weight))
    stop = t_total if max_steps is None else min(max_steps, t_total)
    modes = ("coarse", "ctf") if tcfg.fine_weight else ("coarse",)

    def checkpoint(val: dict | None) -> None:
        nonlocal best
        if not world.is_main:
            return
        extra = {"step": step, "run": config}
        if val is not None and val["mean_R@1"] > best:
            best = val["mean_R@1"]
            save_checkpoint(out, "best", model, state=None, extra=extra | {"val": val})
        state = {"step": step, "best": best, "optimizer": opt.state_dict(), "sampler": sampler.state_dict(),
                 "rng": {"torch": torch.get_rng_state()}, "t_total": t_total}
        save_checkpoint(out, "last", model, state=state, extra=extra)

    def validate() -> dict:
        with torch.random.fork_rng(devices=[]):  # validation must not move the training RNG
            return _validate()

    def _validate() -> dict:
        val = evaluate_split(model, val_split, modes=modes, kc=tcfg.topk, seconds=tcfg.eval_audio_seconds,
                             batch_size=tcfg.val_batch_size, device=world.device)
        append_metrics(out, {"kind": "val", "step": step, "epoch": sampler.epoch,
                             "time_s": time.perf_counter() - t_start, **val})
        return val

    bar = None
    if progress and world.is_main:
        from tqdm import tqdm

        bar = tqdm(total=stop, initial=step, desc="train", unit="step", dynamic_ncols=True)
    t_last, n_last, loss_sum = time.perf_counter(), 0, {"loss": 0.0, "coarse": 0.0, "fine": 0.0}
    t_start = t_last
    out_of_time = False
    while step < stop and not out_of_time:
        batches = sampler.remaining()[: stop - step]
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=[local_slice(b, world) for b in batches],
                                             collate_fn=collate, num_workers=tcfg.num_workers,
                                             generator=torch.Generator().manual_seed(tcfg.seed))
        for batch in loader:
            lr = opt.current_lr()
            autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext())
            with autocast:
                losses = objective(batch["wav"].to(world.device), batch["padding_mask"].to(world.device),
                                   batch["feats"].to(world.device), batch["boxes"].to(world.device),
                                   batch["image"].to(world.device))
            losses["loss"].backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(params, tcfg.max_grad_norm)
            opt.step()
            opt.zero_grad(set_to_none=True)
            sampler.advance()
            step += 1
            n_last += tcfg.batch_size
            for k in loss_sum:
                loss_sum[k] += float(losses[k].detach())
            if world.is_main and (step % 10 == 0 or step == stop):
                k = step % 10 or 10
                rec = {f"{n}": v / k for n, v in loss_sum.items()}
                rate = n_last / (time.perf_counter() - t_last)
                append_metrics(out, {"kind": "train", "step": step, "epoch": sampler.epoch, "lr": lr,
                                     "time_s": time.perf_counter() - t_start,
                                     "grad_norm": float(grad_norm), "samples_per_s": rate, **rec})
                if bar is not None:
                    bar.set_postfix(loss=f"{rec['loss']:.3f}", samples_per_s=f"{rate:.1f}")
                t_last, n_last, loss_sum = time.perf_counter(), 0, dict.fromkeys(loss_sum, 0.0)
            if bar is not None:
                bar.update(1)
            if max_seconds is not None:
                out_of_time = _any_rank(time.perf_counter() - t_start >= max_seconds, world)
            if step % tcfg.val_every_steps == 0 or step == stop or out_of_time:
                val = validate() if world.is_main else None
                model.train()
                checkpoint(val)
                barrier(world)
            if out_of_time:
                break
    if bar is not None:
        bar.close()
    return out / "best" if (out / "best").exists() else out / "last"
