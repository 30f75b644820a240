"""FakeEngine: an in-memory stand-in for PodmanEngine, for the fast tier.

It has only the engine methods LabService's container, kernel and GPU verbs call, and
keeps Podman's rules the service relies on: labcontainer's labels on every container it
creates (the engine's own ``labels_for``), label and name filters, ``stop`` of a stopped
container is fine, ``remove`` of a running one needs ``force``, a missing container is
ContainerNotFound, a missing image is ImageNotFound and leaves nothing behind. Every call
is recorded in ``calls`` so a test can say what reached "Podman" and what did not.

The real-Podman tests (the rest of tests/) are the truth; when the engine's interface
changes, this one file changes with it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from labcontainer.core.errors import ContainerNotFound, ContainerStateError, ImageNotFound, NameInUse
from labcontainer.core.models import ContainerInfo, ContainerSpec, EngineInfo, ImageInfo
from labcontainer.engine.convert import labels_for

_ids = itertools.count(1)


@dataclass
class FakeContainer:
    info: ContainerInfo
    spec: ContainerSpec | None = None
    logs: list[str] = field(default_factory=list)


class FakeEngine:
    """A Podman service in a dict: ``url``, ``owner``, containers, images; see the module."""

    def __init__(self, *, owner: str = "ada", images: Sequence[str] = ("localhost/lab/python:3",), rootless: bool = True) -> None:
        self.url = "unix:///fake/podman.sock"
        self.owner = owner
        self.rootless = rootless
        self.images_here = set(images)
        self.containers: dict[str, FakeContainer] = {}  # by name
        self.calls: list[tuple[str, ...]] = []
        self.closed = False

    # -- test helpers -------------------------------------------------------------------

    def add(self, name: str, *, image: str = "localhost/lab/python:3", state: str = "running",
            labels: Mapping[str, str] | None = None, gpus: Sequence[str] = ()) -> ContainerInfo:
        """A container made outside labcontainer (``podman run`` in a terminal): no labels but these."""
        info = ContainerInfo(id=f"{next(_ids):064x}", name=name, image=image, state=state, status=state.capitalize(),
                             created=datetime.now(timezone.utc), labels=dict(labels or {}), gpus=tuple(gpus))
        self.containers[name] = FakeContainer(info)
        return info

    def state(self, name: str) -> str | None:
        found = self.containers.get(name)
        return found.info.state if found else None

    def verbs(self) -> list[str]:
        return [call[0] for call in self.calls]

    # -- connection ---------------------------------------------------------------------

    def ping(self) -> bool:
        self.calls.append(("ping",))
        return True

    def info(self) -> EngineInfo:
        return EngineInfo(url=self.url, version="4.3.1", api_version="4.3.1", rootless=self.rootless, cgroup_version="v2")

    def close(self) -> None:
        self.closed = True

    # -- containers -----------------------------------------------------------------------

    def run(self, spec: ContainerSpec) -> ContainerInfo:
        self.calls.append(("run", spec.name or ""))
        if spec.image not in self.images_here:
            raise ImageNotFound(spec.image)
        name = spec.name or f"fake_{next(_ids)}"
        if name in self.containers:
            raise NameInUse(name)
        info = ContainerInfo(
            id=f"{next(_ids):064x}", name=name, image=spec.image, state="running", status="Up",
            created=datetime.now(timezone.utc), started_at=datetime.now(timezone.utc), command=spec.command,
            gpus=spec.gpus, labels=labels_for(spec, self.owner),
        )
        self.containers[name] = FakeContainer(info, spec)
        return info

    def ps(self, *, all: bool = False, filters: Mapping[str, str | Sequence[str]] | None = None,
           managed_only: bool = False) -> list[ContainerInfo]:
        self.calls.append(("ps",))
        wanted: dict[str, list[str]] = {k: [v] if isinstance(v, str) else list(v) for k, v in (filters or {}).items()}
        if managed_only:
            wanted.setdefault("label", []).append("org.labcontainer.managed=true")
        found = [c.info for c in self.containers.values() if (all or c.info.running) and _matches(c.info, wanted)]
        return sorted(found, key=lambda c: c.created or datetime.min.replace(tzinfo=timezone.utc), reverse=True)

    def get(self, name: str) -> ContainerInfo:
        self.calls.append(("get", name))
        return self._find(name).info

    def inspect(self, name: str) -> dict[str, Any]:
        info = self.get(name)
        return {"Id": info.id, "Name": info.name, "Config": {"Labels": dict(info.labels), "StopTimeout": 10}}

    def start(self, name: str) -> None:
        self.calls.append(("start", name))
        self._set(name, "running", "Up")

    def stop(self, name: str, *, timeout: int = 10) -> None:
        self.calls.append(("stop", name))
        found = self._find(name)
        if found.info.running:  # stopping a stopped container is fine, as in Podman
            self._set(name, "exited", "Exited (0)", exit_code=0)

    def restart(self, name: str, *, timeout: int = 10) -> None:
        self.calls.append(("restart", name))
        self._set(name, "running", "Up")

    def kill(self, name: str, *, signal: str | int = "SIGKILL") -> None:
        self.calls.append(("kill", name))
        self._set(name, "exited", "Exited (137)", exit_code=137)

    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> None:
        self.calls.append(("remove", name))
        found = self._find(name)
        if found.info.running and not force:
            raise ContainerStateError(f"Container {found.info.name} is running: stop it first, or remove it with -f.")
        del self.containers[found.info.name]

    def rename(self, name: str, new_name: str) -> None:
        self.calls.append(("rename", name))
        found = self.containers.pop(self._find(name).info.name)
        found.info = replace(found.info, name=new_name)
        self.containers[new_name] = found

    def logs(self, name: str, *, tail: int | None = None, follow: bool = False, timestamps: bool = False, stop=None):
        self.calls.append(("logs", name))
        lines = self._find(name).logs
        return iter(lines[-tail:] if tail else list(lines))

    def wait(self, name: str) -> int:
        return self._find(name).info.exit_code or 0

    # -- images (the engine's composed part, as ``engine.images``) ---------------------------

    @property
    def images(self) -> "FakeImages":
        return FakeImages(self.images_here)

    # -- inside ---------------------------------------------------------------------------

    def _find(self, name: str) -> FakeContainer:
        for container in self.containers.values():
            if name in (container.info.name, container.info.id, container.info.short_id):
                return container
        raise ContainerNotFound(name)

    def _set(self, name: str, state: str, status: str, *, exit_code: int | None = None) -> None:
        found = self._find(name)
        found.info = replace(found.info, state=state, status=status, exit_code=exit_code)


class FakeImages:
    """``engine.images``: the local images by tag, as the service's ``images`` part asks them."""

    def __init__(self, here: set[str]) -> None:
        self._here = here

    def list(self) -> list[ImageInfo]:
        return [ImageInfo(id=f"sha256:{abs(hash(tag)):064x}", tags=(tag,), size=1 << 20) for tag in sorted(self._here)]

    def exists(self, image: str) -> bool:
        return image in self._here


def _matches(info: ContainerInfo, wanted: Mapping[str, list[str]]) -> bool:
    """Podman's filters as the service uses them: every ``label`` (k=v or k) and ``name``."""
    for label in wanted.get("label", []):
        key, sep, value = label.partition("=")
        if key not in info.labels or (sep and info.labels[key] != value):
            return False
    return all(name in info.name for name in wanted.get("name", []))
