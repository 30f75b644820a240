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


nvmlMemory_v2 = 0x02000028


def nvmlDeviceGetMemoryInfo(handle, version=None):
    used = gpusim.memory_used() + 12345  # bytes, not whole MiB, as NVML gives them
    if version is None:  # v1: what the driver reserves is "used" too
        return SimpleNamespace(total=gpusim.TOTAL, used=used + gpusim.RESERVED, free=gpusim.TOTAL - used - gpusim.RESERVED)
    return SimpleNamespace(version=version, total=gpusim.TOTAL, reserved=gpusim.RESERVED, used=used,
                           free=gpusim.TOTAL - used - gpusim.RESERVED)


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
