"""Which server answered: ``-c NAME``'s answers say so, ``%container system connection ls``
lists the servers with their state, ``%gpus --all`` shows every server's GPUs, grouped."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..core.errors import LabContainerError
from ..service import LabService, Services
from .gpus import FreeGpus, GpuReport, gpu_report
from .render import Table


def on_server(name: str | None, action: Callable[[], Any]) -> Any:
    """Run ``action`` on connection ``name`` (None: this kernel's, said nowhere, as before):
    a table it answers gets a line above it naming the server; an error names it too."""
    if name is None:
        return action()
    try:
        result = action()
    except LabContainerError as error:
        if name not in error.message:
            error.message = f"On {name}: {error.message}"
        raise
    if hasattr(result, "server"):
        result.server = name
    return result


def connection_table(servers: Services[LabService]) -> Table:
    """``%container system connection ls``: each server, its URI, the default, and whether it answers now."""
    states = servers.states(LabService.info)
    rows = [(s.name, s.uri, "yes" if s.default else "", s.state) for s in states]
    return Table(["name", "uri", "default", "state"], rows, empty="No servers.")


class AllGpus:
    """``%gpus --all``: each server's report (or --free answer, or why it cannot be read), grouped."""

    def __init__(self, parts: list[tuple[str, Any]]) -> None:
        self.parts = parts

    def __getitem__(self, name: str) -> Any:
        return dict(self.parts)[name]

    def __repr__(self) -> str:
        return "\n\n".join(f"== {name} ==\n{part!r}" if not isinstance(part, FreeGpus) else f"{name}: {part}" for name, part in self.parts)

    def _repr_html_(self) -> str:
        chunks = []
        for name, part in self.parts:
            body = part._repr_html_() if hasattr(part, "_repr_html_") else f"<pre>{part}</pre>"
            chunks.append(f"<h4>{name}</h4>{body}")
        return "".join(chunks)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


def _one(service: LabService, free_only: bool) -> Any:
    try:
        return gpu_report(service, free_only)
    except LabContainerError as error:
        return Table([], [], empty=f"unreachable: {error}")


def gpus_everywhere(servers: Services[LabService], free_only: bool) -> AllGpus:
    """Every server's GPUs, asked at once (an unreachable one answers within its deadline, named)."""
    names = servers.names()
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="labcontainer-gpus") as pool:
        parts = list(pool.map(lambda name: _one(servers.get(name), free_only), names))
    return AllGpus(list(zip(names, parts)))


__all__ = ["AllGpus", "GpuReport", "connection_table", "gpus_everywhere", "on_server"]
