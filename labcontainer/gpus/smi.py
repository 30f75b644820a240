"""The same readings as the NVML seam, read from ``nvidia-smi``'s CSV instead of pynvml.

For a GPU server reached over SSH (no Python of ours runs there): the NVIDIA driver ships
``nvidia-smi``, so two commands give everything :class:`~labcontainer.gpus.nvml.Readings`
holds. :class:`SmiReader` takes the function that runs a command and returns its stdout
(locally :func:`run_local`; over an SSH link, the link's own runner), so the parsing is
pure code, tested on recorded outputs.

nvidia-smi's CSV rules, as its ``--format=csv,noheader,nounits`` writes them:
- one line per GPU (or per process), fields joined by ``", "``, never quoted; so the one
  free-text field we ask for, the GPU's name, comes last and keeps whatever commas it has;
- a value the driver cannot give is a bracketed word instead of a number: ``[N/A]``,
  ``[Not Supported]``, ``[Unknown Error]``, ``[Insufficient Permissions]``, ``[GPU is lost]``;
  each becomes None, as pynvml's NVMLError does in :class:`PynvmlReader`;
- memory is in MiB (``nounits`` drops the " MiB"; a recording with units still reads);
- no compute process is an empty output (the "No running processes found" line is the
  human table's, not the CSV's);
- a GPU nvidia-smi cannot open is a message line in its place ("Unable to determine the
  device handle for GPU ...: GPU is lost") and it exits non-zero: that GPU becomes one row
  with ``error`` set, numbered by its line, as PynvmlReader numbers a handle it cannot get.
  (Not yet seen on a real lost GPU: the lines are assumed to come in index order.)

Differences from pynvml, by nvidia-smi's design: only compute processes are listed
(there is no graphics-process query), and memory is whole MiB.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from typing import Callable, Sequence

from .nvml import GpuReading, NvmlUnavailable, ProcessReading, Readings

#: Runs a command (argv) and returns its stdout; raises NvmlUnavailable when it cannot.
CommandRunner = Callable[[Sequence[str]], str]

MIB = 1 << 20


def _int(value: str) -> int:
    return int(float(value))


def _mib(value: str) -> int:
    return int(round(float(value) * MIB))


#: The one list of what is asked of nvidia-smi: (GpuReading field, nvidia-smi field, parser).
#: ``name`` must stay last (it is the only field that may hold commas). ``driver_version``
#: is per GPU in nvidia-smi and per machine in Readings. ``enforced.power.limit`` is what
#: PynvmlReader reads (nvmlDeviceGetEnforcedPowerLimit); ``power.limit`` is only the setting.
GPU_FIELDS: tuple[tuple[str, str, Callable[[str], object]], ...] = (
    ("index", "index", _int),
    ("uuid", "uuid", str),
    ("driver_version", "driver_version", str),
    ("memory_total", "memory.total", _mib),
    ("memory_used", "memory.used", _mib),
    ("utilization", "utilization.gpu", _int),
    ("temperature", "temperature.gpu", _int),
    ("power_draw", "power.draw", float),
    ("power_limit", "enforced.power.limit", float),
    ("name", "name", str),
)

#: The same for ``--query-compute-apps``: which GPU (by UUID), which process, how much memory.
APP_FIELDS: tuple[tuple[str, str, Callable[[str], object]], ...] = (
    ("gpu_uuid", "gpu_uuid", str),
    ("pid", "pid", _int),
    ("used_memory", "used_memory", _mib),
)

_FORMAT = "--format=csv,noheader,nounits"
GPU_COMMAND: tuple[str, ...] = ("nvidia-smi", "--query-gpu=" + ",".join(f[1] for f in GPU_FIELDS), _FORMAT)
APPS_COMMAND: tuple[str, ...] = ("nvidia-smi", "--query-compute-apps=" + ",".join(f[1] for f in APP_FIELDS), _FORMAT)

_UNITS = ("MiB", "W", "%", "C")
#: How nvidia-smi says it cannot open one GPU (the others are still listed).
_PER_GPU_MESSAGE = "device handle"


def value_of(raw: str, parse: Callable[[str], object]) -> object | None:
    """One CSV value: None for what the driver cannot give (``[N/A]``, ``[Not Supported]``...)."""
    text = raw.strip()
    if not text or (text.startswith("[") and text.endswith("]")) or text in ("N/A", "Not Supported"):
        return None
    if parse is not str:
        for unit in _UNITS:  # a recording made without ``nounits``
            if text.endswith(unit):
                text = text[: -len(unit)].strip()
                break
    try:
        return parse(text)
    except ValueError:
        return None


def _split(line: str, count: int) -> list[str] | None:
    """A line's ``count`` fields (the last keeps any commas), or None when it is not a row."""
    parts = line.split(",", count - 1)
    return parts if len(parts) == count else None


