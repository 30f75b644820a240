#!/usr/bin/env bash
# Create (or update) the project's virtual environment and install labcontainer into it,
# editable, with the test and JupyterLab extras. Prints the venv path last.
# The venv lives outside the work tree (default /opt/labcontainer/venv) and is readable
# by every user, so the rootless test run (as user `lab`) can use it too.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${LABCONTAINER_VENV:-/opt/labcontainer/venv}
# Debian's python, not one under /root (pyenv): the rootless tests run as another user.
PYTHON=${PYTHON:-/usr/bin/python3}
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
apt_install python3 python3-venv python3-dev
if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment $VENV" >&2
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >&2
fi
# Reinstall when another checkout or another pyproject.toml was installed last.
stamp="$VENV/.labcontainer-installed"
want="$REPO $(sha256sum "$REPO/pyproject.toml" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ -n "${LABCONTAINER_REINSTALL:-}" ]; then
    echo "==> installing labcontainer (editable, from $REPO) with test and lab extras" >&2
    "$VENV/bin/pip" install -q -e "$REPO[test,lab]" >&2
    echo "$want" >"$stamp"
fi
chmod -R o+rX "$VENV"
echo "$VENV"
