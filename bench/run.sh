#!/usr/bin/env bash
# Every issue #6 measurement, side by side with the pandas + scikit-learn script, written to
# BENCHMARKS.md. One command:
#   ./bench/run.sh           # Zeotap, 1M and 10M lines, TUI, lookalikes, criterion kernels
#   ./bench/run.sh --quick   # without the 10M-line set
# RUNS (default 3) sets how many runs each median is taken over. The Python side lives in
# bench/.venv (created and filled from PyPI on first run); generated data in bench/data.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas scikit-learn
fi
cargo build --release -q
exec "$venv/bin/python" bench/run.py "$@"
