"""Two gloo processes train the same objective as one process on the whole batch: the loss is computed
over the global batch (captions on one rank are negatives for images on the other, and other captions of
the same image are masked across ranks), and one update moves every parameter the same way."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from vgprobe.fastvgs import FaSTVGS, FaSTVGSConfig
from vgprobe.train.distributed import World, use_global_batchnorm
from vgprobe.fastvgs.loss import LossWeights
from vgprobe.train.optim import BertAdam
from vgprobe.train.objective import Objective

from vgcorpus_data import SMALL_MODEL

B = 4
IMAGE_IDS = [0, 1, 0, 2]  # captions 0 and 2 share image 0 and sit on different ranks


def make_model() -> FaSTVGS:
    torch.manual_seed(0)
    model = FaSTVGS(FaSTVGSConfig.from_dict(SMALL_MODEL | {"dropout": 0.0, "attention_dropout": 0.0,
                                                           "dropout_input": 0.0, "bert_dropout": 0.0,
                                                           "bert_attention_dropout": 0.0}))
    for name, p in model.named_parameters():
        p.requires_grad_("feature_extractor" not in name)
    return model.train()


def make_batch():
    g = torch.Generator().manual_seed(1)
    wav = torch.randn(B, 8000, generator=g)
    mask = torch.zeros(B, 8000, dtype=torch.bool)
    mask[1, 6000:] = True
    return (wav, mask, torch.randn(B, 36, 2048, generator=g), torch.rand(B, 36, 4, generator=g),
            torch.tensor(IMAGE_IDS))


def one_step(model, objective, rows):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = BertAdam(params, lr=1e-2, warmup=0.0, t_total=None)
    batch = make_batch()
    losses = objective(*(x[rows] for x in batch))
    losses["loss"].backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    opt.step()
    return {k: float(v.detach()) for k, v in losses.items()}, grads


def _worker(rank: int, world_size: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        torch.set_num_threads(1)
        model = use_global_batchnorm(make_model())
        world = World(rank, world_size, torch.device("cpu"))
        objective = torch.nn.parallel.DistributedDataParallel(
            Objective(model, LossWeights(0.1, 1.0, 1.0), world, pairs_per_chunk=64))
        n = B // world_size
        losses, grads = one_step(model, objective, slice(rank * n, (rank + 1) * n))
        if rank == 0:
            torch.save({"losses": losses, "grads": grads, "state": model.state_dict()}, out)
    finally:
        torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_equal_one_process_on_the_global_batch(tmp_path):
    out = tmp_path / "rank0.pt"
    mp.spawn(_worker, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    ddp = torch.load(out, weights_only=True)

    model = make_model()
    single, grads = one_step(model, Objective(model, LossWeights(0.1, 1.0, 1.0), World(0, 1, torch.device("cpu")), 64),
                      slice(0, B))
    for k in ("coarse", "fine", "loss"):
        assert ddp["losses"][k] == pytest.approx(single[k], rel=1e-5), k
    assert ddp["grads"].keys() == grads.keys()
    for k, g in grads.items():  # the averaged DDP gradient is the one-process gradient
        torch.testing.assert_close(ddp["grads"][k], g, rtol=1e-3, atol=1e-6)
    # The first BertAdam step moves each weight by about lr * m / sqrt(v) = 0.0316 * sign(g): float32 noise
    # in gradients that are ~0 in exact arithmetic becomes visible there, hence atol = 3e-3 of the step size.
    start = make_model().state_dict()
    moved = 0
    for k, v in model.state_dict().items():
        torch.testing.assert_close(ddp["state"][k], v, rtol=0, atol=1e-4)
        moved += not torch.equal(v, start[k])
    assert moved > 50  # the update is real


def test_local_batches_alone_give_a_different_loss():
    """The check above could not pass by accident: per-rank (local) losses differ from the global one."""
    model = make_model()
    obj = Objective(model, LossWeights(0.1, 1.0, 1.0), World(0, 1, torch.device("cpu")), 64)
    batch = make_batch()
    with torch.no_grad():
        full = obj(*batch)["loss"]
        half = obj(*(x[:2] for x in batch))["loss"]
    assert abs(float(full) - float(half)) > 0.1


# ------------------------------------------------------------------------ the Trainer under two processes
def _trainer_worker(rank: int, world_size: int, port: int, corpus: str, recipe: str, out: str) -> None:
    """One torchrun-like process: the Trainer finds its rank in the environment, as under torchrun."""
    from pathlib import Path

    from vgprobe.train import Trainer, train

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world_size),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    out = Path(out)
    try:
        trainer = Trainer.setup(recipe, corpus, out / "straight", device="cpu")
        with torch.random.fork_rng(devices=[]):  # look at the stream dropout will draw from, without moving it
            mask = torch.nn.functional.dropout(torch.ones(512), 0.5) != 0
        torch.save({"mask": mask, "init": trainer.model.state_dict()}, out / f"rank{rank}.pt")
        trainer.fit(max_steps=4, progress=False)
        train(recipe, corpus, out / "resumed", max_steps=2, device="cpu", progress=False)
        train(recipe, corpus, out / "resumed", max_steps=4, resume=True, device="cpu", progress=False)
    finally:
        torch.distributed.destroy_process_group()


def test_ranks_draw_their_own_dropout_and_resume_exactly(corpus, recipe, tmp_path):
    """With dropout on (the test recipe), the ranks start from the same weights but draw different dropout
    masks; each rank's random state is saved, so 2 + resume + 2 steps under two processes equal 4 steps."""
    from safetensors.torch import load_file

    from vgprobe.errors import ConfigError
    from vgprobe.train import Trainer

    mp.spawn(_trainer_worker, args=(2, _free_port(), str(corpus), str(recipe), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    for k, v in r0["init"].items():
        assert torch.equal(v, r1["init"][k]), k  # one initialisation
    assert not torch.equal(r0["mask"], r1["mask"])  # two dropout streams
    straight = load_file(str(tmp_path / "straight" / "last" / "model.safetensors"))
    resumed = load_file(str(tmp_path / "resumed" / "last" / "model.safetensors"))
    for k, v in straight.items():
        assert torch.equal(v, resumed[k]), k
    state = torch.load(tmp_path / "resumed" / "last" / "training_state.pt", weights_only=True)
    assert state["world_size"] == 2 and len(state["rng"]) == 2
    assert not torch.equal(state["rng"][0]["cpu"], state["rng"][1]["cpu"])
    with pytest.raises(ConfigError, match="2 processes"):
        Trainer.setup(recipe, corpus, tmp_path / "resumed", resume=True, device="cpu")
