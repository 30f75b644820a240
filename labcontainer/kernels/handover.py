"""How the provisioner takes a kernel started in advance (kernels/pool.py) instead of
creating a container: the part of PodmanKernelProvisioner that only pooled launches use."""

from __future__ import annotations

import asyncio
from typing import Any

from . import launch, pool, records
from ..core.models import kernel_container_name


class PoolHandOver:
    """Mixed into PodmanKernelProvisioner (whose attributes and methods it uses)."""

    def _claimed_member(self) -> pool.PoolMember | None:
        pools = getattr(getattr(self.parent, "parent", None), "kernel_pools", None)
        return pools.claimed(self.kernel_id) if pools is not None else None

    async def _hand_over(self, member: pool.PoolMember, cmd: list[str], kwargs: dict[str, Any]) -> bool:
        """Give the waiting kernel its order and make its container this kernel's; False
        (the member removed) when it cannot serve this launch: the launch then starts cold."""
        command = pool.pooled_command(cmd)
        cwd = kwargs.get("cwd") or self._root_dir()
        env = launch.kept_env(kwargs.get("env") or {})
        self.container_name, self.container_id = member.container_name, member.container_id
        usable = command is not None and member.serves(cwd)
        if not usable or not await asyncio.to_thread(
            pool.hand_over, member, cwd=cwd if self.container_config.mount_workdir else None, env=env, command=command
        ):
            self.log.warning("labcontainer: kernel %s started cold: its waiting container could not take it", self.kernel_id)
            await asyncio.to_thread(self._remove_quietly)
            pool.delete_member(member.kernel_id, records.default_state_dir())
            self.container_name = self.container_id = None
            return False
        # The kernel is starting in the container now; meanwhile give the container the
        # name every other path knows a kernel's container by (by id: it has two names
        # while this runs).
        name = kernel_container_name(self.kernel_id)
        self.container_name = member.container_id
        renaming = asyncio.ensure_future(asyncio.to_thread(self._rename_and_look, name))
        self.exit_report = ""
        self._launch_args = {"cwd": kwargs.get("cwd"), "env": env}
        try:
            await self._wait_until_listening()
        finally:
            await renaming
        self.container_name = name
        self.save_record()
        pool.delete_member(member.kernel_id, records.default_state_dir())
        self.log.info("labcontainer: kernel %s took a waiting container (%s's pool)", self.kernel_id, member.kernel_name)
        return True

    def _rename_and_look(self, name: str) -> None:
        """Rename (the container is known by its id meanwhile), then cache its state as a
        cold launch does after its create: poll() answers from that cache for a second, and
        an empty one reads as "removed" (the browser's connection polls at once). Both calls
        run while the kernel starts."""
        self.service.rename(self.container_name, name)
        self._refresh_state()
