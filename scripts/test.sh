#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian 12 machine (as root) and run the
# whole suite: first the fast tier (tests/fast: LabService and the REST handlers over a fake
# engine, no Podman, seconds; a failure stops here), then the rest twice: against rootful
# Podman, then as the unprivileged user `lab` against that user's rootless Podman service,
# the way lab members use it. The Podman runs leave tests/fast out: it runs once.
#
#   ./scripts/test.sh              everything
#   ./scripts/test.sh -k logs      extra arguments go to pytest (both runs)
#   LABCONTAINER_TEST_MODES=rootful ./scripts/test.sh    one mode only
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export LABCONTAINER_STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}

t0=$SECONDS
VENV=$(bash scripts/setup-venv.sh)
echo "==> fast tier: tests/fast (fake engine, no Podman)"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/fast
bash scripts/setup-podman.sh
bash scripts/install-fake-cdi.sh
bash scripts/build-kernel-image.sh
bash scripts/setup-hub.sh "$VENV"  # JupyterHub, configurable-http-proxy, members hubalice and hubbob
bash scripts/setup-remote.sh  # after the image: it copies the kernel image to the "other server"
bash scripts/setup-registry.sh
[ -f scripts/setup-browser.sh ] && bash scripts/setup-browser.sh "$VENV"
echo "==> set-up took $((SECONDS - t0)) s"
bash scripts/check-labextension.sh "$VENV"
# shellcheck disable=SC1091
source "$LABCONTAINER_STATE/env"
export LABCONTAINER_TEST_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
export LABCONTAINER_PYTHON_IMAGE=${LABCONTAINER_PYTHON_IMAGE:-localhost/labcontainer-python:latest}
mkdir -p test-artifacts

status=0
for mode in ${LABCONTAINER_TEST_MODES:-rootful rootless hub}; do
    echo "==> tests against $mode Podman"
    if [ "$mode" = hub ]; then  # as root: a real JupyterHub, each member's own rootless Podman
        LABCONTAINER_TEST_MODE=hub "$VENV/bin/python" -m pytest -p no:cacheprovider tests/hub "$@" || status=$?
    elif [ "$mode" = rootful ]; then
        LABCONTAINER_TEST_MODE=rootful CONTAINER_HOST=$LABCONTAINER_ROOTFUL_URL \
            "$VENV/bin/python" -m pytest -p no:cacheprovider --ignore=tests/fast "$@" || status=$?
    else
        bash scripts/run-as-lab-user.sh "$VENV" --ignore=tests/fast "$@" || status=$?
    fi
done
exit $status
