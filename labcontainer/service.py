"""LabService: the one façade the front-ends share (magics, panel, REST, provisioner).

It takes the user's words (``-v ~/data:/data:ro``, ``--gpus count=1``), validates them the
same way for every front-end, applies labcontainer's label conventions and calls the
engine. It connects lazily, so loading a front-end never fails because Podman is down;
the first real call raises a clear ServiceUnavailable instead.
"""

from __future__ import annotations

import threading
from typing import Iterable, Literal, Sequence

from .engine import PodmanEngine
from .errors import InvalidSpec
from .gpus.inventory import build_inventory, default_reader, free_gpu_indices
from .gpus.nvml import NvmlReader, NvmlUnavailable
from .models import (
    LABEL_OWNER,
    PURPOSE_CONTAINER,
    ContainerInfo,
    ContainerSpec,
    GpuInventory,
)
from .specs import check_container_name, parse_env, parse_gpus, parse_port, parse_size, parse_volume

#: Which containers a listing shows: labcontainer's own, everything this user's service
#: holds ("all of mine" — a rootless service only holds the user's own), or everything.
Scope = Literal["labcontainer", "mine", "all"]


class LabService:
    def __init__(
        self,
        engine: PodmanEngine | None = None,
        *,
        url: str | None = None,
        start_service: bool = False,
        nvml: NvmlReader | None = None,
    ) -> None:
        self._engine = engine
        self._url = url
        self._start_service = start_service
        self._nvml = nvml
        self._lock = threading.Lock()

    @property
    def engine(self) -> PodmanEngine:
        """The engine, connected on first use (raises ServiceUnavailable if Podman is down)."""
        with self._lock:
            if self._engine is None:
                self._engine = PodmanEngine(self._url, start_service=self._start_service)
            return self._engine

    def reconnect(self, url: str | None = None, *, start_service: bool = False) -> PodmanEngine:
        """Drop the current connection and find the service again."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()
            self._engine = None
            self._url = url or self._url
            self._start_service = start_service
        return self.engine

    @property
    def nvml(self) -> NvmlReader:
        if self._nvml is None:
            self._nvml = default_reader()
        return self._nvml

    # -- containers ---------------------------------------------------------------------

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
    ) -> ContainerSpec:
        """Validate the user's words into a ContainerSpec; raises InvalidSpec. No side effects
        beyond reading the GPU inventory for ``--gpus count=N``."""
        if not image or image.startswith("-"):
            raise InvalidSpec("No image given.", hint="Say which image to run, e.g. `%container run -d IMAGE`.")
        if name is not None:
            check_container_name(name)
        if workdir is not None and not workdir.startswith("/"):
            raise InvalidSpec(f"The working directory '{workdir}' must be an absolute path inside the container.")
        gpu_devices: tuple[str, ...] = ()
        if gpus is not None:
            free = self.free_gpus() if gpus.strip().startswith("count=") else ()
            gpu_devices = parse_gpus(gpus, free=free)
        return ContainerSpec(
            image=image,
            command=tuple(command),
            name=name,
            remove=remove,
            volumes=tuple(parse_volume(v) for v in volumes),
            env=parse_env(env),
            ports=tuple(parse_port(p) for p in ports),
            gpus=gpu_devices,
            shm_size=parse_size(shm_size) if shm_size else None,
            workdir=workdir,
            network=network,
            labels=dict(labels or {}),
            purpose=purpose,
        )

    def run(self, spec: ContainerSpec) -> ContainerInfo:
        """Create and start a container (detached)."""
        return self.engine.run(spec)

    def containers(self, *, all: bool = True, scope: Scope = "mine") -> list[ContainerInfo]:
        """Containers in one list call. ``scope="labcontainer"`` keeps only ours, by this owner."""
        if scope == "labcontainer":
            return self.engine.ps(all=all, filters={"label": f"{LABEL_OWNER}={self.engine.owner}"}, managed_only=True)
        return self.engine.ps(all=all)

    # -- GPUs ---------------------------------------------------------------------------

    def gpu_inventory(self, containers: list[ContainerInfo] | None = None) -> GpuInventory:
        """GPUs with their processes attributed to containers and users.

        No driver → an empty inventory whose ``reason`` says why (never an exception).
        Podman being down does not hide the GPUs: processes just lose their container names.
        """
        try:
            readings = self.nvml.read()
        except NvmlUnavailable as exc:
            return GpuInventory(reason=exc.reason)
        if containers is None:
            containers = self.running_containers()
        return build_inventory(readings, containers)

    def free_gpus(self, inventory: GpuInventory | None = None, running: list[ContainerInfo] | None = None) -> list[int]:
        """Indices of GPUs no process uses and no running labcontainer container reserved.
        Pass an inventory and the running containers already read to avoid reading them again."""
        if running is None:
            running = self.running_containers()
        if inventory is None:
            inventory = self.gpu_inventory(running)
        return free_gpu_indices(inventory, running)

    def running_containers(self) -> list[ContainerInfo]:
        """Running containers; none when Podman is down (GPUs can still be shown then)."""
        from .errors import ServiceUnavailable

        try:
            return self.engine.ps(all=False)
        except ServiceUnavailable:
            return []


_default: LabService | None = None
_default_lock = threading.Lock()


def default_service() -> LabService:
    """The process-wide service the magics and panel share (connects lazily)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LabService()
        return _default
