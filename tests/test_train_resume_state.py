"""What a resumed run restores, and where: optimiser state on its parameters' device, the random streams of
every device the run draws from, and a first logged loss average over exactly the steps it summed."""

import json

import pytest
import torch

from vgprobe.train import Trainer, train
from vgprobe.train import trainer as trainer_module
from vgprobe.train.distributed import World
from vgprobe.train.rng import capture_rng, restore_rng


@pytest.mark.filterwarnings("ignore:.*copying from a non-meta parameter")
def test_resumed_optimiser_state_lives_on_each_parameters_device(corpus, recipe, tmp_path):
    """A run saved on one device and resumed on another (here: CPU, then PyTorch's storage-less ``meta`` device,
    which stands in for a GPU) must find BertAdam's moments beside their parameters, or the first step fails."""
    train(recipe, corpus, tmp_path / "run", max_steps=2, progress=False)
    trainer = Trainer.setup(recipe, corpus, tmp_path / "run", resume=True, device="meta")
    assert trainer.step_count == 2
    states = [(p, trainer.opt.state[p]) for p in trainer.params]
    assert states and all(s for _, s in states)  # every trained parameter has saved moments
    for p, s in states:
        assert p.device.type == "meta"
        assert s["next_m"].device == p.device and s["next_v"].device == p.device


def test_cuda_random_states_are_saved_and_restored_for_the_process_device(corpus, recipe, tmp_path, monkeypatch):
    """Dropout on a GPU draws from that GPU's generator: exact resume needs its state as well as the CPU's.
    (The CUDA calls are replaced by recording fakes: the test runs without a GPU.)"""
    drawn = {0: torch.tensor([1, 2, 3], dtype=torch.uint8), 1: torch.tensor([4, 5, 6], dtype=torch.uint8)}
    restored = {}
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device: drawn[torch.device(device).index].clone())
    monkeypatch.setattr(torch.cuda, "set_rng_state",
                        lambda state, device: restored.__setitem__(torch.device(device).index, state.clone()))
    gpu1 = torch.device("cuda", 1)
    state = capture_rng(gpu1)
    assert torch.equal(state["cuda"], drawn[1]) and torch.equal(state["cpu"], torch.get_rng_state())
    restore_rng(state, gpu1)
    assert list(restored) == [1] and torch.equal(restored[1], drawn[1])
    assert capture_rng(torch.device("cpu"))["cuda"] is None
    restored.clear()
    torch.manual_seed(123)
    restore_rng(state, torch.device("cpu"))  # a GPU run continued on the CPU: only the CPU stream applies
    assert not restored and torch.equal(torch.get_rng_state(), state["cpu"])

    # through the trainer: save() writes the process device's state, restore() puts it back
    trainer = Trainer.setup(recipe, corpus, tmp_path / "run", device="cpu")
    trainer.world = World(0, 1, gpu1)
    trainer.save(None)
    saved = torch.load(tmp_path / "run" / "last" / "training_state.pt", weights_only=True)
    assert len(saved["rng"]) == 1 and torch.equal(saved["rng"][0]["cuda"], drawn[1])
    restored.clear()
    trainer.restore()
    assert torch.equal(restored[1], drawn[1])


def test_first_logged_average_after_a_resume_is_the_mean_of_the_steps_it_covers(corpus, recipe, tmp_path,
                                                                                 monkeypatch):
    """Resumed at step 3, the first record (step 10) averages steps 4..10: 7 losses, not 10."""
    overrides = {"val_every_steps": 50}  # validate only where the runs stop
    out = tmp_path / "run"
    train(recipe, corpus, out, overrides=overrides, max_steps=3, progress=False)
    recorded: list[dict[str, float]] = []
    original = Trainer.step

    def recording(self, batch):
        losses, grad_norm = original(self, batch)
        recorded.append({k: float(v) for k, v in losses.items()})
        return losses, grad_norm

    monkeypatch.setattr(Trainer, "step", recording)
    train(recipe, corpus, out, overrides=overrides, max_steps=12, resume=True, progress=False)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in rows if r["kind"] == "train"]
    assert [r["step"] for r in logged] == [3, 10, 12]
    assert len(recorded) == 9  # steps 4..12
    for k in ("loss", "coarse", "fine"):
        window = [r[k] for r in recorded[:7]]
        assert logged[1][k] == pytest.approx(sum(window) / 7, rel=1e-6), k
        assert logged[2][k] == pytest.approx(sum(r[k] for r in recorded[7:]) / 2, rel=1e-6), k


def test_losses_are_read_from_the_device_only_at_steps_that_write_a_record(corpus, recipe, tmp_path, monkeypatch):
    """No host synchronisation per step: the running sums stay on the device and floating-point values are read
    (``float``, ``item``, ``tolist``) only when a metrics record is written."""
    monkeypatch.setattr(trainer_module, "LOG_EVERY", 4)
    monkeypatch.setattr(Trainer, "validate", lambda self, elapsed: None)
    trainer = Trainer.setup(recipe, corpus, tmp_path / "run", overrides={"val_every_steps": 50})
    monkeypatch.setattr(trainer, "save", lambda val: None)
    reads: list[int] = []
    for name in ("__float__", "item", "tolist"):
        original = getattr(torch.Tensor, name)

        def reading(self, *args, _original=original, **kwargs):
            if self.is_floating_point():
                reads.append(trainer.step_count)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, reading)
    trainer.fit(max_steps=8, progress=False)
    assert reads and set(reads) == {4, 8}


def test_two_cpu_runs_of_the_tiny_recipe_give_identical_weights(corpus, tmp_path):
    """Exact resume presumes a deterministic step. The fine pass indexes captions and images with repeated
    indices, whose backward accumulates (index_put_ with accumulate=True) in a thread-dependent order on the
    CPU once tensors are large enough to be split across threads (the ``tiny`` widths are; the small test
    recipe's are not), so the CPU step runs with PyTorch's deterministic algorithms."""
    from safetensors.torch import load_file

    overrides = {"batch_size": 4, "train_audio_seconds": 0.5, "eval_audio_seconds": 0.5, "val_every_steps": 50}
    for name in ("a", "b"):
        train("tiny", corpus, tmp_path / name, overrides=overrides, max_steps=3, device="cpu", progress=False)
    wa, wb = (load_file(str(tmp_path / n / "last" / "model.safetensors")) for n in "ab")
    assert [k for k in wa if not torch.equal(wa[k], wb[k])] == []
    assert not torch.are_deterministic_algorithms_enabled()  # the process's setting is left as it was
