#!/usr/bin/env bash
# The side panel's own checks: the TypeScript REST types match rest_schema.json and the Help
# text matches the README (both generated, never edited by hand), no TypeScript module is over
# 400 lines (as tests/test_architecture.py asks of the Python ones), the TypeScript compiles
# (sources and tests), eslint passes, and the jest unit tests of the model and views pass.
#   ./scripts/check-labextension.sh [VENV]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-${LABCONTAINER_VENV:-/opt/labcontainer/venv}}
cd "$REPO/labextension"
[ -d node_modules ] || "$VENV/bin/jlpm" install >&2
echo "==> labextension: generated types and help match schema and README, tsc, eslint, jest"
"$VENV/bin/jlpm" check:types
"$VENV/bin/jlpm" check:help
echo "==> labextension: no module of src/ over 400 lines (generated/ excepted)"
long=$(find src -name '*.ts' -not -path 'src/generated/*' -exec wc -l {} + | awk '$2 != "total" && $1 > 400')
if [ -n "$long" ]; then
    echo "These TypeScript modules are over 400 lines; split them by concern:" >&2
    echo "$long" >&2
    exit 1
fi
"$VENV/bin/jlpm" typecheck
"$VENV/bin/jlpm" lint
"$VENV/bin/jlpm" test --ci
