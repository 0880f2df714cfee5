#!/usr/bin/env bash
# Create .venv (if missing) and install aulac-rag. Usage: scripts/setup.sh [extras], e.g. "st,test".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
extras=${1:-}
if [[ "$extras" == *st* ]]; then
  # CPU torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
  python -m pip install -q "torch==2.13.0"
fi
if [ -n "$extras" ]; then
  python -m pip install -q -e ".[${extras}]"
else
  python -m pip install -q -e .
fi
