"""Stub pynvml over the simulated GPU (gpusim.py): the calls PynvmlReader makes."""

import os
from types import SimpleNamespace

import gpusim

NVML_TEMPERATURE_GPU = 0


class NVMLError(Exception):
    pass


def nvmlInit():
    pass


def nvmlSystemGetDriverVersion():
    return gpusim.DRIVER


def nvmlDeviceGetCount():
    return 1


def nvmlDeviceGetHandleByIndex(index):
    return index


def nvmlDeviceGetMemoryInfo(handle):
    used = gpusim.memory_used() + 12345  # bytes, not whole MiB, as NVML gives them
    return SimpleNamespace(total=gpusim.TOTAL, used=used, free=gpusim.TOTAL - used)


def nvmlDeviceGetUtilizationRates(handle):
    return SimpleNamespace(gpu=0, memory=0)


def nvmlDeviceGetPowerUsage(handle):
    return 69000


def nvmlDeviceGetEnforcedPowerLimit(handle):
    return 700000


def nvmlDeviceGetTemperature(handle, sensor):
    return 30


def nvmlDeviceGetUUID(handle):
    return gpusim.UUID


def nvmlDeviceGetName(handle):
    return gpusim.NAME


def nvmlDeviceGetComputeRunningProcesses(handle):
    # GPUSIM_PYNVML_SKEW_MIB: a pynvml that disagrees with nvidia-smi, for the check to catch.
    skew = int(os.environ.get("GPUSIM_PYNVML_SKEW_MIB", "0")) * gpusim.MIB
    return [SimpleNamespace(pid=pid, usedGpuMemory=used + skew) for pid, used in gpusim.processes()]


def nvmlDeviceGetGraphicsRunningProcesses(handle):
    return []
