"""LabService: the one door every front-end uses (magics, widgets, REST, provisioner, CLI),
for ONE Podman connection (this machine's, or another server's over SSH).

It takes the user's words (``-v ~/data:/data:ro``, ``--gpus count=1``), validates them the
same way for every front-end, applies labcontainer's label conventions and calls the
engine, which stays private behind it (as do the GPU readers). It connects lazily: the
first real call raises a clear ServiceUnavailable when Podman is down, loading never does.

The server app holds one per connection (``Services``) and installs the local one with
:func:`set_default_service` for the kernel provisioner. Verbs block: on an event loop, call
them with ``asyncio.to_thread``. Composed, not mixed in: ``.images``, ``.registries``, ``.checks``,
``.terminals`` (async), ``.gpu_check``, ``.kernel_host`` (the service_*.py modules).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence, cast

from .core.connection import Connection
from .core.errors import ContainerNotFound, InvalidSpec, ServiceUnavailable
from .core.models import (
    LABEL_OWNER, PURPOSE_CONTAINER, ContainerInfo, ContainerSpec, ContainerStats, EngineInfo, ExecResult, GpuView, kernel_of,
)
from .core.pulls import PullsInFlight
from .core.specs import (
    check_container_name, check_host_folders, check_image_reference, parse_env, parse_gpus, parse_port, parse_size, parse_volume,
)
from .engine import EventStream, ExecSession, PodmanEngine, TtySession  # noqa: F401 - EventStream, TtySession: for the front-ends
from .engine import connection as engine_connection
from .gpus import NvmlReader, NvmlUnavailable, RecordedReader, SharedReservations, default_reader
from .gpus.remote import RemoteSmiReader, gpu_view_of
from .remote import LinkedEngine
from .kernels.records import notebook_of  # records.py only: never a kernels/ module that uses the service
from .service_checks import SpecChecks
from .service_connections import ConnectionState, Services, unknown_connection  # noqa: F401 - for the front-ends
from .service_gpus import GpuCheck
from .service_images import Images, Registries
from .service_kernel_host import KernelHost
from .service_terminals import Terminals

#: Which containers a listing shows: labcontainer's own (by this owner), or everything this
#: user's service holds ("all of mine": a rootless service only holds the user's own).
Scope = Literal["labcontainer", "mine"]
#: Lifecycle actions the panels offer on a container.
ContainerAction = Literal["start", "stop", "restart"]
CONTAINER_ACTIONS: tuple[ContainerAction, ...] = ("start", "stop", "restart")


class LabService:
    def __init__(
        self,
        engine: PodmanEngine | None = None,
        *,
        url: str | None = None,
        start_service: bool = False,
        ssh: Connection | None = None,
        nvml: NvmlReader | None = None,
        nvml_recording: str | None = None,
        forbidden_mounts: Sequence[str] | None = None,
    ) -> None:
        """``nvml_recording``: replay NVML readings from this JSON file instead of the
        driver (demos and tests without a GPU); ``nvml``: any reader, for tests;
        ``forbidden_mounts``: host paths no container may mount (None: the default policy,
        core.specs.default_forbidden_mounts); ``ssh``: another server's connection
        (``ssh://``), reached over one SSH link."""
        self._engine = engine
        self._ssh = ssh
        self._url = url
        self._start_service = start_service
        self._nvml = nvml or (RecordedReader(nvml_recording) if nvml_recording else None)
        self._lock = threading.Lock()
        self.pulls = PullsInFlight()  # this service's one pull table: running, and failed lately (REST: GET pulls)
        #: Local images: list, pull (listed in ``pulls`` while it runs), remove, prune, disk use.
        self.images = Images(lambda: self._podman.images, self.pulls)
        #: Registries: login, logout, search, the ones Podman uses.
        self.registries = Registries(lambda: self._podman.registries)
        #: What a container may ask of the host: forbidden mounts, networks.
        self.checks = SpecChecks(lambda: self._podman, forbidden_mounts)
        #: Terminals (async): exec -it, attach.
        self.terminals = Terminals(lambda: self._podman.terminals)
        #: What --gpus meets here: GPUs that do not exist (refused), GPUs held (a note).
        self.gpu_check = GpuCheck(self.gpu_view, self.running_containers, lambda: self.owner)
        self.reservations = SharedReservations(local=ssh is None)  # the lab-wide reservations folder
        self.kernel_host = KernelHost(lambda: self._podman, ssh)  # where its kernels' sockets live

    # -- connection -------------------------------------------------------------------------

    @property
    def _podman(self) -> PodmanEngine:
        """The engine, connected on first use (raises ServiceUnavailable if Podman is down)."""
        with self._lock:
            if self._engine is None and self._ssh is not None:  # it stands for the server's engine
                self._engine = cast(PodmanEngine, LinkedEngine(self._ssh))
            elif self._engine is None:
                self._engine = PodmanEngine(self._url, start_service=self._start_service)
            return self._engine

    def reconnect(self, url: str | None = None, *, start_service: bool = False) -> EngineInfo:
        """Drop the current connection and find the service again; returns what answered."""
        self.close()
        with self._lock:
            self._url = url or self._url
            self._start_service = start_service
        return self.info()

    def started_service(self) -> Any:
        """The Podman service labcontainer started for this connection (``note``, ``stop()``), or None."""
        return None if self._ssh else engine_connection.started_service(getattr(self._engine, "url", None))

    def close(self) -> None:
        """Let go of the service (another server's: its SSH link too, nothing left running)."""
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    @property
    def url(self) -> str:
        return self._podman.url

    @property
    def server(self) -> str:
        """The connection's name (``local``: this machine's Podman)."""
        return self.kernel_host.server

    @property
    def remote(self) -> bool:
        """Another server's service (over SSH), not this machine's."""
        return self._ssh is not None

    @property
    def owner(self) -> str:
        """The user name labcontainer writes in its owner label."""
        return self._podman.owner

    def info(self) -> EngineInfo:
        """Version and mode of the service (checks that it answers)."""
        engine = self._podman
        engine.ping()
        return engine.info()

    @property
    def rootless(self) -> bool:
        return self._podman.info().rootless

    # -- containers -------------------------------------------------------------------------

    def build_spec(
        self,
        image: str,
        command: Sequence[str] = (),
        *,
        name: str | None = None,
        remove: bool = False,
        volumes: Iterable[str] = (),
        env: Iterable[str] = (),
        ports: Iterable[str] = (),
        gpus: str | None = None,
        shm_size: str | None = None,
        workdir: str | None = None,
        network: str | None = None,
        labels: dict[str, str] | None = None,
        purpose: str = PURPOSE_CONTAINER,
        podman_cli: bool = False,
    ) -> ContainerSpec:
        """Validate the user's words into a ContainerSpec; raises InvalidSpec. No side effects
        beyond reading the GPU view for ``--gpus count=N`` and checking -v host folders.
        ``podman_cli`` (the magics): a bare ``-e NAME`` takes this process's value and ``-p
        H:C`` binds every address, as ``podman run`` does; else (REST, forms) a bare name is
        refused and a port without an address binds 127.0.0.1."""
        if not image or image.startswith("-"):
            raise InvalidSpec("No image given.", hint="Say which image to run, e.g. `%container run -d IMAGE`.")
        check_image_reference(image)
        if name is not None:
            check_container_name(name)
        if workdir is not None and not workdir.startswith("/"):
            raise InvalidSpec(f"The working directory '{workdir}' must be an absolute path inside the container.")
        mounts = tuple(parse_volume(v) for v in volumes)
        self.checks.mounts(mounts)
        if mounts and self._podman.url.startswith("unix://"):  # a local service sees our folders
            check_host_folders(mounts)
        self.checks.network(network)
        return ContainerSpec(
            image=image,
            command=tuple(command),
            name=name,
            remove=remove,
            volumes=mounts,
            env=parse_env(env, inherit=podman_cli),
            ports=tuple(parse_port(p, default_host_ip="" if podman_cli else "127.0.0.1") for p in ports),
            gpus=self.gpu_devices(gpus),
            shm_size=parse_size(shm_size, field="shm_size") if shm_size else None,
            workdir=workdir,
            network=network,
            labels=dict(labels or {}),
            purpose=purpose,
        )

    def run(self, spec: ContainerSpec) -> ContainerInfo:
        """Create and start a container (detached); a container that cannot start is removed."""
        return self.reservations.after_run(self._podman.run(spec), spec.gpus, self.running_containers)

    def containers(
        self, *, all: bool = True, scope: Scope = "mine", filters: Mapping[str, str | Sequence[str]] | None = None
    ) -> list[ContainerInfo]:
        """Containers in one list call, newest first. ``scope="labcontainer"`` keeps only ours.
        Kernels waiting in a pool (started in advance, nobody's yet) are left out."""
        if scope == "labcontainer":
            merged: dict[str, list[str]] = {k: [v] if isinstance(v, str) else list(v) for k, v in (filters or {}).items()}
            merged.setdefault("label", []).append(f"{LABEL_OWNER}={self.owner}")
            found = self._podman.ps(all=all, filters=merged, managed_only=True)
        else:
            found = self._podman.ps(all=all, filters=filters)
        return [info for info in found if not info.waiting_in_pool]

    def running_containers(self) -> list[ContainerInfo]:
        """Running containers; none when Podman is down (GPUs can still be shown then)."""
        try:
            return self._podman.ps(all=False)
        except ServiceUnavailable:
            return []

    def get(self, name: str) -> ContainerInfo:
        return self._podman.get(name)

    def inspect(self, name: str) -> dict[str, Any]:
        return self._podman.inspect(name)

    def logs(self, name: str, *, tail: int | None = None, follow: bool = False, timestamps: bool = False,
                 stop: threading.Event | None = None) -> Iterator[str]:
        """The container's output line by line; ``follow`` goes on until it stops or ``stop`` is set."""
        return self._podman.logs(name, tail=tail, follow=follow, timestamps=timestamps, stop=stop)

    def log_batches(self, name: str, *, tail: int | None = None, follow: bool = False, timestamps: bool = False,
                        stop: threading.Event | None = None) -> Iterator[list[str]]:
        """``logs`` in lists of lines, one per read: write each list at once (one print per
        line is what makes a notebook slow on a chatty container)."""
        return self._podman.log_batches(name, tail=tail, follow=follow, timestamps=timestamps, stop=stop)

    def wait(self, name: str) -> int:
        return self._podman.wait(name)

    def output(self, name: str) -> tuple[str, str]:
        """Everything the container wrote, ``(stdout, stderr)`` apart; final once it stopped."""
        return self._podman.output(name)

    def exec(self, name: str, command: Sequence[str], **options: Any) -> ExecResult:
        return self._podman.exec(name, command, **options)

    def exec_stream(self, name: str, command: Sequence[str], *, workdir: str | None = None, env: Mapping[str, str] | None = None,
                    user: str | None = None, stdin: bytes | None = None) -> ExecSession:
        """Start ``podman exec``: iterate the session for ``(stream, text)``; ``.collect()`` for all."""
        return self._podman.exec_stream(name, command, workdir=workdir, env=env, user=user, stdin=stdin)

    def start(self, name: str) -> None:
        self._podman.start(name)

    def stop(self, name: str, *, timeout: int = 10) -> None:
        self._podman.stop(name, timeout=timeout)

    def stop_timeout(self, name: str) -> int:
        """Seconds between SIGTERM and SIGKILL when NAME is stopped without -t (or rm -f'd)."""
        return int(self._podman.inspect(name).get("Config", {}).get("StopTimeout", 10))

    def restart(self, name: str) -> None:
        self._podman.restart(name)

    def kill(self, name: str, *, signal: str | int = "SIGKILL") -> None:
        self._podman.kill(name, signal=signal)

    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> None:
        self._podman.remove(name, force=force, volumes=volumes)

    def rename(self, name: str, new_name: str) -> None:
        self._podman.rename(name, new_name)

    def act(self, name: str, action: ContainerAction) -> ContainerInfo:
        """One of the panels' lifecycle actions, then the container as it is now."""
        verbs: dict[str, Callable[[str], None]] = {"start": self.start, "stop": self.stop, "restart": self.restart}
        if action not in verbs:
            raise InvalidSpec(f"Unknown action '{action}'.", hint=f"Use one of {', '.join(CONTAINER_ACTIONS)}.")
        verbs[action](name)
        return self.get(name)

    def stats(self, name: str | None = None) -> list[ContainerStats]:
        return self._podman.stats(name)

    def events(self, *, since: datetime | None = None, types: Sequence[str] = ("container",)) -> EventStream:
        """Podman's events of these ``types`` ("container", "image", ...) as they happen
        (blocks between events); raises at once when no service answers. ``close()`` on the
        stream, from any thread, ends a wait."""
        return self._podman.events(since=since, filters={"type": list(types)})

    # -- kernel containers ------------------------------------------------------------------

    def kernel_container(self, name: str, kernel_id: str) -> ContainerInfo | None:
        """The container ``name`` if it really is kernel ``kernel_id``'s (labels checked), else None."""
        try:
            info = self._podman.get(name)
        except ContainerNotFound:
            return None
        return info if kernel_of(info) == kernel_id else None

    def remove_kernel_container(self, name: str, kernel_id: str) -> bool:
        """Force-remove kernel ``kernel_id``'s container; anything else named like it is left
        alone. True when it is gone (or was already)."""
        info = self.kernel_container(name, kernel_id)
        if info is None:
            return True
        try:
            self._podman.remove(info.id, force=True)
        except ContainerNotFound:
            pass
        return True

    # -- GPUs -------------------------------------------------------------------------------

    @property
    def nvml(self) -> NvmlReader:
        if self._nvml is None:  # another server's: its nvidia-smi and /proc, over its link
            self._nvml = RemoteSmiReader(self._podman.link.run, self._ssh.name) if self._ssh else default_reader()
        return self._nvml

    def gpu_view(self, running: list[ContainerInfo] | None = None, sessions: Mapping[str, str] | None = None) -> GpuView:
        """GPUs, their processes attributed to containers and users, and which are free.

        No driver → an empty view whose ``reason`` says why (never an exception). Podman
        being down does not hide the GPUs: processes just lose their container names.
        Pass the running containers when you already have them (one list call less);
        ``sessions`` (kernel id -> notebook path, a server's) names kernels' containers
        for their notebooks, a renamed one included (else the container's label says).
        """
        try:
            readings = self.nvml.read()
        except NvmlUnavailable as exc:
            return GpuView(reason=exc.reason)
        running = self.running_containers() if running is None else running
        notebooks = {c.id: notebook for c in running if (notebook := notebook_of(c, sessions))}
        self.reservations.publish(running)
        return gpu_view_of(self.nvml, readings, running, notebooks=notebooks, shared=self.reservations.others())

    def free_gpus(self) -> list[int]:
        """Indices of GPUs no process uses and no running labcontainer container asked for."""
        return self.gpu_view().free_indices()

    def gpu_devices(self, gpus: str | None) -> tuple[str, ...]:
        """A ``--gpus`` value → CDI device names; ``count=N`` picks N free GPUs now; a GPU
        this machine does not have is refused (``gpu_check.note`` says who holds the others)."""
        if gpus is None:
            return ()
        free = self.free_gpus() if gpus.strip().startswith("count=") else ()
        devices = parse_gpus(gpus, free=free)
        self.gpu_check.exists(devices)
        return devices


def open_service(connection: Connection) -> LabService:
    """The service of one connection: this machine's Podman, or another server's over one SSH
    link (its log files are never read here). Connects on the first verb, not now."""
    return LabService(ssh=connection) if connection.is_ssh else LabService(url=connection.url, start_service=connection.start_service)


_process: dict[str, Any] = {}  # "service" and "servers": the process-wide ones
_default_lock = threading.Lock()


def default_service() -> LabService:
    """The process-wide service: the server extension's when one is installed (so REST
    handlers and container kernels share it), else one that discovers Podman by itself."""
    with _default_lock:
        if "service" not in _process:
            _process["service"] = LabService()
        return _process["service"]


def default_servers() -> Services:
    """The process-wide services by connection (the server app's; else this process's own
    over the user's podman connections, local being :func:`default_service`)."""
    local = default_service()
    with _default_lock:
        if "servers" not in _process:
            _process["servers"] = Services(open_service, local)
        return _process["servers"]


def set_default_service(service: LabService, servers: Services | None = None) -> None:
    """Make ``service`` (and ``servers``: its app's, for kernels on other servers) the
    process-wide ones (the server extension does, at load)."""
    with _default_lock:
        _process.pop("servers", None)
        _process.update({"service": service, **({"servers": servers} if servers is not None else {})})

