"""The terminal part of LabService (``service.terminals``): ``podman exec -it`` and ``podman
attach`` as raw TTY sessions. Async, unlike the other verbs: a terminal lives on the event loop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from .engine import PodmanTerminals, TtySession


class Terminals:
    def __init__(self, engine_terminals: Callable[[], PodmanTerminals]) -> None:
        """``engine_terminals``: the connected engine's terminals (called at each use, in a
        worker thread: connecting may block)."""
        self._engine = engine_terminals

    async def open_exec(
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
        terminals = await asyncio.to_thread(self._engine)
        return await terminals.open_exec(name, command, user=user, workdir=workdir, env=("TERM=xterm-256color", *env))

    async def attach(self, name: str) -> TtySession:
        """``podman attach``: the container's own terminal; ``close()`` detaches, it runs on."""
        terminals = await asyncio.to_thread(self._engine)
        return await terminals.attach(name)
