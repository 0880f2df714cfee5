#!/usr/bin/env bash
# The README's second command: set up with the test extras and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "st,test"
. .venv/bin/activate
export HF_HUB_OFFLINE=1 RAGAS_DO_NOT_TRACK=true
ruff check .
python -m pytest "$@"
