"""Validate a vgprobe-built submission with the ZeroSpeech toolkit itself (zerospeech-benchmarks 0.9.4).

Run with the toolkit's own Python (it needs pydantic < 2 and pandas < 3, so it lives in its
own virtual environment, never in vgprobe's):

    python3 -m venv /work/refenv/zrc
    /work/refenv/zrc/bin/pip install "zerospeech-benchmarks==0.9.4" "pandas<3"
    /work/refenv/zrc/bin/python tests/toolkit/validate_submission.py SUBMISSION --data ZR2021_ROOT \
        [--benchmark-run] [--expect-lexical LEX.json] [--expect-syntactic SYN.json]

What it runs, offline (``tests/toolkit/zrc_offline.py`` writes an application folder that
indexes ``ZR2021_ROOT`` as the toolkit's ``sLM21-dataset`` and ``abxLS-dataset``):

1. ``MetaFile`` parsing of ``meta.yaml`` and ``MetaFile.is_valid()`` (the toolkit's meta
   checks before an upload). Its one error allowed here is "Username is required" when
   ``meta.yaml`` has no ``username``: the toolkit's upload fills it in.
2. The toolkit's own submission validation, as ``zrc benchmarks:run`` does it before
   scoring: ``SLM21Submission.load(...)`` or ``AbxLSSubmission.load(...)`` for the sets and
   tasks the folder holds, then ``.valid`` (every file present, 2-D float64 arrays, score
   files listing every audio file with a float score, ...), and its ``params.yaml``.
   (``zrc submission:verify`` would be the one-line way, but it crashes in 0.9.4: it reads
   ``argv.quiet``, which its parser never defines.)
3. With ``--benchmark-run`` (sLM21): ``zrc benchmarks:run sLM21 <copy> -s <set> -t lexical
   syntactic -q`` on a copy of the submission's ``meta.yaml``, ``params.yaml``, ``lexical/``
   and ``syntactic/`` (the run writes ``scores/`` into the folder it scores). Its CSVs are
   summarised as the leaderboard does (``SLM21ScoreDir.lexical_scores`` and
   ``syntactic_scores``) and, with ``--expect-lexical`` / ``--expect-syntactic`` (the
   ``--json`` output of ``vgprobe lexical`` / ``vgprobe syntactic``), compared with vgprobe's
   numbers to the toolkit's 4 printed decimals.

Exit status 0 when everything passes, 1 otherwise. Standard library + the toolkit only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zrc_offline import build_app_dir  # noqa: E402

TOLERANCE = 5.1e-5  # the toolkit writes its score tables with 4 decimals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", type=Path)
    parser.add_argument("--data", type=Path, required=True, help="the ZR2021 dataset root the submission was made for")
    parser.add_argument("--benchmark-run", action="store_true", help="also run zrc benchmarks:run on lexical/syntactic")
    parser.add_argument("--expect-lexical", type=Path, help="`vgprobe lexical --json` output to compare with")
    parser.add_argument("--expect-syntactic", type=Path, help="`vgprobe syntactic --json` output to compare with")
    args = parser.parse_args(argv)
    sub = args.submission.resolve()
    with tempfile.TemporaryDirectory(prefix="zrc-app-") as app:
        os.environ["APP_DIR"] = str(build_app_dir(app, args.data))  # before importing zerospeech
        ok = check_meta(sub)
        benchmark = benchmark_name(sub)
        if benchmark not in ("sLM21", "abxLS"):
            print(f"FAIL {sub / 'meta.yaml'}: benchmark_name {benchmark!r}; expected sLM21 or abxLS")
            return 1
        sets = [s for s in ("dev", "test") if present(sub, benchmark, s)]
        if not sets:
            print(f"FAIL {sub}: no {benchmark} set (dev or test) found")
            return 1
        ok &= check_files(sub, benchmark, sets)
        if args.benchmark_run:
            if benchmark != "sLM21":
                print("FAIL --benchmark-run runs the sLM21 lexical and syntactic tasks only")
                return 1
            ok &= run_benchmark(sub, sets[0], app, args.expect_lexical, args.expect_syntactic)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def benchmark_name(sub: Path) -> str:
    from zerospeech.submissions import MetaFile

    return MetaFile.benchmark_from_submission(sub)


def present(sub: Path, benchmark: str, split: str) -> bool:
    if benchmark == "sLM21":
        return (sub / "semantic" / split).is_dir()
    return (sub / f"{split}-clean").is_dir() or (sub / f"{split}-other").is_dir()


def check_meta(sub: Path) -> bool:
    from zerospeech.submissions import MetaFile

    try:
        meta = MetaFile.from_file(sub / "meta.yaml", enforce=True)
    except Exception as exc:  # noqa: BLE001 - report the toolkit's own parse error
        print(f"FAIL meta.yaml does not parse as the toolkit's MetaFile: {exc}")
        return False
    valid = meta.is_valid()
    errors = [str(e.msg) for e in ~meta.validation_context.get_errors()]
    warnings = [str(w.msg) for w in ~meta.validation_context.get_warnings()]
    for w in warnings:
        print(f"note (toolkit warning) meta.yaml: {w}")
    allowed = {"Username is required"} if meta.username is None else set()
    unexpected = [e for e in errors if e not in allowed]
    for e in errors:
        print(f"{'note' if e in allowed else 'FAIL'} (toolkit meta check) meta.yaml: {e}"
              + (" -- filled in by the toolkit's upload" if e in allowed else ""))
    print(f"meta.yaml: benchmark {meta.benchmark_name}, MetaFile.is_valid() = {valid}"
          f"{' (only the username is missing)' if errors and not unexpected else ''}")
    return not unexpected


def check_files(sub: Path, benchmark: str, sets: list[str]) -> bool:
    if benchmark == "sLM21":
        from zerospeech.submissions.sLM21 import SLM21Submission

        tasks = ["semantic"] + [t for t in ("lexical", "syntactic") if all((sub / t / f"{s}.txt").is_file() for s in sets)]
        submission = SLM21Submission.load(sub, tasks=tuple(tasks), sets=tuple(sets))
        p = submission.params
        print(f"params.yaml: semantic metric={p.semantic.metric.value} pooling={p.semantic.pooling.value}, "
              f"feature files {p.syntactic.score_files_type}")
    elif benchmark == "abxLS":
        from zerospeech.submissions.abxLS import AbxLSSubmission

        tasks = ["clean", "other"]
        submission = AbxLSSubmission.load(sub, tasks=tuple(tasks), sets=tuple(sets))
        p = submission.params
        print(f"params.yaml: feature_size={p.feature_size} distance={p.distance_mode.value} "
              f"speaker={p.speaker_mode.value} context={p.context.value} files {p.score_file_type}")
    else:
        print(f"FAIL unsupported benchmark {benchmark!r}")
        return False
    valid = submission.valid
    out = submission.validation_output
    n_ok = len(~out.get_ok())
    for response in ~out.get_errors():
        print(f"FAIL (toolkit validation) {response}")
    for response in ~out.get_warnings():
        print(f"note (toolkit warning) {response}")
    print(f"{benchmark} submission {sub}: sets {sets}, tasks {tasks}: valid = {valid} ({n_ok} checks passed)")
    return bool(valid)


def run_benchmark(sub: Path, split: str, app: str, expect_lexical: Path | None, expect_syntactic: Path | None) -> bool:
    import numpy as np
    import pandas as pd

    ok = True
    with tempfile.TemporaryDirectory(prefix="zrc-run-") as tmp:
        copy = Path(tmp) / "submission"
        copy.mkdir()
        for name in ("meta.yaml", "params.yaml"):
            shutil.copy(sub / name, copy / name)
        for task in ("lexical", "syntactic"):
            shutil.copytree(sub / task, copy / task)
        zrc = Path(sys.executable).with_name("zrc")
        cmd = [str(zrc), "benchmarks:run", "sLM21", str(copy), "-s", split, "-t", "lexical", "syntactic", "-q"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "APP_DIR": app})
        scores = copy / "scores"
        if proc.returncode != 0 or not scores.is_dir():
            print(f"FAIL {' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            return False
        print(f"ran: zrc benchmarks:run sLM21 <copy of {sub.name}> -s {split} -t lexical syntactic -q")
        by_pair = pd.read_csv(scores / f"score_lexical_{split}_by_pair.csv")
        by_freq = pd.read_csv(scores / f"score_lexical_{split}_by_frequency.csv")
        by_len = pd.read_csv(scores / f"score_lexical_{split}_by_length.csv")
        invocab = by_freq[by_freq["frequency"] != "oov"]
        official_lex = {
            ("all", ""): float(by_pair["score"].mean()),
            ("in_vocab", ""): float(np.average(invocab["score"].to_numpy(), weights=invocab["n"].to_numpy())),
            **{("frequency", str(r.frequency)): float(r.score) for r in by_freq.itertuples()},
            **{("length", str(r.length)): float(r.score) for r in by_len.itertuples()},
        }
        syn_pair = pd.read_csv(scores / f"score_syntactic_{split}_by_pair.csv")
        syn_type = pd.read_csv(scores / f"score_syntactic_{split}_by_type.csv")
        official_syn = {("all", ""): float(syn_pair["score"].mean()),
                        **{("type", str(r.type)): float(r.score) for r in syn_type.itertuples()}}
        print("toolkit lexical:", json.dumps({f"{k[0]}:{k[1]}" if k[1] else k[0]: v for k, v in official_lex.items()}))
        print("toolkit syntactic:", json.dumps({f"{k[0]}:{k[1]}" if k[1] else k[0]: v for k, v in official_syn.items()}))
        empty_band = bool((by_freq["n"] == 0).any())
        if expect_lexical is not None:
            rows = {(r["breakdown"], r["group"]): r["score"] for r in json.loads(expect_lexical.read_text())}
            ok &= compare("lexical", official_lex, rows, nan_in_vocab_ok=empty_band)
        if expect_syntactic is not None:
            rows = {(r["breakdown"], r["type"]): r["score"] for r in json.loads(expect_syntactic.read_text())
                    if r["breakdown"] != "subtype"}
            ok &= compare("syntactic", official_syn, rows, nan_in_vocab_ok=False)
    return ok


def compare(task: str, official: dict, vgprobe: dict, *, nan_in_vocab_ok: bool) -> bool:
    ok = True
    if set(official) != set(vgprobe):
        print(f"FAIL {task}: rows differ: toolkit {sorted(official)} vs vgprobe {sorted(vgprobe)}")
        return False
    for key, theirs in official.items():
        mine = vgprobe[key]
        mine = math.nan if mine is None else mine
        if math.isnan(theirs) and math.isnan(mine):
            continue
        if math.isnan(theirs) and key == ("in_vocab", "") and nan_in_vocab_ok:
            print(f"note {task} in_vocab: the toolkit gives NaN (a frequency band is empty); vgprobe skips empty "
                  f"bands: {mine:.4f}")
            continue
        if not abs(theirs - mine) <= TOLERANCE:
            print(f"FAIL {task} {key}: toolkit {theirs} vs vgprobe {mine}")
            ok = False
    print(f"{task}: {len(official)} numbers compared with vgprobe's: {'equal' if ok else 'DIFFERENT'} "
          f"to the toolkit's 4 decimals")
    return ok


if __name__ == "__main__":
    sys.exit(main())
