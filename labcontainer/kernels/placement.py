"""Which server a container kernel starts on: its kernelspec's ``connection`` names them.

One name: that server. Several, with ``gpus: count=N``: the first named server that has N
free GPUs now ("free" as everywhere: no process on it and no running labcontainer container
asked for it); when none has, the launch is refused in one paragraph listing each server's
free GPUs (an unreachable one named as such). Several without count=N: the first. A restart
stays where the kernel was placed (the provisioner places once).
"""

from __future__ import annotations

from typing import Any, Callable

from ..core.errors import KernelStartError, LabContainerError
from .config import KernelContainerConfig

LOCAL = "local"


def wanted_count(gpus: str | None) -> int | None:
    """N of ``count=N``; None for any other GPU setting."""
    if not gpus or not gpus.strip().startswith("count="):
        return None
    try:
        return int(gpus.strip().removeprefix("count="))
    except ValueError:
        return None


def place(config: KernelContainerConfig, service_of: Callable[[str], Any]) -> tuple[str, str]:
    """The connection to start on, and why (for the kernel's notice and the server log).

    ``service_of(name)`` is the service of a connection (NotFoundError for an unknown name).
    Raises KernelStartError when no named server has the GPUs asked for."""
    names = list(config.connection) or [LOCAL]
    count = wanted_count(config.gpus)
    if len(names) == 1 or count is None:
        return names[0], f"runs on {names[0]}" + (" (the first of its servers)" if len(names) > 1 else "")
    seen: list[str] = []
    for name in names:
        service = service_of(name)  # (a name that is no connection: refused, naming the known ones)
        try:
            free = service.free_gpus()
        except LabContainerError as exc:
            seen.append(f"{name}: unreachable ({str(exc).splitlines()[0]})")
            continue
        if len(free) >= count:
            return name, f"runs on {name}: it had {len(free)} free GPU(s) ({','.join(map(str, free))}), {count} asked for"
        seen.append(f"{name}: {','.join(map(str, free)) if free else 'none'} free")
    raise KernelStartError(
        f"No server of this kernel has {count} free GPU(s) now, so it was not started. " + "; ".join(seen) + ".",
        hint="Try again when a GPU is released (%gpus --all shows who holds them), ask for fewer GPUs, "
        "or add a server to the kernel's connection list.",
    )
