"""GPUs: the NVML seam (nvml.py, the only importer of pynvml) and the GPU view. Private behind ``service``."""

from .inventory import build_gpu_view, default_reader
from .nvml import NvmlReader, NvmlUnavailable, PynvmlReader, RecordedReader

__all__ = ["build_gpu_view", "default_reader", "NvmlReader", "NvmlUnavailable", "PynvmlReader", "RecordedReader"]
