"""AsyncLabService: LabService's face for an event loop (REST handlers, provisioner).

Every verb runs in a worker thread, so Podman's latency never blocks the server. Built by
LabService itself (``service.aio``); import it from ``labcontainer.service``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .core.models import ContainerInfo, ContainerSpec, EngineInfo, GpuView, ImageInfo
from .engine import TtySession
from .engine import tty as engine_tty

if TYPE_CHECKING:  # service.py imports this module: no import back at run time
    from .service import ContainerAction, LabService, Scope


class AsyncLabService:
    """The service for an event loop (REST handlers, provisioner): the same verbs, each run
    in a worker thread so Podman's latency never blocks the server."""

    def __init__(self, service: LabService) -> None:
        self._service = service

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Any blocking callable, in a thread (for the few one-off calls without a verb here)."""
        return await asyncio.to_thread(function, *args, **kwargs)

    async def info(self) -> EngineInfo:
        return await asyncio.to_thread(self._service.info)

    async def containers(self, *, all: bool = True, scope: Scope = "mine") -> list[ContainerInfo]:
        return await asyncio.to_thread(self._service.containers, all=all, scope=scope)

    async def build_spec(self, image: str, command: Sequence[str] = (), **options: Any) -> ContainerSpec:
        return await asyncio.to_thread(self._service.build_spec, image, command, **options)

    async def run(self, spec: ContainerSpec) -> ContainerInfo:
        return await asyncio.to_thread(self._service.run, spec)

    async def get(self, name: str) -> ContainerInfo:
        return await asyncio.to_thread(self._service.get, name)

    async def act(self, name: str, action: ContainerAction) -> ContainerInfo:
        return await asyncio.to_thread(self._service.act, name, action)

    async def remove(self, name: str, *, force: bool = False) -> None:
        await asyncio.to_thread(self._service.remove, name, force=force)

    async def kill(self, name: str, *, signal: str | int = "SIGKILL") -> None:
        await asyncio.to_thread(self._service.kill, name, signal=signal)

    async def stop(self, name: str, *, timeout: int = 10) -> None:
        await asyncio.to_thread(self._service.stop, name, timeout=timeout)

    async def logs(self, name: str, *, tail: int) -> list[str]:
        return await asyncio.to_thread(lambda: list(self._service.logs(name, tail=tail)))

    async def images(self) -> list[ImageInfo]:
        return await asyncio.to_thread(self._service.images)

    async def gpu_view(self) -> GpuView:
        return await asyncio.to_thread(self._service.gpu_view)

    async def remove_kernel_container(self, name: str, kernel_id: str) -> bool:
        return await asyncio.to_thread(self._service.remove_kernel_container, name, kernel_id)

    async def terminal(
        self,
        name: str,
        command: Sequence[str] = (),
        *,
        user: str | None = None,
        workdir: str | None = None,
        env: Sequence[str] = (),
    ) -> TtySession:
        """``podman exec -it``: ``command`` (default: bash if the container has it, else sh)
        with a TTY in a running container. ``close()`` ends it: no process is left behind.
        ``env``: extra ``NAME=VALUE`` (``-e``), after ``TERM=xterm-256color``."""
        url = await asyncio.to_thread(lambda: self._service.url)
        return await engine_tty.open_exec(url, name, command, user=user, workdir=workdir, env=("TERM=xterm-256color", *env))

    async def attach(self, name: str) -> TtySession:
        """``podman attach``: the container's own terminal; ``close()`` detaches, it runs on."""
        return await engine_tty.attach(await asyncio.to_thread(lambda: self._service.url), name)
