#!/usr/bin/env bash
# The README's second command: set up with the test extras and run ruff, mypy and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  # The real-browser UI test drives Debian's chromium (playwright's own browser download does not work offline).
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo "sudo")
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null) \
    || echo "warning: could not install chromium; tests/ui/test_browser.py will fail" >&2
fi
scripts/setup.sh "st,test"
. .venv/bin/activate
export HF_HUB_OFFLINE=1 RAGAS_DO_NOT_TRACK=true
ruff check .
mypy  # type checking (pyproject [tool.mypy]: aulac_rag, connectors, ui; pydantic plugin)
python -m pytest "$@"
