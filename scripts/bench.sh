#!/usr/bin/env bash
# Run every benchmark (bench/run.py) after the same set-up as the tests, against rootful
# Podman. Extra arguments go to bench/run.py (e.g. --quick, --only kernels, --readme README.md).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export LABCONTAINER_STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
bash scripts/setup-podman.sh >/dev/null
bash scripts/install-fake-cdi.sh >/dev/null
bash scripts/build-kernel-image.sh >/dev/null
bash scripts/setup-registry.sh >/dev/null
VENV=$(bash scripts/setup-venv.sh)
bash scripts/setup-remote.sh >/dev/null  # gpu2, the "other server" of the remote benches
# The peer of the remote-kernel benches (bench/bench_remote_kernels.py); benches only, not the tests.
"$VENV/bin/python" -c "import sshpyk" 2>/dev/null || "$VENV/bin/pip" install -q "sshpyk==1.25"
# shellcheck disable=SC1091
source "$LABCONTAINER_STATE/env"
export LABCONTAINER_TEST_MODE=rootful CONTAINER_HOST=$LABCONTAINER_ROOTFUL_URL
export LABCONTAINER_TEST_IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}
# The ordinary image (Debian's python3-ipykernel) the plain-image cold start is measured on.
export LABCONTAINER_PLAIN_IMAGE=${LABCONTAINER_PLAIN_IMAGE:-localhost/labcontainer-debian-ipykernel:latest}
exec "$VENV/bin/python" bench/run.py "$@"
