"""GPUs: the NVML seam (nvml.py, the only importer of pynvml), the same readings from
nvidia-smi's CSV (smi.py, for servers reached by a command runner) and the GPU view.
Private behind ``service``."""

from .inventory import build_gpu_view, default_reader
from .nvml import NvmlReader, NvmlUnavailable, PynvmlReader, RecordedReader
from .reservations import SharedReservations
from .smi import SmiReader, readings_from_csv

__all__ = [
    "build_gpu_view",
    "default_reader",
    "NvmlReader",
    "NvmlUnavailable",
    "PynvmlReader",
    "RecordedReader",
    "SharedReservations",
    "SmiReader",
    "readings_from_csv",
]
