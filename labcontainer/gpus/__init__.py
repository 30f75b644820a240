"""GPUs: the NVML seam (nvml.py, the only importer of pynvml) and pure inventory logic."""

from .inventory import build_inventory, default_reader, free_gpu_indices
from .nvml import NvmlReader, NvmlUnavailable, PynvmlReader, RecordedReader

__all__ = ["build_inventory", "default_reader", "free_gpu_indices", "NvmlReader", "NvmlUnavailable", "PynvmlReader", "RecordedReader"]
