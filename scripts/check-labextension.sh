#!/usr/bin/env bash
# The side panel's own checks: the TypeScript REST types match rest_schema.json (generated,
# never edited by hand), eslint passes, and the jest unit tests of the model and views pass.
#   ./scripts/check-labextension.sh [VENV]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-${LABCONTAINER_VENV:-/opt/labcontainer/venv}}
cd "$REPO/labextension"
[ -d node_modules ] || "$VENV/bin/jlpm" install >&2
echo "==> labextension: generated types match the schema, eslint, jest"
"$VENV/bin/jlpm" check:types
"$VENV/bin/jlpm" lint
"$VENV/bin/jlpm" test --ci
