#!/usr/bin/env bash
# The README's first command: set up, ingest the healthcare demo sandbox, answer a Vietnamese question with sources.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
export AULAC_HOME=${AULAC_HOME:-$HOME/.aulac}
QUESTION=${1:-"Đi khám đúng tuyến thì bảo hiểm y tế chi trả bao nhiêu phần trăm?"}
aulac ingest healthcare --demo
echo
echo "Câu hỏi: $QUESTION"
if aulac --help | grep -q " ask "; then
  aulac ask healthcare "$QUESTION"
else
  aulac retrieve healthcare "$QUESTION" --k 3
fi
