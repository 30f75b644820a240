#!/usr/bin/env bash
# Install a CDI spec whose two "GPUs" are harmless device nodes, so GPU plumbing
# (--gpus -> CDI device -> device node + NVIDIA_VISIBLE_DEVICES in the container) can be
# tested on machines without a GPU. Devices are declared as CDI *mounts* of /dev/null:
# deviceNodes fail rootless (runc looks up the container path on the host).
# It goes to /var/run/cdi (runtime, gone at reboot), never /etc/cdi where a real
# `nvidia-ctk cdi generate` spec would live.
set -euo pipefail
DIR=${LABCONTAINER_CDI_DIR:-/var/run/cdi}
mkdir -p "$DIR"
gpu() { # $1 = index
    cat <<SPEC
  - name: "$1"
    containerEdits:
      env: ["NVIDIA_VISIBLE_DEVICES=$1", "LABCONTAINER_FAKE_GPU=$1"]
      mounts:
        - {hostPath: /dev/null, containerPath: /dev/nvidia$1, options: [bind, rw]}
SPEC
}
{
    echo 'cdiVersion: "0.5.0"'
    echo 'kind: "nvidia.com/gpu"'
    echo 'devices:'
    gpu 0
    gpu 1
    cat <<SPEC
  - name: "all"
    containerEdits:
      env: ["NVIDIA_VISIBLE_DEVICES=0,1", "LABCONTAINER_FAKE_GPU=all"]
      mounts:
        - {hostPath: /dev/null, containerPath: /dev/nvidia0, options: [bind, rw]}
        - {hostPath: /dev/null, containerPath: /dev/nvidia1, options: [bind, rw]}
SPEC
    echo 'containerEdits:'
    echo '  mounts:'
    echo '    - {hostPath: /dev/null, containerPath: /dev/nvidiactl, options: [bind, rw]}'
} >"$DIR/labcontainer-fake-gpus.yaml"
chmod 644 "$DIR/labcontainer-fake-gpus.yaml"
echo "==> fake CDI GPUs 0, 1 (and all) in $DIR/labcontainer-fake-gpus.yaml"
