"""The README's Python API section runs as written, and what it promises holds."""

from __future__ import annotations

import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def _api_snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "the README's Python API section has no python code block"
    return match.group(1)


def test_python_api_snippet_runs_as_written() -> None:
    namespace: dict = {}
    exec(compile(_api_snippet(), str(README), "exec"), namespace)  # noqa: S102 - our own README
    out, coarse, fine, chosen = namespace["out"], namespace["coarse"], namespace["fine"], namespace["chosen"]
    assert out["trm1.6"].shape[0] == 2 and out.masks["trm1.6"].dtype == torch.bool
    assert coarse.shape == fine.shape == (2, 3) and chosen.shape == (2,)
    # inference results carry no autograd graph
    for t in (out["trm1.6"], out["trm2.1"], coarse, fine, chosen):
        assert t.grad_fn is None and not t.requires_grad
    # the chosen pairs' scores are those of the full fine matrix
    torch.testing.assert_close(chosen, torch.stack([fine[0, 2], fine[1, 0]]), rtol=1e-5, atol=1e-5)
