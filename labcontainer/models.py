"""Records that cross layers: what a user asks for and what the engine reports.

Standard library only; frozen dataclasses so front-ends can pass them around freely.
``to_json()`` gives the shape the REST API documents (docs/rest-api.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

# Labels on every container labcontainer creates. Clean-up paths select on these and
# never touch a container without them.
LABEL_MANAGED = "org.labcontainer.managed"
LABEL_PURPOSE = "org.labcontainer.purpose"  # "container" or "kernel"
LABEL_OWNER = "org.labcontainer.owner"  # the user name that asked for it
LABEL_GPUS = "org.labcontainer.gpus"  # comma-separated CDI device names
LABEL_KERNEL_ID = "org.labcontainer.kernel-id"
PURPOSE_CONTAINER = "container"
PURPOSE_KERNEL = "kernel"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


class _JsonMixin:
    def to_json(self) -> dict[str, Any]:
        """A plain-JSON dict of this record (datetimes as ISO 8601 strings)."""
        return _jsonable(self)


@dataclass(frozen=True)
class VolumeSpec(_JsonMixin):
    """``-v HOST:CONTAINER[:ro]``: a bind mount of a host path."""

    host: str
    container: str
    read_only: bool = False

    def __str__(self) -> str:
        return f"{self.host}:{self.container}{':ro' if self.read_only else ''}"


@dataclass(frozen=True)
class PortSpec(_JsonMixin):
    """``-p [IP:]HOST:CONTAINER[/PROTO]``: publish a container port on the host."""

    host_port: int
    container_port: int
    host_ip: str = ""
    protocol: str = "tcp"

    def __str__(self) -> str:
        ip = f"{self.host_ip}:" if self.host_ip else ""
        return f"{ip}{self.host_port}->{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class ContainerSpec(_JsonMixin):
    """Everything ``podman run -d`` needs, as labcontainer understands it.

    ``gpus`` holds CDI device names (``nvidia.com/gpu=0``); use
    :func:`labcontainer.specs.parse_gpus` to turn a ``--gpus`` value into them.
    """

    image: str
    command: tuple[str, ...] = ()
    name: str | None = None
    remove: bool = False
    volumes: tuple[VolumeSpec, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[PortSpec, ...] = ()
    gpus: tuple[str, ...] = ()
    shm_size: str | None = None
    workdir: str | None = None
    network: str | None = None  # None: Podman's default network
    init: bool = False
    userns: str | None = None  # e.g. "keep-id" (rootless file ownership)
    user: str | None = None
    entrypoint: tuple[str, ...] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    purpose: str = PURPOSE_CONTAINER


@dataclass(frozen=True)
class ContainerInfo(_JsonMixin):
    """One container as ``podman ps`` shows it."""

    id: str
    name: str
    image: str
    state: str  # created, running, paused, exited, stopped...
    status: str  # human words, e.g. "Up 3 minutes"
    created: datetime | None = None
    started_at: datetime | None = None
    command: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    gpus: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    pid: int | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def managed(self) -> bool:
        """Whether labcontainer created this container."""
        return self.labels.get(LABEL_MANAGED) == "true"

    @property
    def purpose(self) -> str | None:
        return self.labels.get(LABEL_PURPOSE)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data.update(short_id=self.short_id, managed=self.managed, purpose=self.purpose)
        return data


@dataclass(frozen=True)
class ImageInfo(_JsonMixin):
    id: str
    tags: tuple[str, ...]
    size: int
    created: datetime | None = None

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]

    @property
    def name(self) -> str:
        return self.tags[0] if self.tags else self.short_id


@dataclass(frozen=True)
class ExecResult(_JsonMixin):
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class PullProgress(_JsonMixin):
    """One step of an image pull, for progress bars."""

    image: str
    message: str
    fraction: float | None = None  # 0..1 when known
    done: bool = False


@dataclass(frozen=True)
class ContainerStats(_JsonMixin):
    name: str
    id: str
    cpu_percent: float
    memory_used: int
    memory_limit: int
    pids: int


@dataclass(frozen=True)
class EngineInfo(_JsonMixin):
    url: str
    version: str
    api_version: str
    rootless: bool
    cgroup_version: str


@dataclass(frozen=True)
class GpuProcess(_JsonMixin):
    """A process using a GPU, and who it belongs to."""

    pid: int
    used_memory: int | None  # bytes; None when the driver does not say
    user: str | None = None
    container_id: str | None = None
    container_name: str | None = None


@dataclass(frozen=True)
class GpuInfo(_JsonMixin):
    index: int
    uuid: str
    name: str
    memory_used: int | None  # bytes
    memory_total: int | None
    utilization: int | None  # percent
    temperature: int | None  # Celsius
    power_draw: float | None  # watts
    power_limit: float | None
    processes: tuple[GpuProcess, ...] = ()
    error: str | None = None  # set when this GPU could not be read (lost, fallen off the bus)

    @property
    def free(self) -> bool:
        """Nobody runs anything on it (and it could be read)."""
        return self.error is None and not self.processes

    @property
    def cdi_name(self) -> str:
        return f"nvidia.com/gpu={self.index}"


@dataclass(frozen=True)
class GpuInventory(_JsonMixin):
    """The GPUs of this machine. ``gpus`` is empty with a ``reason`` when NVML cannot be used."""

    gpus: tuple[GpuInfo, ...] = ()
    reason: str | None = None
    driver_version: str | None = None
    read_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def available(self) -> bool:
        return self.reason is None

    def free_indices(self) -> list[int]:
        return [g.index for g in self.gpus if g.free]
