"""Pure helpers behind the panel: containers → rows, and a bounded log buffer."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePath

from ..core.models import ContainerInfo, GpuView, is_active, kernel_of
from ..core.timefmt import describe_duration, describe_status
from ..kernels import records


@dataclass(frozen=True)
class Row:
    name: str
    image: str
    status: str
    uptime: str
    gpus: str
    ports: str
    managed: bool
    can_start: bool
    can_stop: bool
    can_restart: bool
    can_remove: bool
    #: For a container kernel's container: what it serves ("kernel of train.ipynb"), else "".
    kernel: str = ""
    #: The exact start time, for the status's tooltip ("" when it never started).
    started: str = ""


def rows_from(containers: Iterable[ContainerInfo], now: datetime | None = None) -> list[Row]:
    now = now or datetime.now(timezone.utc)
    rows = []
    for c in sorted(containers, key=lambda c: c.name):
        running = c.running
        active = is_active(c.state)
        uptime = describe_duration((now - c.started_at).total_seconds()) if running and c.started_at else "-"
        # Aged to ``now``: Podman's words were true when the list was read, maybe a while ago.
        status = describe_status(c.state, c.started_at, None, c.exit_code, now) if running and c.started_at else c.status
        rows.append(
            Row(
                name=c.name,
                image=c.image,
                status=status,
                uptime=uptime,
                gpus=",".join(c.gpu_ids) or "-",
                ports=", ".join(c.ports) or "-",
                managed=c.managed,
                can_start=not running,
                can_stop=active,
                can_restart=running,
                # Like `podman rm` without -f: a running container must be stopped first.
                can_remove=not active,
                kernel=_kernel_words(c),
                started=exact_time(c.started_at) if c.started_at else "",
            )
        )
    return rows


def exact_time(when: datetime) -> str:
    """A start time to the second (to the microsecond when known), in UTC."""
    text = when.astimezone(timezone.utc).isoformat(sep=" ", timespec="microseconds" if when.microsecond else "seconds")
    return text.replace("+00:00", " UTC")


def next_change_in(containers: Iterable[ContainerInfo], now: datetime | None = None) -> float | None:
    """Seconds until a running container's "Up ..." words change with time alone (None: no
    running container): a second after the start, then at each minute, hour or day."""
    now = now or datetime.now(timezone.utc)
    waits = []
    for c in containers:
        if c.running and c.started_at:
            age = max(0.0, (now - c.started_at).total_seconds())
            step = 1.0 if age < 1 else 60.0 if age < 3600 else 3600.0 if age < 86400 else 86400.0
            waits.append(step - age % step if age >= 1 else 1.0 - age)
    return min(waits) if waits else None


def _kernel_words(c: ContainerInfo) -> str:
    if not kernel_of(c):
        return ""
    notebook = records.notebook_of(c)
    return f"kernel of {PurePath(notebook).name}" if notebook else "a container kernel"


@dataclass(frozen=True)
class GpuBar:
    index: int
    label: str
    memory_fraction: float
    utilization_fraction: float
    users: str
    free: bool


def gpu_bars(view: GpuView) -> list[GpuBar]:
    """One bar per GPU; "free" and "used by" are the view's (computed once, for everyone)."""
    bars = []
    for gpu in view.gpus:
        memory = (gpu.memory_used or 0) / gpu.memory_total if gpu.memory_total else 0.0
        bars.append(
            GpuBar(
                index=gpu.index,
                label=f"GPU {gpu.index} {gpu.name}{' (free)' if gpu.free else ''}",
                memory_fraction=min(1.0, memory),
                utilization_fraction=min(1.0, (gpu.utilization or 0) / 100),
                users=", ".join(gpu.users) or "nobody",
                free=gpu.free,
            )
        )
    return bars


class LogBuffer:
    """The last ``limit`` lines: following a chatty container never floods the browser."""

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self._lines: deque[str] = deque(maxlen=limit)
        self.total = 0

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self._lines.append(line)
            self.total += 1

    def clear(self) -> None:
        self._lines.clear()
        self.total = 0

    def __len__(self) -> int:
        return len(self._lines)

    def text(self) -> str:
        return "\n".join(self._lines)
