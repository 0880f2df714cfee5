#!/usr/bin/env bash
# Rewrite constraints.txt from the project venv (after scripts/setup.sh "st,test" and an upgrade you tested).
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
{
  echo "# Exact versions tested together (Python 3.11, Linux x86_64, CPU). scripts/setup.sh and CI install with"
  echo "# pip install -c constraints.txt; pyproject.toml keeps the library's ranges. Regenerate: scripts/lock.sh"
  python -m pip freeze | grep -v -E "^#|^-e |aulac" | sed -E 's/^torch==([0-9.]+)\+cpu/torch==\1/'
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
