#!/usr/bin/env bash
# Build the wheel and use it as an enterprise would, outside the checkout, in fresh virtual environments:
#   1. core only: aulac ingest healthcare --demo; aulac ask … answers with citations; a missing extra is one line;
#   2. [server,ui]: aulac serve answers /v1/sandboxes, aulac app serves the chat app;
#   3. the example plugin (examples/aulac-toy-plugin) is found through its entry points.
# Usage: scripts/wheel_smoke.sh [--lowest] [WORKDIR]   (versions from constraints.txt; about 3–5 minutes)
#   --lowest: only step 1, with the lowest versions the core's ranges allow (constraints-lowest.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
CONSTRAINTS=$ROOT/constraints.txt LOWEST=""
if [ "${1:-}" = "--lowest" ]; then CONSTRAINTS=$ROOT/constraints-lowest.txt LOWEST=1; shift; fi
WORK=${1:-$(mktemp -d /tmp/aulac-wheel.XXXXXX)}
mkdir -p "$WORK"
log() { echo "[wheel-smoke] $*"; }
fail() { echo "[wheel-smoke] FAILED: $*" >&2; exit 1; }

rm -rf "$WORK/dist"
"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$ROOT" >/dev/null 2>&1 || "$PY" -m pip wheel --no-deps -w "$WORK/dist" "$ROOT"
WHEEL=$(ls "$WORK"/dist/aulac_rag-*.whl)
log "built $(basename "$WHEEL")"

pip_in() {
  "$1/bin/python" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" "${@:2}" 2>&1 \
    | { grep -v "^WARNING: Location" || true; }
  return "${PIPESTATUS[0]}"
}

# 1. core only, run from a folder that is not the checkout
CORE="$WORK/core"
rm -rf "$CORE"; "$PY" -m venv "$CORE"
pip_in "$CORE" "$WHEEL"
cd "$WORK"
export AULAC_HOME="$WORK/home-core" HF_HUB_OFFLINE=1
rm -rf "$AULAC_HOME"
"$CORE/bin/python" -c "import fastapi" 2>/dev/null && fail "the core install pulled fastapi"
"$CORE/bin/python" -c "import streamlit" 2>/dev/null && fail "the core install pulled streamlit"
"$CORE/bin/aulac" ingest healthcare --demo
out=$("$CORE/bin/aulac" ask healthcare "Mức hưởng bảo hiểm y tế khi khám đúng tuyến là bao nhiêu?" --json)
echo "$out" | "$CORE/bin/python" -c '
import json, sys
answer = json.load(sys.stdin)
assert answer["citations"], answer
assert not answer["refused"], answer
print("[wheel-smoke] core answer cites", len(answer["citations"]), "passages:", answer["answer"][:90].replace("\n", " "))'
"$CORE/bin/python" -c '
from aulac_rag.evaluation.redteam import find_redteam_files
from aulac_rag.sandbox import bundled_dir
files = find_redteam_files(bundled_dir() / "healthcare")
assert files and "site-packages" in str(files[0]), files
print("[wheel-smoke] red-team set from the wheel:", files[0])'
set +e
msg=$("$CORE/bin/aulac" serve --port 18931 2>&1); code=$?
set -e
[ "$code" = 1 ] || fail "aulac serve without the [server] extra exited $code: $msg"
echo "$msg" | grep -q "aulac-rag\[server\]" || fail "no extra named: $msg"
log "core: $msg"
if [ -n "$LOWEST" ]; then
  "$CORE/bin/python" -m pip list 2>/dev/null | grep -i -E "^(pydantic|numpy|typer|scikit-learn|httpx|cryptography) " | sed 's/^/[wheel-smoke] lowest: /'
  log "ok (lowest versions)"
  exit 0
fi

# 2. with [server,ui]
FULL="$WORK/full"
rm -rf "$FULL"; "$PY" -m venv "$FULL"
pip_in "$FULL" "${WHEEL}[server,ui]"
export AULAC_HOME="$WORK/home-full"
rm -rf "$AULAC_HOME"
"$FULL/bin/aulac" ingest healthcare --demo >/dev/null
"$FULL/bin/aulac" serve --open --port 18932 >"$WORK/serve.log" 2>&1 &
SERVE=$!
"$FULL/bin/aulac" app --port 18933 >"$WORK/app.log" 2>&1 &
APP=$!
trap 'kill $SERVE $APP 2>/dev/null || true' EXIT
for _ in $(seq 60); do
  curl -fs http://127.0.0.1:18932/v1/sandboxes >/dev/null 2>&1 && curl -fs http://127.0.0.1:18933/_stcore/health >/dev/null 2>&1 && break
  sleep 1
done
curl -fs http://127.0.0.1:18932/v1/sandboxes | grep -q healthcare || { cat "$WORK/serve.log"; fail "the API did not list healthcare"; }
curl -fs http://127.0.0.1:18933/_stcore/health | grep -q ok || { cat "$WORK/app.log"; fail "the app is not healthy"; }
log "[server,ui]: API lists healthcare, app healthy"
kill $SERVE $APP 2>/dev/null || true
wait $SERVE $APP 2>/dev/null || true
trap - EXIT

# 3. the example plugin, installed beside the core wheel
pip_in "$CORE" "$ROOT/examples/aulac-toy-plugin"
"$CORE/bin/python" - <<'PY'
from aulac_rag.embeddings.base import embedders
from aulac_rag.guardrails.rails.base import input_rails
assert embedders.origin("toy-hash") == "aulac-toy-plugin", embedders.origin("toy-hash")
assert input_rails.origin("toy_shouting") == "aulac-toy-plugin"
print("[wheel-smoke] plugin found through entry points:", embedders.names())
PY
log "ok"
