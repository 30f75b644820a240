#!/usr/bin/env bash
# Set up what the hub tests (tests/hub) need, idempotently, as root: JupyterHub in the
# project venv (pyproject's test extras), configurable-http-proxy from npm under the state
# dir (not global), and three lab members, hubalice, hubbob and hubcarol (the bench starts three at once), made the way an admin's
# `useradd` makes them (a home and a subuid/subgid range) and NOTHING else: no
# XDG_RUNTIME_DIR, no lingering systemd user session, no podman.socket.
#
#   bash scripts/setup-hub.sh [VENV]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
VENV=${1:-${LABCONTAINER_VENV:-/opt/labcontainer-venv}}

if ! "$VENV/bin/python" -c "import jupyterhub" 2>/dev/null; then
    echo "==> installing JupyterHub into $VENV"
    "$VENV/bin/pip" install -q "jupyterhub>=5"
fi
chmod -R a+rX "$VENV"  # the members' servers run jupyterhub-singleuser from it

CHP_DIR=$STATE/hub/chp
if [ ! -x "$CHP_DIR/node_modules/.bin/configurable-http-proxy" ]; then
    echo "==> installing configurable-http-proxy under $CHP_DIR"
    mkdir -p "$CHP_DIR"
    npm install --prefix "$CHP_DIR" --no-audit --no-fund --silent configurable-http-proxy@4 >/dev/null
fi

for member in hubalice hubbob hubcarol; do
    if ! id "$member" >/dev/null 2>&1; then
        echo "==> making lab member $member (useradd: a home and a subuid range, nothing else)"
        useradd --create-home --shell /bin/bash "$member"
    fi
    # useradd gives a range where /etc/login.defs allows it; make sure it is there (idempotent).
    grep -q "^$member:" /etc/subuid || usermod --add-subuids "$(( 300000 + $(id -u "$member") * 65536 ))-$(( 300000 + $(id -u "$member") * 65536 + 65535 ))" "$member"
    grep -q "^$member:" /etc/subgid || usermod --add-subgids "$(( 300000 + $(id -u "$member") * 65536 ))-$(( 300000 + $(id -u "$member") * 65536 + 65535 ))" "$member"
    chmod 0700 "/home/$member"
done
# Each member's own image store gets the test kernel image (what a member would pull), through
# the podman CLI as that member; the pause process Podman leaves is ended again, so that nothing
# of the member's runs when the tests start.
CACHE=${LABCONTAINER_CACHE:-/var/cache/labcontainer}
KERNEL_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
tarball=$CACHE/kernel-rootfs-pip.tar
origin="$(basename "$tarball")-$(stat -c %s-%Y "$tarball")"
for member in hubalice hubbob hubcarol; do
    as_member=(runuser -u "$member" -- env -i PATH=/usr/bin:/bin HOME="/home/$member" bash -c 'cd ~ && "$@"' _)
    if [ "$("${as_member[@]}" podman image inspect --format '{{index .Labels "org.labcontainer.rootfs"}}' "$KERNEL_IMAGE" 2>/dev/null)" != "$origin" ]; then
        echo "==> importing $KERNEL_IMAGE for $member"
        "${as_member[@]}" podman import --change 'CMD ["python3","-m","ipykernel_launcher"]' \
            --change "ENV PYDEVD_DISABLE_FILE_VALIDATION=1" --change "LABEL org.labcontainer.rootfs=$origin" \
            "$tarball" "$KERNEL_IMAGE" >/dev/null
    fi
    for pid in $(pgrep -u "$member" -x catatonit || true); do kill "$pid"; done
done
# The members' servers import labcontainer from this checkout (an editable install).
chmod a+rX "$REPO"
echo "$CHP_DIR/node_modules/.bin/configurable-http-proxy" > "$STATE/hub/chp-path"
