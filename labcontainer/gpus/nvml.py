"""The one seam over NVML: read raw GPU readings, nothing else.

:class:`PynvmlReader` is the production path (the only importer of ``pynvml``).
:class:`RecordedReader` replays readings recorded as JSON, for tests and demos on
machines without a GPU. Both return :class:`Readings`; turning readings into an
inventory (who owns which process) is pure code in :mod:`labcontainer.gpus.inventory`.

Like nvitop and gpustat: NVML is initialised lazily (never at import), a value the driver
cannot give becomes None, and a GPU that cannot be read becomes one row with ``error``
set rather than a failed query.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar

T = TypeVar("T")

NO_DRIVER_REASON = (
    "No NVIDIA driver found on this machine (NVML could not be loaded), so there are no GPUs to show. "
    "On a GPU server, ask your admin to check `nvidia-smi`."
)


class NvmlUnavailable(Exception):
    """NVML cannot be used here; ``reason`` says why in the user's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProcessReading:
    pid: int
    used_memory: int | None  # bytes


@dataclass(frozen=True)
class GpuReading:
    index: int
    uuid: str = ""
    name: str = ""
    memory_used: int | None = None
    memory_total: int | None = None
    utilization: int | None = None
    temperature: int | None = None
    power_draw: float | None = None  # watts
    power_limit: float | None = None
    processes: tuple[ProcessReading, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Readings:
    gpus: tuple[GpuReading, ...] = ()
    driver_version: str | None = None


class NvmlReader(Protocol):
    def read(self) -> Readings:
        """Read every GPU now. Raises NvmlUnavailable when there is no usable driver."""


class PynvmlReader:
    """Readings from the real NVIDIA driver through pynvml (nvidia-ml-py)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._initialised = False

    def _init(self):
        try:
            import pynvml
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise NvmlUnavailable(f"The nvidia-ml-py package is missing ({exc}).") from exc
        with self._lock:
            if not self._initialised:
                try:
                    pynvml.nvmlInit()
                except pynvml.NVMLError as exc:
                    raise NvmlUnavailable(f"{NO_DRIVER_REASON} (NVML said: {exc})") from exc
                self._initialised = True
        return pynvml

    def read(self) -> Readings:
        pynvml = self._init()
        driver = _maybe(pynvml, lambda: _text(pynvml.nvmlSystemGetDriverVersion()))
        try:
            count = pynvml.nvmlDeviceGetCount()
        except pynvml.NVMLError as exc:
            raise NvmlUnavailable(f"NVML is loaded but cannot count the GPUs: {exc}") from exc
        return Readings(gpus=tuple(self._read_gpu(pynvml, i) for i in range(count)), driver_version=driver)

    def _read_gpu(self, pynvml, index: int) -> GpuReading:
        try:
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        except pynvml.NVMLError as exc:
            return GpuReading(index=index, error=f"cannot be read: {exc}")
        memory = _memory_info(pynvml, handle)
        rates = _maybe(pynvml, lambda: pynvml.nvmlDeviceGetUtilizationRates(handle))
        power = _maybe(pynvml, lambda: pynvml.nvmlDeviceGetPowerUsage(handle))
        limit = _maybe(pynvml, lambda: pynvml.nvmlDeviceGetEnforcedPowerLimit(handle))
        processes: dict[int, ProcessReading] = {}
        for query in (pynvml.nvmlDeviceGetComputeRunningProcesses, pynvml.nvmlDeviceGetGraphicsRunningProcesses):
            for proc in _maybe(pynvml, lambda query=query: query(handle)) or []:
                used = getattr(proc, "usedGpuMemory", None)
                processes.setdefault(int(proc.pid), ProcessReading(pid=int(proc.pid), used_memory=used if isinstance(used, int) else None))
        return GpuReading(
            index=index,
            uuid=_maybe(pynvml, lambda: _text(pynvml.nvmlDeviceGetUUID(handle))) or "",
            name=_maybe(pynvml, lambda: _text(pynvml.nvmlDeviceGetName(handle))) or "",
            memory_used=getattr(memory, "used", None),
            memory_total=getattr(memory, "total", None),
            utilization=getattr(rates, "gpu", None),
            temperature=_maybe(pynvml, lambda: pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU)),
            power_draw=power / 1000.0 if isinstance(power, (int, float)) else None,
            power_limit=limit / 1000.0 if isinstance(limit, (int, float)) else None,
            processes=tuple(processes.values()),
        )


class RecordedReader:
    """Replays readings recorded as JSON (a file path or an already-loaded dict).

    The JSON has the shape of :class:`Readings`: ``{"driver_version": "...", "gpus":
    [{"index": 0, "uuid": ..., "processes": [{"pid": 1234, "used_memory": 1024}]}]}``, or
    ``{"unavailable": "reason"}`` to replay a machine without a driver. ``pid`` may be the
    string ``"self"`` (this process) to let tests point at a live process.
    """

    def __init__(self, source: str | Path | dict[str, Any], *, pid_resolver: Callable[[Any], int] | None = None) -> None:
        self._source = source
        self._pid_resolver = pid_resolver or _default_pid

    def read(self) -> Readings:
        data = self._source if isinstance(self._source, dict) else json.loads(Path(self._source).read_text())
        if data.get("unavailable"):
            raise NvmlUnavailable(str(data["unavailable"]))
        gpus = []
        for raw in data.get("gpus", []):
            procs = tuple(
                ProcessReading(pid=self._pid_resolver(p["pid"]), used_memory=p.get("used_memory"))
                for p in raw.get("processes", [])
            )
            fields = {k: v for k, v in raw.items() if k != "processes" and k in GpuReading.__dataclass_fields__}
            gpus.append(GpuReading(**fields, processes=procs))
        return Readings(gpus=tuple(gpus), driver_version=data.get("driver_version"))


def _default_pid(value: Any) -> int:
    import os

    return os.getpid() if value == "self" else int(value)


def _memory_info(pynvml, handle):
    """Memory as nvidia-smi counts it: NVML's v2 leaves out what the driver reserves, which
    v1 counts as used (hundreds of MiB on an idle A100 or H100). v1 where v2 is missing."""
    version = getattr(pynvml, "nvmlMemory_v2", None)
    memory = _maybe(pynvml, lambda: pynvml.nvmlDeviceGetMemoryInfo(handle, version=version)) if version else None
    return memory if memory is not None else _maybe(pynvml, lambda: pynvml.nvmlDeviceGetMemoryInfo(handle))


def _maybe(pynvml, call: Callable[[], T]) -> T | None:
    """A value NVML cannot give (not supported, no permission, GPU lost) becomes None."""
    try:
        return call()
    except pynvml.NVMLError:
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
