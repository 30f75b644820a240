"""A launch given a kernel started in advance (pool.py): what the provisioner is handed, by
argument, instead of creating a container.

The server's kernel manager takes a member from its pools (pools.py) and passes it along
with the launch: ``start_kernel(pooled=PooledLaunch(...))``, which jupyter_client forwards to
``provisioner.pre_launch(pooled=...)``. Nothing is looked up through parents.

Inputs: the member (its container, connection folder, mounted root) and the service of the
Podman it runs on. :meth:`PooledLaunch.hand_over` takes the launch's command, folder and
environment, and gives back a :class:`HandedOver` (the container's kernel name and id, its
state as a cold start caches it after its create, and what a restart needs again), or None
when the member could not serve this launch: it is removed then, and the launch starts cold.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Sequence

from ..core.errors import ContainerNotFound, LabContainerError
from ..core.models import ContainerInfo
from . import launch, pool, records
from ..core.models import kernel_container_name


@dataclass
class HandedOver:
    """What the provisioner keeps of a member that became its kernel."""

    container_name: str
    container_id: str
    #: Looked up right after the rename, while the kernel starts: poll() answers from this
    #: cache for a second, and an empty cache reads as "removed" (the browser polls at once).
    state: ContainerInfo | None
    launch_args: dict[str, Any] = field(default_factory=dict)  # cwd, env: a restart's


class PooledLaunch:
    """One member, handed to one launch (once: a restart passes the same launch arguments
    again, and starts cold)."""

    def __init__(self, member: pool.PoolMember, service: Any, *, state_dir: Path | None = None) -> None:
        self.member = member
        self.service = service
        self._state_dir = state_dir or records.default_state_dir()
        #: Whether a provisioner began the hand-over (after that the member is its business).
        self.spent = False

    @property
    def connection_dir(self) -> Path:
        return Path(self.member.connection_dir)

    async def hand_over(
        self, *, kernel_id: str, cmd: Sequence[str], cwd: str | None, root_dir: str, env: Mapping[str, str],
        mount_workdir: bool, wait_until_listening: Callable[[], Awaitable[None]], log: logging.Logger,
    ) -> HandedOver | None:
        """Give the waiting kernel its order and make its container ``kernel_id``'s.

        While this runs the container is known by its id (it has two names during the
        rename): the caller names it so before calling, and ``wait_until_listening`` (the
        caller's wait for the kernel's sockets) reads that name."""
        self.spent = True
        member = self.member
        command = pool.pooled_command(list(cmd))
        where = cwd or root_dir
        kept = launch.kept_env(env or {})
        usable = command is not None and member.serves(where)
        if not usable or not await asyncio.to_thread(
            pool.hand_over, member, cwd=where if mount_workdir else None, env=kept, command=command
        ):
            log.warning("labcontainer: kernel %s started cold: its waiting container could not take it", kernel_id)
            await asyncio.to_thread(self._remove_quietly, kernel_id, log)
            return None
        # The kernel is starting in the container now; meanwhile give the container the
        # name every other path knows a kernel's container by.
        name = kernel_container_name(kernel_id)
        renaming = asyncio.ensure_future(asyncio.to_thread(self._rename_and_look, name))
        try:
            await wait_until_listening()
        finally:
            state = await renaming
        log.info("labcontainer: kernel %s took a waiting container (%s's pool)", kernel_id, member.kernel_name)
        return HandedOver(name, member.container_id, state, {"cwd": cwd, "env": kept})

    def forget(self) -> None:
        """The kernel's own record is written: the member's goes."""
        pool.delete_member(self.member.kernel_id, self._state_dir)

    def _rename_and_look(self, name: str) -> ContainerInfo | None:
        self.service.rename(self.member.container_id, name)
        try:
            return self.service.get(self.member.container_id)
        except ContainerNotFound:
            return None

    def _remove_quietly(self, kernel_id: str, log: logging.Logger) -> None:
        try:
            self.service.remove_kernel_container(self.member.container_id or self.member.container_name, kernel_id)
        except LabContainerError as exc:
            log.warning("labcontainer: could not remove %s: %s", self.member.container_name, exc)
        pool.delete_member(self.member.kernel_id, self._state_dir)
