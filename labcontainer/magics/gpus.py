"""``%gpus``: which GPU is used by which container and user, and which are free."""

from __future__ import annotations

import html
from typing import Any

from ..core.models import GpuView
from ..core.timefmt import human_mib
from ..service import LabService
from .render import Table


def gpu_report(service: LabService, free_only: bool) -> Any:
    view = service.gpu_view()
    if not view.available:
        return Table([], [], empty=f"No GPUs: {view.reason}")
    if free_only:
        return FreeGpus(view.free_indices())
    gpu_rows = [
        (
            g.index,
            g.name or "?",
            f"{human_mib(g.memory_used)} / {human_mib(g.memory_total)}",
            "-" if g.utilization is None else f"{g.utilization}%",
            "-" if g.temperature is None else f"{g.temperature}°C",
            "free" if g.free else (g.error or ", ".join(g.users)),
        )
        for g in view.gpus
    ]
    process_rows = [
        (g.index, p.pid, p.user or "?", p.holder or p.container_name or ("(host)" if not p.container_id else p.container_id[:12]), human_mib(p.used_memory))
        for g in view.gpus
        for p in g.processes
    ]
    return GpuReport(
        Table(["gpu", "name", "memory used / total", "util", "temp", "used by"], gpu_rows, empty="This machine has no GPUs."),
        Table(["gpu", "pid", "user", "container", "gpu memory"], process_rows, empty="No processes on any GPU."),
        view,
        "" if service.reservations.enabled else NOT_SHARED,
    )


#: The one line %gpus adds when the lab has no shared reservations folder.
NOT_SHARED = (
    "Free is what you can see: GPUs other members' containers reserved but do not use yet are not shown "
    "(the admin can share them: c.LabContainer.shared_reservations_dir or LABCONTAINER_SHARED_RESERVATIONS)."
)


class GpuReport:
    """``%gpus``: the GPU table and the process table; ``.view`` holds the records;
    ``.note``: the "free is what you can see" line, or ''."""

    def __init__(self, gpus: Table, processes: Table, view: GpuView, note: str = "") -> None:
        self.gpus, self.processes, self.view, self.note = gpus, processes, view, note
        #: The server that answered (``%gpus -c NAME``), a line above the tables.
        self.server = ""

    def __repr__(self) -> str:
        above = f"on {self.server}:\n" if self.server else ""
        return f"{above}{self.gpus.text()}\n\n{self.processes.text()}" + (f"\n\n{self.note}" if self.note else "")

    def _repr_html_(self) -> str:
        above = f"<p>on <b>{html.escape(self.server)}</b>:</p>" if self.server else ""
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        return f"{above}{self.gpus.html()}<h4>Processes</h4>{self.processes.html()}{note}"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


class FreeGpus(str):
    """``%gpus --free``: "0,2" — what ``%container run --gpus`` accepts — or "none"."""

    indices: list[int]

    def __new__(cls, indices: list[int]) -> "FreeGpus":
        obj = super().__new__(cls, ",".join(str(i) for i in indices) if indices else "none")
        obj.indices = indices
        return obj

    # Shown as the value itself (1, or 0,2), not as a Python string literal ('1'): what the
    # user reads is what --gpus takes. It stays a str: `--gpus {free}` and `== "1"` work.
    def __repr__(self) -> str:
        return str.__str__(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str.__str__(self))
