"""The engine layer: the only code that imports podman-py."""

from .podman import ExecSession, PodmanEngine

__all__ = ["PodmanEngine", "ExecSession"]
