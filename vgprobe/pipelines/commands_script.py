"""``commands.sh``: the CLI calls behind a report, written so that they can be run again elsewhere.

Paths are written relative to two shell variables: ``$Q``, the folder the inputs live in (data, the training
run), and ``$R``, where the evaluation commands write (default: ``$Q``). Sections marked ``inputs`` (data,
training) are skipped when the script is run with ``--evaluation``, so the evaluations can be re-run into a
fresh ``$R`` against the same inputs::

    R=/tmp/again bash report/commands.sh --evaluation

Example::

    script = CommandsScript(inputs_root=Path("runs/q"))
    script.add("data", ["vgprobe", "synth", "vg", "--out", Q / "data" / "vg"], inputs=True)
    script.add("retrieval", ["vgprobe", "retrieve", "--json"], stdout=R / "retrieval.json")
    text = script.render()
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Sequence, Union


class Var(PurePosixPath):
    """A path under a shell variable (``Q / "data"`` renders as ``"$Q/data"``)."""


Q = Var("$Q")
R = Var("$R")
Token = Union[str, int, float, PurePosixPath]


def shell_word(token: Token) -> str:
    if isinstance(token, Var):
        head, *rest = token.parts
        return f'"{head}' + ("/" + "/".join(rest) if rest else "") + '"'
    return shlex.quote(str(token))


@dataclass
class CommandsScript:
    inputs_root: PurePosixPath
    lines: list[tuple[str, str, bool]] = field(default_factory=list)  # (section, command line, is an input)

    def add(self, section: str, argv: Sequence[Token], *, inputs: bool = False, stdout: Token | None = None) -> None:
        line = " ".join(shell_word(t) for t in argv)
        if stdout is not None:
            line += f" > {shell_word(stdout)}"
        self.lines.append((section, line, inputs))

    def render(self) -> str:
        out = [
            "#!/usr/bin/env bash",
            "# The CLI calls behind every table of this report (the same library code the pipeline ran).",
            "# Q: the folder of the inputs (data, training run); R: where the evaluations write (default: Q).",
            "#   bash commands.sh                                everything, in place",
            "#   R=/tmp/again bash commands.sh --evaluation      the evaluations only, into a fresh folder",
            "set -euo pipefail",
            f"Q=\"${{Q:-{self.inputs_root}}}\"",
            'R="${R:-$Q}"',
            'mkdir -p "$R"',
        ]
        section, in_inputs = None, False
        for name, line, inputs in self.lines:
            if inputs != in_inputs:
                out.append('if [ "${1:-}" != "--evaluation" ]; then' if inputs else "fi")
                in_inputs = inputs
            if name != section:
                out.append(f"\n# {name}")
                section = name
            out.append(line)
        if in_inputs:
            out.append("fi")
        return "\n".join(out) + "\n"
