"""The analysis notebooks: committed clean (no outputs, nbformat 4.5 cell ids) and runnable headless.

Every notebook is executed with nbclient on a quickstart-like folder built here: ``sweep/`` (the session's
sweep, conftest.py), ``train/best`` (its tiny checkpoint), ``data/vg`` (a synthetic image–caption corpus of 60
images, 6 of them in the test split) and ``heads/`` (a small ``vgprobe heads`` report of that checkpoint).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[1] / "analysis"
NOTEBOOKS = sorted(ANALYSIS.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebooks_have_cell_ids_and_no_outputs(path):
    nbformat = pytest.importorskip("nbformat")

    nb = json.loads(path.read_text(encoding="utf-8"))
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5), "cell ids need nbformat 4.5"
    for i, cell in enumerate(nb["cells"]):
        assert cell.get("id"), f"{path.name}: cell {i} has no id"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: cell {i} has outputs"
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    ids = [c["id"] for c in nb["cells"]]
    assert len(set(ids)) == len(ids)


@pytest.fixture(scope="module")
def quickstart_like(sweep_run, tmp_path_factory) -> Path:
    from vgprobe.synth import build_vg_corpus

    run = tmp_path_factory.mktemp("quickstart-like")
    shutil.copytree(sweep_run.out, run / "sweep")
    shutil.copytree(sweep_run.inputs.checkpoint, run / "train" / "best")
    build_vg_corpus(run / "data" / "vg", images=60, captions_per_image=1, seed=0)
    from vgprobe.pipelines.heads import HeadsConfig, heads_report

    heads_report(HeadsConfig(checkpoint=str(run / "train" / "best"), data=sweep_run.inputs.zr, out=run / "heads",
                             max_files=4, clusters=8, views=1), log=lambda m: None)
    return run


def execute(name: str, run: Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    monkeypatch.setenv("VGPROBE_RUN", str(run))
    before = sorted(p.name for p in ANALYSIS.iterdir())
    nb = nbformat.read(ANALYSIS / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(ANALYSIS)}}).execute()
    assert sorted(p.name for p in ANALYSIS.iterdir()) == before, "the notebook wrote into analysis/"
    return nb


def outputs(cell) -> tuple[str, list[str]]:
    text, kinds = "", []
    for out in cell.get("outputs", []):
        kinds += list(out.get("data", {}))
        text += out.get("text", "") + "".join(out.get("data", {}).get("text/plain", ""))
    return text, kinds


def test_the_layer_sweep_notebook_shows_the_sweeps_tables_and_plots(quickstart_like, monkeypatch):
    nb = execute("layer_sweep.ipynb", quickstart_like, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = [outputs(c)[0] for c in code]
    assert "random:tiny" in texts[0] and "logmel" in texts[0]  # the models table
    assert "trm1.6" in texts[1]  # best layers with the paper's choice
    assert "ABX within speaker, dev-clean" in texts[2]
    assert "frame shift of 0.32 s" in texts[3]  # what was not scored, and why
    images = sum(outputs(c)[1].count("image/png") for c in code)
    assert images == 3  # one figure per family: ABX, sSIMI, probes


def test_the_retrieval_explorer_ranks_a_caption_by_coarse_and_ctf_scores(quickstart_like, monkeypatch):
    nb = execute("retrieval_explorer.ipynb", quickstart_like, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "6 captions, 6 images in the test split" in outputs(code[0])[0]
    text, kinds = outputs(code[1])
    assert "image/png" in kinds  # the two rows of scene images
    assert "coarse-to-fine" in text and "fine_score" in text
    assert "target in top 5" in outputs(code[2])[0]


def test_the_attention_heads_notebook_shows_the_reports_tables_and_plots(quickstart_like, monkeypatch):
    nb = execute("attention_heads.ipynb", quickstart_like, monkeypatch)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = [outputs(c)[0] for c in code]
    assert "'random': 'random:tiny'" in texts[0] and "entropy_bits" in texts[0]
    assert "best trained layer by boundary F1: trm" in texts[2] and "boundary_f1" in texts[2]
    assert "equal to the report's: True" in texts[3]
    assert "harm" in texts[4]
    images = sum(outputs(c)[1].count("image/png") for c in code)
    assert images == 4  # heat maps, word discovery per layer, CLS attention, ablation
