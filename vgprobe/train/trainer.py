"""Training FaST-VGS as the authors did, from one CPU to many GPUs under torchrun.

Each update: encode the local captions and images; gather coarse embeddings, image sequences and image
ids over all processes; loss = λc·L(coarse B×B) + λf·L(fine B×B) on the global batch; backward; clip
the gradient norm; BertAdam step (warm-up-linear schedule over ``t_total = ⌊n_train / B⌋ · epochs``).
The CNN is frozen (no gradients, not in the optimiser). Validation every ``val_every_steps`` and at the
end: coarse and coarse-to-fine recall on the val split; ``best`` = highest mean R@1. Validation runs on rank 0
while the other processes wait (see :mod:`vgprobe.train.distributed` for the collective timeout this needs).

Every process builds the same initial model; then each draws its own dropout stream
(:func:`vgprobe.train.rng.seed_stochastic_parts`), while all follow the same batch order. ``last`` holds every
process's random state, so a run resumes exactly, with the same number of processes.

A :class:`Trainer` is built in three parts — :meth:`Trainer.setup` (data validated before anything is
written, run folder, model, optimiser), :meth:`Trainer.restore` (resume from ``last``) — and run by
:meth:`Trainer.fit`, which calls :meth:`Trainer.step`, :meth:`Trainer.validate` and :meth:`Trainer.save`.

Example::

    best = train("tiny", "vg/", "runs/tiny", max_steps=200)    # -> runs/tiny/best (a vgprobe checkpoint)

    trainer = Trainer.setup("tiny", "vg/", "runs/tiny")        # the same, one part at a time
    losses = trainer.step(next(iter(trainer.loader(trainer.sampler.remaining()))))
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
from torch import nn

from vgprobe.errors import ConfigError
from vgprobe.fastvgs.config import FaSTVGSConfig
from vgprobe.fastvgs.loss import LossWeights
from vgprobe.fastvgs.model import FaSTVGS
from vgprobe.train.config import TrainConfig, resolve_config
from vgprobe.train.data import CaptionDataset, Split, collate, load_split
from vgprobe.train.distributed import (
    DEFAULT_COLLECTIVE_TIMEOUT,
    World,
    barrier,
    gather_objects,
    gather_plain,
    init_world,
    use_global_batchnorm,
)
from vgprobe.train.evaluate import evaluate_split
from vgprobe.train.objective import Objective
from vgprobe.train.optim import BertAdam
from vgprobe.train.rng import capture_rng, restore_rng, seed_stochastic_parts
from vgprobe.train.runfolder import append_metrics, load_state, prepare_run, save_checkpoint, trim_metrics
from vgprobe.train.sampler import EpochSampler, local_slice

LOSSES = ("loss", "coarse", "fine")
LOG_EVERY = 10  # steps per "train" record in metrics.jsonl


@dataclass
class Trainer:
    """One training run: its configuration, data, model, optimiser and position (``step``, ``best``)."""

    out: Path
    world: World
    model_cfg: FaSTVGSConfig
    cfg: TrainConfig
    config: dict  # the resolved configuration, as saved in run.json
    train_split: Split
    val_split: Split
    sampler: EpochSampler
    model: FaSTVGS
    params: list[torch.nn.Parameter]
    opt: BertAdam
    amp: bool = False
    step_count: int = 0
    best: float = -math.inf
    objective: nn.Module | None = None

    # ----------------------------------------------------------------------------------------- setup
    @classmethod
    def setup(
        cls,
        recipe: str | Path,
        data_dir: str | Path,
        out_dir: str | Path,
        *,
        overrides: dict | None = None,
        init_w2v2: str | Path | None = None,
        audio_root: str | Path | None = None,
        resume: bool = False,
        drop_missing: bool = False,
        device: str | None = None,
        amp: bool = False,
        collective_timeout: timedelta = DEFAULT_COLLECTIVE_TIMEOUT,
    ) -> "Trainer":
        """Validate the data (before anything is written: a refused start leaves nothing behind), prepare the
        run folder, build the model (on its device) and optimiser; with ``resume``, continue from
        ``out_dir/last``. ``collective_timeout``: the longest wait of any process at a collective (rank 0's
        validation is one), under torchrun."""
        world = init_world(device, collective_timeout=collective_timeout)
        out = Path(out_dir)
        model_cfg, tcfg, config = resolve_config(recipe, overrides)
        config["data"] = {"dir": str(Path(data_dir).resolve()), "dataset": tcfg.dataset,
                          "audio_root": str(Path(audio_root).resolve()) if audio_root else None}
        config["init_w2v2"] = str(init_w2v2) if init_w2v2 else None
        splits = [load_split(data_dir, name, dataset=tcfg.dataset, drop_missing=drop_missing, audio_root=audio_root)
                  for name in ("train", "val")]
        sampler = EpochSampler(len(splits[0].captions), tcfg.batch_size, tcfg.seed)
        if amp and world.device.type != "cuda":
            raise ConfigError("--amp (bf16 autocast) is for GPUs; on CPU train in fp32")
        if world.is_main:
            out.mkdir(parents=True, exist_ok=True)
            prepare_run(out, config, resume=resume)
        barrier(world)

        torch.manual_seed(tcfg.seed)
        model = FaSTVGS(model_cfg)
        if init_w2v2 and not resume:
            from vgprobe.fastvgs.init_w2v2 import init_from_wav2vec2

            init_from_wav2vec2(model, init_w2v2)
        seed_stochastic_parts(tcfg.seed, world.rank)
        model.trm1.freeze_cnn = not tcfg.train_cnn
        for name, p in model.named_parameters():
            p.requires_grad_(tcfg.train_cnn or "feature_extractor" not in name)
        model.to(world.device)  # before the optimiser state exists: restored moments land beside their parameters
        params = [p for p in model.parameters() if p.requires_grad]
        opt = BertAdam(params, lr=tcfg.lr, warmup=tcfg.warmup_fraction, t_total=sampler.steps_per_epoch * tcfg.epochs,
                       betas=tcfg.betas, eps=tcfg.eps, weight_decay=tcfg.weight_decay)
        trainer = cls(out=out, world=world, model_cfg=model_cfg, cfg=tcfg, config=config, train_split=splits[0],
                      val_split=splits[1], sampler=sampler, model=model, params=params, opt=opt, amp=amp)
        if resume:
            trainer.restore()
        trainer._place()
        return trainer

    @property
    def t_total(self) -> int:
        """Updates in the whole schedule (the warm-up/decay span), whatever ``max_steps`` cuts it to."""
        return self.sampler.steps_per_epoch * self.cfg.epochs

    def restore(self) -> None:
        """Continue from ``out/last``: weights, optimiser (its state moved to each parameter's device), sampler,
        this process's random state, step and best score. A run saved by N processes resumes with N."""
        import vgprobe.fastvgs as fv

        state = load_state(self.out)
        rng = state["rng"]
        if isinstance(rng, dict):  # written before per-process states were saved: one process, CPU stream
            rng = [{"cpu": rng["torch"], "cuda": None}]
        if len(rng) != self.world.size:
            raise ConfigError(
                f"{self.out / 'last'} was saved by {len(rng)} processes and this run has {self.world.size}: "
                f"each process continues its own dropout stream, so resume with {len(rng)} processes "
                f"(torchrun --nproc_per_node {len(rng)}, or no torchrun for 1)")
        self.model.load_state_dict(fv.load(self.out / "last").state_dict())
        self.opt.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(state["sampler"])
        restore_rng(rng[self.world.rank], self.world.device)
        self.step_count, self.best = state["step"], state["best"]
        if self.world.is_main:
            trim_metrics(self.out, self.step_count)

    def _place(self) -> None:
        """Put the model (already on its device) in training mode, and wrap the objective (DDP across processes)."""
        self.model.train()
        weights = LossWeights(self.cfg.coarse_weight, self.cfg.fine_weight, self.cfg.margin)
        objective: nn.Module = Objective(self.model, weights, self.world, self.cfg.pairs_per_chunk,
                                         self.cfg.fine_checkpoint)
        if self.world.distributed:
            dev = self.world.device
            use_global_batchnorm(self.model, device=dev)  # Conv2's BatchNorm sees the global batch, as one process
            objective = nn.parallel.DistributedDataParallel(
                objective, device_ids=[dev.index] if dev.type == "cuda" else None,
                find_unused_parameters=not (self.cfg.coarse_weight and self.cfg.fine_weight))
        self.objective = objective

    # ------------------------------------------------------------------------------------------ parts
    def loader(self, batches: list[list[int]]) -> torch.utils.data.DataLoader:
        """A loader over this process's share of the given global batches."""
        dataset = CaptionDataset(self.train_split, seconds=self.cfg.train_audio_seconds)
        return torch.utils.data.DataLoader(
            dataset, batch_sampler=[local_slice(b, self.world.rank, self.world.size) for b in batches],
            collate_fn=collate, num_workers=self.cfg.num_workers,
            generator=torch.Generator().manual_seed(self.cfg.seed))

    def step(self, batch: dict) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """One update on one (local share of a) global batch: (detached losses, gradient norm).

        On the CPU the forward and backward passes run with PyTorch's deterministic algorithms: the fine pass's
        backward accumulates gradients of repeated indices (``index_put_``), in a thread-dependent order on the
        CPU otherwise, and a run must repeat exactly to resume exactly. (On CUDA the kernels are left as they
        are; ``benchmarks/gpu_check.py`` measures their run-to-run noise.)"""
        dev = self.world.device
        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if self.amp else contextlib.nullcontext()
        with _deterministic(dev.type == "cpu"):
            with autocast:
                losses = self.objective(batch["wav"].to(dev), batch["padding_mask"].to(dev), batch["feats"].to(dev),
                                        batch["boxes"].to(dev), batch["image"].to(dev))
            losses["loss"].backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, self.cfg.max_grad_norm)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.sampler.advance()
        self.step_count += 1
        return {k: losses[k].detach() for k in LOSSES}, grad_norm

    def validate(self, elapsed: float) -> dict:
        """Retrieval on the val split (coarse, and CTF when the fine loss is on); appended to metrics.jsonl.
        The training RNG is not moved."""
        modes = ("coarse", "ctf") if self.cfg.fine_weight else ("coarse",)
        with torch.random.fork_rng(devices=[]):
            val = evaluate_split(self.model, self.val_split, modes=modes, kc=self.cfg.topk,
                                 seconds=self.cfg.eval_audio_seconds, batch_size=self.cfg.val_batch_size,
                                 device=self.world.device)
        append_metrics(self.out, {"kind": "val", "step": self.step_count, "epoch": self.sampler.epoch,
                                  "time_s": elapsed, **val})
        self.model.train()
        return val

    def save(self, val: dict | None) -> None:
        """``last`` (model + training state) and, when ``val`` improves the best mean R@1, ``best``. Called by
        every process (each contributes its random state); rank 0 writes."""
        rng = gather_objects(capture_rng(self.world.device), self.world)
        if not self.world.is_main:
            return
        extra = {"step": self.step_count, "run": self.config}
        if val is not None and val["mean_R@1"] > self.best:
            self.best = val["mean_R@1"]
            save_checkpoint(self.out, "best", self.model, state=None, extra=extra | {"val": val})
        state = {"step": self.step_count, "best": self.best, "optimizer": self.opt.state_dict(),
                 "sampler": self.sampler.state_dict(), "rng": rng, "world_size": self.world.size,
                 "t_total": self.t_total}
        save_checkpoint(self.out, "last", self.model, state=state, extra=extra)

    # ------------------------------------------------------------------------------------------- loop
    def fit(self, *, max_steps: int | None = None, max_seconds: float | None = None, progress: bool = True) -> Path:
        """Train to the end of the schedule (or ``max_steps``; or the first step at which the loop's wall time,
        validation included, reaches ``max_seconds``), validating and checkpointing on the way; returns the
        ``best`` checkpoint folder (``last`` if no validation improved)."""
        stop = self.t_total if max_steps is None else min(max_steps, self.t_total)
        log = _TrainLog(self, stop, progress=progress)
        out_of_time = False
        while self.step_count < stop and not out_of_time:
            for batch in self.loader(self.sampler.remaining()[: stop - self.step_count]):
                lr = self.opt.current_lr()
                losses, grad_norm = self.step(batch)
                log.update(losses, grad_norm, lr, last=self.step_count == stop)
                if max_seconds is not None:
                    out_of_time = _any_rank(log.elapsed() >= max_seconds, self.world)
                if self.step_count % self.cfg.val_every_steps == 0 or self.step_count == stop or out_of_time:
                    val = self.validate(log.elapsed()) if self.world.is_main else None
                    self.save(val)
                    barrier(self.world)
                if out_of_time:
                    break
        log.close()
        return self.out / "best" if (self.out / "best").exists() else self.out / "last"


