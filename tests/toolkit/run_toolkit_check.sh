#!/usr/bin/env bash
# The ZeroSpeech toolkit (zerospeech-benchmarks 0.9.4) accepts vgprobe's submissions and agrees with its
# lexical/syntactic scores. Needs `vgprobe` on PATH; builds the toolkit's own venv (pydantic<2, pandas<3:
# it cannot share vgprobe's) from PyPI, then runs offline.
#   usage: tests/toolkit/run_toolkit_check.sh [WORKDIR] [ZRC_VENV]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-runs/toolkit-check}"
venv="${2:-.zrc-venv}"
if [ ! -x "$venv/bin/zrc" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "zerospeech-benchmarks==0.9.4" "pandas<3"
fi
rm -rf "$work" && mkdir -p "$work"
python "$here/make_toy_inputs.py" "$work"
who=(--authors "vgprobe CI" --institution "none" --train-set "none (random features)")
vgprobe submission sLM21 --features "$work/layer" --data "$work/data" --out "$work/slm21" "${who[@]}" \
  --lexical "$work/lexical.txt" --syntactic "$work/syntactic.txt"
vgprobe submission sLM21 --features "$work/layer" --data "$work/data" --out "$work/slm21-txt" "${who[@]}" \
  --format txt --pool mean --metric euclidean
vgprobe submission abxLS --features "$work/layer" --data "$work/data" --out "$work/abxls" "${who[@]}"
vgprobe lexical --submission "$work/slm21" --data "$work/data" --json > "$work/lexical.json"
vgprobe syntactic --submission "$work/slm21" --data "$work/data" --json > "$work/syntactic.json"
"$venv/bin/python" "$here/validate_submission.py" "$work/slm21" --data "$work/data" --benchmark-run \
  --expect-lexical "$work/lexical.json" --expect-syntactic "$work/syntactic.json"
"$venv/bin/python" "$here/validate_submission.py" "$work/slm21-txt" --data "$work/data"
"$venv/bin/python" "$here/validate_submission.py" "$work/abxls" --data "$work/data"
