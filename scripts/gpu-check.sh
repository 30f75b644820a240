#!/usr/bin/env bash
# The GPU path meets a real GPU (issue #23): on a machine with an NVIDIA GPU, PyTorch,
# nvidia-ml-py and nvidia-smi (no Podman, IPython or network needed), run as root:
#   scripts/gpu-check.sh OUT_DIR        (or set OUT, which comes first: the device machine's)
# Starts two PyTorch processes (2 GiB as this user, 5 GiB as user lcgpucheck), reads the GPU
# through labcontainer's pynvml seam and its nvidia-smi CSV seam, compares both with each
# other and with nvidia-smi's own table, and writes the recordings and report.txt into
# OUT_DIR. Exits 1 when anything disagrees (report.txt says what). A few minutes at most.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-${1:-}}
if [ -z "$out" ]; then
    echo "usage: $0 OUT_DIR (or set OUT)" >&2
    exit 2
fi
# The machine's python3 holds PyTorch; labcontainer runs from this source tree.
PYTHON=${PYTHON:-python3}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
# A bound well under a device call's 10 minutes; SIGTERM lets the check stop its processes.
exec timeout --kill-after=20 480 "$PYTHON" "$REPO/scripts/gpu_check.py" "$out"
