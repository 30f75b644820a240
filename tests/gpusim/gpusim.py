"""A simulated GPU for running scripts/gpu_check.py end to end on a machine without one.

Its "processes" are the live processes running the check's worker (found in /proc by the
worker's code), each using what it asked for plus a context. The stub ``pynvml``, the stub
``nvidia-smi`` and the stub ``torch`` beside this file all read it, so the check's flow
(workers, two seams, table, recordings, stop, idle) runs without a GPU. It proves the flow,
not the driver: only a real GPU run can show what a driver really reports.
"""

from __future__ import annotations

import os
from pathlib import Path

MIB = 1 << 20
UUID = "GPU-51a1ab1e-0000-4000-8000-00000000a100"
NAME = "NVIDIA H100 80GB HBM3"
DRIVER = "580.159.04"
TOTAL = 81559 * MIB
CONTEXT = 500 * MIB
#: What the driver keeps for itself: NVML's v1 memory info counts it as used, v2 and
#: nvidia-smi (since R510) do not (rust-nvml/nvml-wrapper#57: 912 MB vs 7.8 MB on an A100).
RESERVED = 512 * MIB
MARKER = "hold the memory until the check closes our stdin"


def processes() -> list[tuple[int, int]]:
    """(pid, used bytes) of every live check worker (the python, not a runuser around it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        argv = [a.decode(errors="replace") for a in argv if a]
        if len(argv) >= 3 and "runuser" not in os.path.basename(argv[0]) and any(MARKER in a for a in argv):
            found.append((int(entry.name), int(argv[-1]) + CONTEXT))
    return sorted(found)


def memory_used() -> int:
    return sum(used for _, used in processes())
