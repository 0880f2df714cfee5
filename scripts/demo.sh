#!/usr/bin/env bash
# The README's first command: set up, ingest the healthcare demo sandbox, answer a Vietnamese question
# with its sources, then open the chat app on it (set AULAC_NO_UI=1 to stop after the answer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
export AULAC_HOME=${AULAC_HOME:-$HOME/.aulac}
QUESTION=${1:-"Mức hưởng bảo hiểm y tế khi khám đúng tuyến là bao nhiêu?"}
aulac ingest healthcare --demo
echo
echo "Câu hỏi: $QUESTION"
aulac ask healthcare "$QUESTION"
if [ -z "${AULAC_NO_UI:-}" ]; then
  echo
  exec aulac app --sandbox healthcare --port "${AULAC_UI_PORT:-8501}"
fi
