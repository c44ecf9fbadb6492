"""Write small inputs for the toolkit conformance check: a dataset root, an extracted layer folder, score files.

    python tests/toolkit/make_toy_inputs.py OUT

writes, without speech synthesis or a model (seconds, numpy + standard library):

- ``OUT/data``: a ZeroSpeech 2021 root (``phonetic/dev-clean|dev-other``, ``semantic/dev``
  with gold.csv and pairs.csv, ``lexical/dev`` and ``syntactic/dev`` with gold.csv) whose
  ``.wav`` files are 0.1 s of silence: the toolkit's validators only list their names;
- ``OUT/layer``: a layer folder as ``vgprobe extract`` writes it (``meta.yaml`` with a
  ``vgprobe.settings`` block; float32 ``.npy`` or ``.txt`` features mirroring the dataset),
  with random features: this checks the submission format, not a model;
- ``OUT/lexical.txt`` and ``OUT/syntactic.txt``: score files for the gold files.

``tests/toolkit/run_toolkit_check.sh`` builds the two submissions from these with
``vgprobe submission`` and validates them with the toolkit.
"""

from __future__ import annotations

import hashlib
import sys
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]
from lm_data import write_lexical_gold, write_scores, write_syntactic_gold  # noqa: E402
from semantic_data import write_semantic_set  # noqa: E402


def silence(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 1600)


def main(out: Path) -> None:
    rng = np.random.default_rng(0)
    data, layer = out / "data", out / "layer"
    for subset in ("dev-clean", "dev-other"):
        for k in range(6):
            stem = f"{100 + k % 2}-1-{k:04d}"
            silence(data / "phonetic" / subset / f"{stem}.wav")
            target = layer / "phonetic" / subset / f"{stem}.npy"
            target.parent.mkdir(parents=True, exist_ok=True)
            np.save(target, rng.normal(size=(int(rng.integers(20, 60)), 8)).astype(np.float32))
    semantic = write_semantic_set(out / "semantic-src", seed=3, n_words=12, pairs_per_dataset=8, dim=8)
    dev = data / "semantic" / "dev"
    dev.mkdir(parents=True)
    (dev / "gold.csv").write_text(semantic.gold.read_text())
    (dev / "pairs.csv").write_text(semantic.pairs.read_text())
    for src in sorted(semantic.features.rglob("*.txt")):
        type_ = src.parent.name
        silence(dev / type_ / f"{src.stem}.wav")
        target = layer / "semantic" / "dev" / type_ / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(src.read_text())
    for task, write_gold, kwargs in (("lexical", write_lexical_gold, dict(n_ids=30)),
                                     ("syntactic", write_syntactic_gold, dict(ids_per_subtype=3))):
        gold = write_gold(data / task / "dev" / "gold.csv", seed=5, **kwargs)
        for line in gold.read_text().splitlines()[1:]:
            silence(data / task / "dev" / f"{line.split(',')[1]}.wav")
        write_scores(gold, out / f"{task}.txt", kind="continuous", seed=6)
    sha = hashlib.sha256(b"vgprobe toolkit conformance check: random features, seed 0").hexdigest()
    (layer / "meta.yaml").write_text(
        "vgprobe:\n  version: toy\n  settings:\n"
        "    model: random features (toolkit conformance check)\n"
        f"    model_sha256: {sha}\n    checkpoint: none\n    layer: toy\n    frame_shift: 0.02\n"
        f"    data: {data.resolve()}\n    split: dev\n"
    )
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
