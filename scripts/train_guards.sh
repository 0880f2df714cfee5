#!/usr/bin/env bash
# Rebuild the semantic guard classifier of every bundled sandbox and of the "general" template
# after editing guard examples (deterministic; embeddings are cached under AULAC_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
export AULAC_HOME=${AULAC_HOME:-$HOME/.aulac}
for name in healthcare education finance; do
  aulac guard train "$name"
done
# the template is not a sandbox: train a throwaway copy and keep its model in the template folder
tmp=$(mktemp -d)
AULAC_HOME="$tmp" aulac sandbox create guard-template --from general >/dev/null
cp -r "$AULAC_HOME/cache" "$tmp/" 2>/dev/null || true
AULAC_HOME="$tmp" aulac guard train guard-template
cp "$tmp/sandboxes/guard-template/guard_model.npz" sandboxes/general/guard_model.npz
rm -rf "$tmp"
