#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium (never a downloaded browser) and fonts,
# and Playwright's Python package (its driver ships inside the wheel) in the venv $1.
set -euo pipefail
VENV=${1:?usage: setup-browser.sh VENV}
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
apt_install chromium fonts-dejavu-core
if ! "$VENV/bin/python" -c 'import playwright' 2>/dev/null; then
    echo "==> pip install playwright"
    "$VENV/bin/pip" install -q playwright >&2
    chmod -R o+rX "$VENV"
fi
