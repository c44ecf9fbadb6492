import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
# The FaST-VGS parity fixture: inputs and outputs of the authors' code (tests/data/fastvgs_reference/README.md).
FIXTURE = REPO / "tests" / "data" / "fastvgs_reference"


@pytest.fixture(scope="session")
def fastvgs_fixture_dir() -> Path:
    """The authors' parity fixture; it is part of the repository, so a missing file is a failure."""
    missing = [n for n in ("args.pkl", "expected.npz", "inputs.npz", "keys.tsv") if not (FIXTURE / n).is_file()]
    if missing:
        pytest.fail(f"FaST-VGS parity fixture incomplete at {FIXTURE}: missing {missing}")
    return FIXTURE


@pytest.fixture(scope="session")
def authors_checkpoint(fastvgs_fixture_dir: Path, tmp_path_factory) -> Path:
    """The fixture's weights written as an authors' release folder (best_bundle.pth + args.pkl)."""
    from fastvgs_weights import build_authors_folder

    return build_authors_folder(fastvgs_fixture_dir, tmp_path_factory.mktemp("authors") / "fast-vgs-coco")


@pytest.fixture(scope="session")
def authors_model(authors_checkpoint: Path):
    import vgprobe.fastvgs as fv

    return fv.load(authors_checkpoint)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A tiny SpokenCOCO-layout corpus (tone 'captions', random region features; tests/vgcorpus_data.py)."""
    from vgcorpus_data import write_corpus

    return write_corpus(tmp_path_factory.mktemp("vg"))


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> Path:
    """A small FaST-VGS recipe with dropout on (tests/vgcorpus_data.py)."""
    from vgcorpus_data import write_recipe

    return write_recipe(tmp_path_factory.mktemp("recipe") / "small.yaml")


@pytest.fixture(scope="session")
def sweep_inputs(tmp_path_factory):
    """A small synthetic ZR2021 set, pseudo word alignments of dev-clean and a tiny checkpoint (tests/sweep_data.py)."""
    from types import SimpleNamespace

    from sweep_data import pseudo_word_alignments, small_zr2021, tiny_checkpoint

    base = tmp_path_factory.mktemp("sweep")
    zr = small_zr2021(base / "zr2021")
    return SimpleNamespace(zr=zr, checkpoint=tiny_checkpoint(base / "checkpoint"),
                           alignments=pseudo_word_alignments(zr, "dev-clean", base / "words.json"))


@pytest.fixture(scope="session")
def sweep_run(sweep_inputs, tmp_path_factory):
    """`vgprobe sweep` run once on ``sweep_inputs``: layers trm1.1, trm1.6 and the coarse trm2.1 of the checkpoint,
    of its random twin, and log-mel; every measure; word probes on the alignments too. Its stderr is kept."""
    import contextlib
    import io
    from types import SimpleNamespace

    from vgprobe.cli import main

    base = tmp_path_factory.mktemp("sweep-run")
    out, cache, err = base / "out", base / "cache", io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["sweep", "--checkpoint", str(sweep_inputs.checkpoint), "--data", str(sweep_inputs.zr),
                     "--out", str(out), "--cache", str(cache), "--layers", "trm1.1,trm1.6,trm2.1",
                     "--alignments", f"dev-clean={sweep_inputs.alignments}", "--no-progress"])
    assert code == 0, err.getvalue()
    return SimpleNamespace(out=out, cache=cache, log=err.getvalue(), inputs=sweep_inputs)
