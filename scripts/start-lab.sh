#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, as root: install Podman (rootful and a
# rootless user `lab`), build the kernel image without a registry, install labcontainer,
# add a container kernel for that image, and start JupyterLab AS `lab`, against that
# user's rootless Podman — the way lab members work. Ctrl-C stops JupyterLab.
#
#   ./scripts/start-lab.sh                 listen on 127.0.0.1:8888
#   LAB_IP=0.0.0.0 LAB_PORT=9999 ./scripts/start-lab.sh
#   LABCONTAINER_FAKE_GPUS=1 ./scripts/start-lab.sh    also install the two fake CDI "GPUs" (and show them in %gpus)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
export LABCONTAINER_STATE=${LABCONTAINER_STATE:-/var/lib/labcontainer-dev}
bash scripts/setup-podman.sh
[ -n "${LABCONTAINER_FAKE_GPUS:-}" ] && bash scripts/install-fake-cdi.sh
bash scripts/build-kernel-image.sh
VENV=$(bash scripts/setup-venv.sh)
# shellcheck disable=SC1091
source "$LABCONTAINER_STATE/env"
USER_NAME=$LABCONTAINER_ROOTLESS_USER
USER_HOME=$(getent passwd "$USER_NAME" | cut -d: -f6)
WORK=$USER_HOME/work
IMAGE=${LABCONTAINER_TEST_IMAGE:-localhost/labcontainer-kernel:latest}

# The user's work folder, with the example notebooks; and the code where the user can read it.
SRC=$REPO
if ! runuser -u "$USER_NAME" -- test -r "$REPO/labcontainer/__init__.py"; then
    SRC=$USER_HOME/labcontainer-src
    rm -rf "$SRC" && mkdir -p "$SRC"
    (cd "$REPO" && tar -c --exclude=./labextension/node_modules --exclude=./.git .) | tar -x -C "$SRC"
    chown -R "$USER_NAME:" "$SRC"
fi
runuser -u "$USER_NAME" -- mkdir -p "$WORK"
bash scripts/copy-notebooks.sh "$USER_NAME" "$WORK"  # the user's, in the user's group

# The fake GPUs have no driver for NVML to read: with them, %gpus and the GPU views replay
# a recording of two GPUs that says what they are (LABCONTAINER_NVML_RECORDING, the seam
# the tests use too), rather than "no NVIDIA driver" beside a --gpus 0 that works.
FAKE_NVML=()
if [ -n "${LABCONTAINER_FAKE_GPUS:-}" ]; then
    recording=$LABCONTAINER_STATE/fake-gpus-nvml.json
    fake_gpu() { echo "{\"index\": $1, \"uuid\": \"GPU-0000000$1-fake-0000-0000-000000000000\", \"name\": \"fake GPU $1 (CDI /dev/null, no driver)\"}"; }
    echo "{\"driver_version\": \"none (fake GPUs)\", \"gpus\": [$(fake_gpu 0), $(fake_gpu 1)]}" >"$recording"
    chmod 644 "$recording"
    FAKE_NVML=(LABCONTAINER_NVML_RECORDING="$recording")
fi

as_lab() {
    runuser -u "$USER_NAME" -- env -i HOME="$USER_HOME" USER="$USER_NAME" LOGNAME="$USER_NAME" LANG=C.UTF-8 \
        PATH="$VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" XDG_RUNTIME_DIR="$LABCONTAINER_ROOTLESS_RUNTIME_DIR" \
        CONTAINERS_CONF="$CONTAINERS_CONF" CONTAINER_HOST="$LABCONTAINER_ROOTLESS_URL" PYTHONPATH="$SRC" \
        LABCONTAINER_TEST_IMAGE="$IMAGE" "${FAKE_NVML[@]}" "$@"
}

# --replace: on a second start this script's own kernelspec is there already (labcontainer
# never replaces a kernelspec it did not make, with or without --replace).
as_lab labcontainer kernelspec install --image "$IMAGE" --name lc-python-container --replace \
    --display-name "Python (container: $(basename "$IMAGE"))" >/dev/null
TOKEN=${LAB_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
IP=${LAB_IP:-127.0.0.1}
PORT=${LAB_PORT:-8888}
echo "==> JupyterLab as user $USER_NAME (rootless Podman at $LABCONTAINER_ROOTLESS_URL)"
echo "    open http://$IP:$PORT/lab?token=$TOKEN"
cd "$WORK"
as_lab jupyter lab --no-browser --ip="$IP" --port="$PORT" --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$WORK"
