#!/usr/bin/env bash
# Run the test suite as the unprivileged user $LABCONTAINER_ROOTLESS_USER against that
# user's rootless Podman service. The user gets its own copy of the work tree when it
# cannot read this one (a clone under /root, say); the shared venv is world-readable.
set -euo pipefail
VENV=$1; shift
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
source "${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}/env"
USER_NAME=$LABCONTAINER_ROOTLESS_USER
USER_HOME=$(getent passwd "$USER_NAME" | cut -d: -f6)
SRC=$REPO
if ! runuser -u "$USER_NAME" -- test -r "$REPO/pyproject.toml" -a -x "$REPO/tests"; then
    SRC=$USER_HOME/labcontainer-src
    rm -rf "$SRC"
    mkdir -p "$SRC"
    (cd "$REPO" && tar -c --exclude=./labextension/node_modules --exclude=./.git . ) | tar -x -C "$SRC"
    chown -R "$USER_NAME:" "$SRC"
fi
# Screenshots etc.: written where the user can write, copied back next to the rootful ones.
ARTIFACTS=$SRC/test-artifacts/rootless
[ "$SRC" = "$REPO" ] || ARTIFACTS=$SRC/test-artifacts-rootless
mkdir -p "$ARTIFACTS"
chown "$USER_NAME:" "$ARTIFACTS"
[ "$SRC" = "$REPO" ] || trap 'mkdir -p "$REPO/test-artifacts" && rm -rf "$REPO/test-artifacts/rootless" && cp -r "$ARTIFACTS" "$REPO/test-artifacts/rootless"' EXIT
cd "$SRC"
# The test world's registries (addresses, test login), as setup-registry.sh exported them.
mapfile -t REGISTRY_VARS < <(env | grep '^LABCONTAINER_RE\(GISTRY\|MOTE\)' || true)
runuser -u "$USER_NAME" -- env -i \
    HOME="$USER_HOME" USER="$USER_NAME" LOGNAME="$USER_NAME" PATH="$VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    LANG=C.UTF-8 XDG_RUNTIME_DIR="$LABCONTAINER_ROOTLESS_RUNTIME_DIR" CONTAINERS_CONF="$CONTAINERS_CONF" \
    CONTAINERS_REGISTRIES_CONF="${CONTAINERS_REGISTRIES_CONF:-}" "${REGISTRY_VARS[@]}" \
    CONTAINER_HOST="$LABCONTAINER_ROOTLESS_URL" LABCONTAINER_TEST_MODE=rootless \
    LABCONTAINER_TEST_IMAGE="$LABCONTAINER_TEST_IMAGE" LABCONTAINER_PYTHON_IMAGE="$LABCONTAINER_PYTHON_IMAGE" \
    LABCONTAINER_ARTIFACTS="$ARTIFACTS" PYTHONPATH="$SRC" CI="${CI:-}" \
    "$VENV/bin/python" -m pytest -p no:cacheprovider "$@" || status=$?
exit "${status:-0}"