def parse_gpus_csv(text: str) -> tuple[tuple[GpuReading, ...], str | None]:
    """``--query-gpu`` output (GPU_FIELDS) → the GPUs (without processes) and the driver version."""
    gpus: list[GpuReading] = []
    driver: str | None = None
    for position, line in enumerate(l for l in text.splitlines() if l.strip()):
        parts = _split(line, len(GPU_FIELDS))
        index = value_of(parts[0], _int) if parts else None
        if parts is None or index is None:
            # nvidia-smi writes why it cannot read a GPU where that GPU's row would be.
            gpus.append(GpuReading(index=position, error=f"cannot be read: {line.strip()}"))
            continue
        values = {field: value_of(raw, parse) for (field, _, parse), raw in zip(GPU_FIELDS, parts)}
        version = values.pop("driver_version")
        driver = driver or (str(version) if version else None)
        values["uuid"] = values["uuid"] or ""
        values["name"] = values["name"] or ""
        gpus.append(GpuReading(**values))
    return tuple(gpus), driver


def parse_apps_csv(text: str) -> dict[str, tuple[ProcessReading, ...]]:
    """``--query-compute-apps`` output (APP_FIELDS) → each GPU's processes, by GPU UUID.

    A process listed twice on one GPU counts once, as in PynvmlReader; lines that are not
    rows (an empty output is no process at all) are skipped."""
    by_gpu: dict[str, dict[int, ProcessReading]] = {}
    for line in text.splitlines():
        parts = _split(line, len(APP_FIELDS)) if line.strip() else None
        if parts is None:
            continue
        values = {field: value_of(raw, parse) for (field, _, parse), raw in zip(APP_FIELDS, parts)}
        if not values["gpu_uuid"] or values["pid"] is None:
            continue
        pid = int(values["pid"])
        by_gpu.setdefault(str(values["gpu_uuid"]), {}).setdefault(pid, ProcessReading(pid=pid, used_memory=values["used_memory"]))
    return {uuid: tuple(procs.values()) for uuid, procs in by_gpu.items()}


def readings_from_csv(gpus_text: str, apps_text: str) -> Readings:
    """Both outputs → the Readings PynvmlReader would give. Raises NvmlUnavailable when the
    GPU query printed no GPU at all but said something (no driver, no devices)."""
    gpus, driver = parse_gpus_csv(gpus_text)
    if gpus and all(g.error for g in gpus) and _PER_GPU_MESSAGE not in gpus_text:
        # "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver",
        # "No devices were found", "Failed to initialize NVML": the machine's, not one GPU's.
        raise NvmlUnavailable(f"nvidia-smi could not read the GPUs: {' '.join(gpus_text.split())}")
    processes = parse_apps_csv(apps_text)
    gpus = tuple(replace(g, processes=processes.get(g.uuid, ())) if g.uuid else g for g in gpus)
    return Readings(gpus=gpus, driver_version=driver)


def run_local(argv: Sequence[str], timeout: float = 30.0) -> str:
    """Run nvidia-smi on this machine; its stdout, even on a non-zero exit (a lost GPU still
    leaves the other GPUs' rows). Raises NvmlUnavailable when it is missing or says nothing."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise NvmlUnavailable(f"{argv[0]} is not installed here, so there are no GPUs to show ({exc}).") from exc
    except OSError as exc:  # not executable, or a folder on PATH this user may not read
        raise NvmlUnavailable(f"{argv[0]} cannot be run here: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise NvmlUnavailable(f"{argv[0]} did not answer within {timeout:g} s.") from exc
    if done.returncode != 0 and not done.stdout.strip():
        raise NvmlUnavailable(f"{argv[0]} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


class SmiReader:
    """An NvmlReader that reads ``nvidia-smi``'s CSV through ``run`` (default: this machine)."""

    def __init__(self, run: CommandRunner = run_local) -> None:
        self._run = run

    def read(self) -> Readings:
        gpus_text = self._run(GPU_COMMAND)
        apps_text = self._run(APPS_COMMAND)
        return readings_from_csv(gpus_text, apps_text)
