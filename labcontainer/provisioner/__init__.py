"""Container kernels: the jupyter_client provisioner and crash recovery."""

from .provisioner import PodmanKernelProvisioner

__all__ = ["PodmanKernelProvisioner"]