class _TrainLog:
    """Running loss averages written to metrics.jsonl every LOG_EVERY steps (and at the last step), and the
    progress bar. The sums stay on the device: values are read (one synchronisation) only for a record."""

    def __init__(self, trainer: Trainer, stop: int, *, progress: bool) -> None:
        self.trainer = trainer
        self.t_start = self.t_last = time.perf_counter()
        self._reset()
        self.bar = None
        if progress and trainer.world.is_main:
            from vgprobe.progress import progress as make_progress

            self.bar = make_progress(stop, initial=trainer.step_count, desc="train", unit="steps")

    def _reset(self) -> None:
        self.sums: torch.Tensor | None = None  # (len(LOSSES),) on the device
        self.n_steps = self.n_samples = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.t_start

    def update(self, losses: dict[str, torch.Tensor], grad_norm: torch.Tensor, lr: float, *, last: bool) -> None:
        tr = self.trainer
        step = tr.step_count
        values = torch.stack([losses[k].detach().float() for k in LOSSES])
        self.sums = values if self.sums is None else self.sums + values
        self.n_steps += 1
        self.n_samples += tr.cfg.batch_size
        if step % LOG_EVERY == 0 or last:
            if tr.world.is_main:
                *means, norm = torch.cat([self.sums / self.n_steps, grad_norm.detach().float().reshape(1)]).tolist()
                rec = dict(zip(LOSSES, means))
                rate = self.n_samples / (time.perf_counter() - self.t_last)
                append_metrics(tr.out, {"kind": "train", "step": step, "epoch": tr.sampler.epoch, "lr": lr,
                                        "time_s": self.elapsed(), "grad_norm": norm, "samples_per_s": rate, **rec})
                if self.bar is not None:
                    self.bar.set_postfix(loss=f"{rec['loss']:.3f}", samples_per_s=f"{rate:.1f}")
            self.t_last = time.perf_counter()
            self._reset()
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def _deterministic(enabled: bool):
    """PyTorch's deterministic algorithms while the block runs (when ``enabled``); the process's setting after."""
    if not enabled:
        yield
        return
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)


def _any_rank(flag: bool, world: World) -> bool:
    """True on every rank when ``flag`` is True on some rank (so all ranks stop at the same step)."""
    if not world.distributed:
        return flag
    return bool(gather_plain(torch.tensor([flag], device=world.device), world).any())


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
    collective_timeout: timedelta = DEFAULT_COLLECTIVE_TIMEOUT,
) -> Path:
    """Train (or resume) a run in ``out_dir``; returns the ``best`` checkpoint folder (``last`` if no
    validation improved). ``max_steps`` stops early (the schedule still spans the full recipe);
    ``max_seconds`` stops after the first step at which the loop's wall time (validation included) reaches
    it, then validates and checkpoints as at the end. Metrics records carry ``time_s``, the loop's wall time.
    ``collective_timeout``: see :meth:`Trainer.setup`."""
    trainer = Trainer.setup(recipe, data_dir, out_dir, overrides=overrides, init_w2v2=init_w2v2,
                            audio_root=audio_root, resume=resume, drop_missing=drop_missing, device=device, amp=amp,
                            collective_timeout=collective_timeout)
    return trainer.fit(max_steps=max_steps, max_seconds=max_seconds, progress=progress)
