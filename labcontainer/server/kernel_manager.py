"""The server's kernel manager, aware of container kernels in two places Jupyter has no hook:

- **restart** checks (pulling if needed) the container kernel's image *before* the running
  container is interrupted and removed: a restart that cannot start again must not
  destroy the working kernel;
- **clean stop** with ``c.LabContainer.keep_kernels``: container kernels are let go
  instead of shut down, and the next server adopts them (adoption.py);
- **start** refuses, in words, a container kernelspec whose provisioner config is not a JSON
  object (a hand edit): jupyter_client would fail on it with a bare TypeError before any
  labcontainer code runs; and it takes a kernel started in advance when the kernelspec has a
  pool (kernel_pool.py): the kernel gets the waiting member's id, which its container and
  record are already named by, and the provisioner hands the member over;
- **stop** after a failed start: jupyter_client leaves the failed kernel among its pending
  ones, and shutting it down then fails the whole stop (the server ran on);
- **a new kernel** is marked (``last_activity``, starting) as it is made, not one event-loop
  turn after jupyter_client files it: upstream, GET /api/kernels (and sessions) failed with
  500 in that turn; here the kernel is listed as starting.

Every other kernel, and every other path, is Jupyter's own. The extension installs this
class only when ``ServerApp.kernel_manager_class`` is the default.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from jupyter_server._tz import utcnow
from traitlets import Any as AnyTrait
from traitlets import Bool

from ..kernels.kernelspecs import PROVISIONER_NAME


def is_container_kernel(km: Any) -> bool:
    return hasattr(getattr(km, "provisioner", None), "restore")


class ContainerAwareKernelManager(AsyncMappingKernelManager):
    keep_container_kernels = Bool(False, help="Set from c.LabContainer.keep_kernels by the extension.")
    kernel_pools = AnyTrait(None, allow_none=True, help="The server's KernelPools (kernel_pool.py), set by the extension.")

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any) -> str:
        kernel_name = kwargs.get("kernel_name") or self.default_kernel_name
        if kernel_id is None or kernel_id not in self:
            await self._refuse_unusable_config(kernel_name)
        pools = self.kernel_pools
        if kernel_id is None and pools is not None and pools.wants(kernel_name):
            cwd = self.cwd_for_path(path, env=kwargs.get("env", {})) if path is not None else self.root_dir
            member = await asyncio.to_thread(pools.take, kernel_name, cwd)
            if member is not None:
                kernel_id = member.kernel_id
                try:
                    return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
                except BaseException:
                    # Failed, maybe before the provisioner took the member over: it would
                    # then wait unseen until the stop.
                    await asyncio.to_thread(pools.release, kernel_id)
                    raise
        return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)

    def pre_start_kernel(self, kernel_name: str | None, kwargs: Any) -> tuple[Any, str, str]:
        """Give each new kernel the marks jupyter_server gives it one turn after jupyter_client
        has filed it (the same values, set again then): a request or the culler reaching it
        in between read a ``last_activity`` with no value (a TraitError) and failed."""
        km, kernel_name, kernel_id = super().pre_start_kernel(kernel_name, kwargs)
        km.execution_state = "starting"
        km.last_activity = utcnow()
        return km, kernel_name, kernel_id

    async def _refuse_unusable_config(self, kernel_name: str) -> None:
        try:
            spec = self.kernel_spec_manager.get_kernel_spec(kernel_name)
            if inspect.isawaitable(spec):
                spec = await spec
        except (KeyError, OSError, ValueError):  # no such kernelspec (NoSuchKernel), unreadable file: Jupyter's own error follows
            return
        provisioner = (getattr(spec, "metadata", None) or {}).get("kernel_provisioner")
        if not isinstance(provisioner, dict) or provisioner.get("provisioner_name") != PROVISIONER_NAME:
            return
        config = provisioner.get("config", {})
        if not isinstance(config, dict):
            where = getattr(spec, "resource_dir", "") or kernel_name
            raise web.HTTPError(
                400,
                f"The container kernelspec {kernel_name!r} cannot start: its labcontainer settings "
                f'(metadata.kernel_provisioner.config in {where}/kernel.json) are a {type(config).__name__}, '
                "not a JSON object such as {\"image\": \"...\"}. Fix that file, or write the kernelspec "
                "again with `labcontainer kernelspec install --replace ...`.",
            )

    async def restart_kernel(self, kernel_id: str, now: bool = False) -> Any:
        km = self.get_kernel(kernel_id)
        if is_container_kernel(km):
            await km.provisioner.check_image()  # raises with a clear message; the kernel runs on
        return await super().restart_kernel(kernel_id, now=now)

    async def shutdown_all(self, now: bool = False) -> None:
        self._forget_failed_starts()
        if self.keep_container_kernels:
            for kernel_id in [k for k, km in self._kernels.items() if is_container_kernel(km)]:
                self._let_go(kernel_id)
        await super().shutdown_all(now=now)

    def _forget_failed_starts(self) -> None:
        """jupyter_client keeps a kernel whose start failed among its pending kernels (it only
        logs the failure); shutdown_all then asks to shut it down, jupyter_server answers 404
        for a kernel that does not exist, and the server's stop never ends: it needed a second
        SIGTERM after any failed start (an unknown GPU, Podman down)."""
        for kernel_id, task in list(self._pending_kernels.items()):
            if task.done() and kernel_id not in self._kernels:
                del self._pending_kernels[kernel_id]

    def _let_go(self, kernel_id: str) -> None:
        """Forget a running container kernel without touching it: its record stays for the
        next server (its owner's lock goes with this process)."""
        self.stop_watching_activity(kernel_id)
        km = self._kernels.pop(kernel_id)
        km.stop_restarter()
        km._close_control_socket()
        self._kernel_connections.pop(kernel_id, None)
        self._kernel_ports.pop(kernel_id, None)
        km._connection_file_written = False  # keep kernel-<id>.json: the kernel still uses it
        self.log.info("labcontainer: kept kernel %s running for the next server (keep_kernels)", kernel_id)
