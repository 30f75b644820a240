"""Records that cross layers: what a user asks for and what the engine reports.

Standard library only; frozen dataclasses so front-ends can pass them around freely.
``to_json()`` gives the shape the REST API documents (docs/rest-api.md).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
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
#: On a kernel's container: the notebook it was started for (Jupyter's JPY_SESSION_NAME), so
#: any front-end can say "kernel of train.ipynb" without asking the server.
LABEL_NOTEBOOK = "org.labcontainer.notebook"
#: On a kernel container started in advance (kernels/pool.py): the kernelspec whose pool it is.
LABEL_POOL = "org.labcontainer.pool"
#: Its name while it waits; a launch that takes it renames it to the kernel's usual name.
POOL_CONTAINER_PREFIX = "lc-pool-"
PURPOSE_CONTAINER = "container"
PURPOSE_KERNEL = "kernel"
#: A kernel's container is named ``lc-kernel-<kernel id>`` (see :func:`kernel_container_name`).
KERNEL_CONTAINER_PREFIX = "lc-kernel-"

# One vocabulary of container states (Podman's words). "Active" states hold resources —
# a process, reserved GPUs, a name a restart must not clash with — and count as "not
# stopped" for following logs, polling a kernel and offering Stop in the panels.
STATE_RUNNING = "running"
ACTIVE_STATES = frozenset({"running", "created", "paused", "restarting", "stopping"})


def is_active(state: str) -> bool:
    """Whether a container in ``state`` has not stopped (running, paused, starting...)."""
    return state in ACTIVE_STATES


def kernel_container_name(kernel_id: str) -> str:
    """The name of kernel ``kernel_id``'s container (a pooled one is renamed to it when taken)."""
    return f"{KERNEL_CONTAINER_PREFIX}{kernel_id}"


def kernel_of(container: ContainerInfo | Mapping[str, str]) -> str | None:
    """The id of the kernel this container is (or was started in advance for), else None.

    ``container`` is a container or its labels (a Podman event's attributes carry them). The
    labels decide, never the name: labcontainer made it (managed), for a kernel, with that
    kernel's id, so a look-alike named ``lc-kernel-...`` by hand is nobody's kernel."""
    labels = container.labels if isinstance(container, ContainerInfo) else container
    if labels.get(LABEL_MANAGED) != "true" or labels.get(LABEL_PURPOSE) != PURPOSE_KERNEL:
        return None
    return labels.get(LABEL_KERNEL_ID) or None


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


class _JsonRecord:
    """The base of the records here: each writes itself as plain JSON."""

    def to_json(self) -> dict[str, Any]:
        """A plain-JSON dict of this record (datetimes as ISO 8601 strings)."""
        return _jsonable(self)


@dataclass(frozen=True)
class VolumeSpec(_JsonRecord):
    """``-v HOST:CONTAINER[:ro]``: a bind mount of a host path."""

    host: str
    container: str
    read_only: bool = False

    def __str__(self) -> str:
        return f"{self.host}:{self.container}{':ro' if self.read_only else ''}"


def gpu_id(device: str) -> str:
    """A CDI device name's GPU part: ``nvidia.com/gpu=0`` → ``0`` (a bare id stays as it is)."""
    return device.split("=", 1)[1] if "=" in device else device


@dataclass(frozen=True)
class PortSpec(_JsonRecord):
    """``-p [IP:]HOST:CONTAINER[/PROTO]``: publish a container port on the host."""

    host_port: int
    container_port: int
    host_ip: str = ""
    protocol: str = "tcp"

    def __str__(self) -> str:
        ip = f"{self.host_ip}:" if self.host_ip else ""
        return f"{ip}{self.host_port}->{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class ContainerSpec(_JsonRecord):
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
    tty: bool = False  # -t: a terminal for its main process (`%container attach` types into it)
    stdin_open: bool = False  # -i: its stdin stays open while nothing is attached


@dataclass(frozen=True)
class ContainerInfo(_JsonRecord):
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
        return self.state == STATE_RUNNING

    @property
    def waiting_in_pool(self) -> bool:
        """A kernel started in advance that no notebook has taken yet: nobody's kernel, so
        the listings leave it out (it is renamed when a launch takes it)."""
        return self.name.startswith(POOL_CONTAINER_PREFIX) and LABEL_POOL in self.labels

    @property
    def gpu_ids(self) -> tuple[str, ...]:
        """The GPUs it asked for, as ``--gpus`` takes them (``0``, ``all``, a UUID)."""
        return tuple(gpu_id(d) for d in self.gpus)

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data.update(short_id=self.short_id, managed=self.managed, purpose=self.purpose)
        return data


