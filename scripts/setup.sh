#!/usr/bin/env bash
# Create .venv (if missing) and install aulac-rag with the versions of constraints.txt.
# Usage: scripts/setup.sh [extras], e.g. "st,test" (test pulls every extra); default: server,ui (the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
log=$(mktemp)
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "setup failed: $*" >&2; exit 1; }; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
quiet python -m pip install -q --upgrade pip
extras=${1:-server,ui}
if [[ "$extras" == *st* ]]; then
  # CPU torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
  quiet python -m pip install -q "torch==2.13.0"
fi
# Exact tested versions from constraints.txt; pyproject.toml keeps the library's own ranges.
if [ -n "$extras" ]; then
  quiet python -m pip install -q -c constraints.txt -e ".[${extras}]"
else
  quiet python -m pip install -q -c constraints.txt -e .
fi
rm -f "$log"