@dataclass(frozen=True)
class ImageInfo(_JsonRecord):
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
class ExecResult(_JsonRecord):
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class PullProgress(_JsonRecord):
    """One step of an image pull, for progress bars.

    Byte counts are what Podman has reported so far: a layer's size is known only once its
    download starts, so ``total`` can grow during a pull (and stays 0 when every layer is
    already here, or when Podman reports text only).
    """

    image: str
    message: str
    fraction: float | None = None  # 0..1 of the bytes known so far, when any are
    done: bool = False
    layer: str = ""  # short id of the layer this step is about, if any
    downloaded: int = 0  # bytes, all layers
    total: int = 0  # bytes, all layers whose size Podman has reported
    elapsed: float = 0.0  # seconds since the pull began

    @property
    def speed(self) -> float | None:
        """Bytes per second so far (None before anything was downloaded)."""
        return self.downloaded / self.elapsed if self.downloaded and self.elapsed > 0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left for the bytes known so far, at the speed so far."""
        speed = self.speed
        return (self.total - self.downloaded) / speed if speed and self.total >= self.downloaded else None


@dataclass(frozen=True)
class RegistryCredentials:
    """A user name and password for one registry request (never shown: not in its repr)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class RemovedImage(_JsonRecord):
    """What ``rmi`` did to one image: names taken off it, and image ids deleted. When only
    the name went (Podman untags without a word), why the image stays: ``other_names`` it
    still has, ``used_by`` the containers (any state) that use it."""

    image: str
    untagged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    other_names: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiskUse(_JsonRecord):
    """One row of ``podman system df``: Images, Containers or Local Volumes."""

    kind: str
    total: int
    active: int
    size: int  # bytes
    reclaimable: int  # bytes

    @property
    def reclaimable_percent(self) -> int:
        return round(self.reclaimable / self.size * 100) if self.size > 0 else 0


@dataclass(frozen=True)
class ContainerStats(_JsonRecord):
    name: str
    id: str
    cpu_percent: float
    memory_used: int
    memory_limit: int
    pids: int


@dataclass(frozen=True)
class EngineInfo(_JsonRecord):
    url: str
    version: str
    api_version: str
    rootless: bool
    cgroup_version: str


@dataclass(frozen=True)
class GpuProcess(_JsonRecord):
    """A process using a GPU, and who it belongs to."""

    pid: int
    used_memory: int | None  # bytes; None when the driver does not say
    user: str | None = None
    container_id: str | None = None
    container_name: str | None = None
    #: How its container is shown: "kernel of train.ipynb" for a kernel's, else its name.
    holder: str | None = None


@dataclass(frozen=True)
class GpuInfo(_JsonRecord):
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
    #: Running containers that asked for this GPU (by index, UUID or "all"), from
    #: labcontainer's labels: Podman's inspect does not show CDI devices.
    reserved_by: tuple[str, ...] = ()
    #: ``reserved_by`` as the user knows them: a kernel's container as "kernel of train.ipynb".
    holders: tuple[str, ...] = ()

    @property
    def free(self) -> bool:
        """Readable, no process on it and no running container asked for it. The one
        definition of "free" that %gpus, the panels and the REST API all show."""
        return self.error is None and not self.processes and not self.reserved_by

    @property
    def users(self) -> tuple[str, ...]:
        """Containers using or holding it (as shown: "kernel of train.ipynb"), then host processes
        by user, for "used by" columns ("2 host process(es) of bob": on a shared server the user
        is what matters)."""
        names = sorted({p.holder or p.container_name for p in self.processes if p.container_name} | set(self.holders or self.reserved_by))
        host = Counter(p.user or "another user" for p in self.processes if not p.container_name)
        return tuple(names) + tuple(f"{n} host process(es) of {user}" for user, n in sorted(host.items()))

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        # "containers" is the REST name of reserved_by (docs/rest-api.md).
        data.update(free=self.free, containers=list(self.reserved_by))
        return data


@dataclass(frozen=True)
class GpuView(_JsonRecord):
    """The GPUs of this machine, who uses them and which are free, computed once
    (``gpus/inventory.py``). ``gpus`` is empty with a ``reason`` when NVML cannot be used."""

    gpus: tuple[GpuInfo, ...] = ()
    reason: str | None = None
    driver_version: str | None = None
    read_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def available(self) -> bool:
        return self.reason is None

    def free_indices(self) -> list[int]:
        return [g.index for g in self.gpus if g.free]

    def to_json(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "reason": self.reason,
            "driver_version": self.driver_version,
            "gpus": [g.to_json() for g in self.gpus],
        }
