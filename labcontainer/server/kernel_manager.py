"""The server's kernel manager, aware of container kernels where Jupyter has no hook:

- **restart** checks (pulling if needed) the container kernel's image *before* the running
  container is interrupted and removed: a restart that cannot start again must not
  destroy the working kernel;
- **clean stop** with ``c.LabContainer.keep_kernels``: container kernels are let go
  instead of shut down, and the next server adopts them (adoption.py);
- **start** refuses, in words, a container kernelspec whose provisioner config is not a JSON
  object (a hand edit): jupyter_client would fail on it with a bare TypeError before any
  labcontainer code runs; and it takes a kernel started in advance when the kernelspec has a
  pool (kernels/pools.py): the kernel gets the waiting member's id, which its container and
  record are already named by, and the member goes to the provisioner by argument
  (``start_kernel(pooled=...)``, which jupyter_client forwards to ``pre_launch``);
- **shutdown while starting** (its image still pulling): the pull stops and the start fails,
  leaving nothing; upstream waits for the whole pull first (or answers 404);
- **idle clock**: each container kernel's ``last_activity`` goes into its record
  (:meth:`ContainerAwareKernelManager.record_activity`, called by the server's tender), so
  an adoption carries it on;
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

from ..kernels import records
from ..kernels.kernelspecs import PROVISIONER_NAME


def is_container_kernel(km: Any) -> bool:
    return hasattr(getattr(km, "provisioner", None), "restore")


def _is_container_kernelspec(km: Any) -> bool:
    """Whether a kernel (maybe still without its provisioner) is started by ours."""
    try:
        provisioner = (km.kernel_spec.metadata or {}).get("kernel_provisioner") or {}
    except Exception:  # noqa: BLE001 - a kernelspec gone meanwhile: not ours to handle
        return False
    return isinstance(provisioner, dict) and provisioner.get("provisioner_name") == PROVISIONER_NAME


class ContainerAwareKernelManager(AsyncMappingKernelManager):
    keep_container_kernels = Bool(False, help="Set from c.LabContainer.keep_kernels by the extension.")
    #: Kernels whose start has not ended yet, by id (pre_start_kernel to ready).
    _starting: dict[str, Any]
    kernel_pools = AnyTrait(None, allow_none=True, help="The server's KernelPools (kernels/pools.py), set by the extension.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._starting = {}

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any) -> str:
        try:
            return await self._start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        finally:
            self._forget_started()

    def _forget_started(self) -> None:
        for kernel_id in list(self._starting):
            task = self._pending_kernels.get(kernel_id)
            if task is None or task.done():
                del self._starting[kernel_id]

    async def _start_kernel(self, *, kernel_id: str | None, path: str | None, **kwargs: Any) -> str:
        kernel_name = kwargs.get("kernel_name") or self.default_kernel_name
        if kernel_id is None or kernel_id not in self:
            await self._refuse_unusable_config(kernel_name)
        pools = self.kernel_pools
        if kernel_id is None and pools is not None and pools.wants(kernel_name):
            cwd = self.cwd_for_path(path, env=kwargs.get("env", {})) if path is not None else self.root_dir
            pooled = await asyncio.to_thread(pools.take, kernel_name, cwd)
            if pooled is not None:
                try:
                    return await super().start_kernel(kernel_id=pooled.member.kernel_id, path=path, pooled=pooled, **kwargs)
                except BaseException:
                    # Failed, maybe before the provisioner took the member over: it would
                    # then wait unseen until the stop.
                    await asyncio.to_thread(pools.release, pooled)
                    raise
        return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)

    def pre_start_kernel(self, kernel_name: str | None, kwargs: Any) -> tuple[Any, str, str]:
        """Give each new kernel the marks jupyter_server gives it one turn after jupyter_client
        has filed it (the same values, set again then): a request or the culler reaching it
        in between read a ``last_activity`` with no value (a TraitError) and failed."""
        km, kernel_name, kernel_id = super().pre_start_kernel(kernel_name, kwargs)
        km.execution_state = "starting"
        km.last_activity = utcnow()
        self._starting[kernel_id] = km  # until its start ends: a shutdown meanwhile finds it
        return km, kernel_name, kernel_id

    async def shutdown_kernel(self, kernel_id: str, now: bool = False, restart: bool = False) -> None:
        starting = self._starting.get(kernel_id)
        if starting is not None and kernel_id not in self._kernels and _is_container_kernelspec(starting):
            await self._cancel_start(kernel_id, starting)
            return
        await super().shutdown_kernel(kernel_id, now=now, restart=restart)

    async def _cancel_start(self, kernel_id: str, km: Any) -> None:
        """A kernel whose start has not finished (non-pending mode: not listed yet) is shut
        down: its start is told to stop (a pull it waits for stops), then it is forgotten."""
        if is_container_kernel(km):
            km.provisioner.cancel_start()
        task = self._pending_kernels.get(kernel_id)
        if task is not None:
            await asyncio.wait([task])
        self._pending_kernels.pop(kernel_id, None)
        if kernel_id in self._kernels:  # it started after all: shut it down the usual way
            await super().shutdown_kernel(kernel_id)
        self.log.info("labcontainer: kernel %s was shut down before its start finished", kernel_id)

    def record_activity(self) -> None:
        """Write each container kernel's ``last_activity`` into its record (when it changed)."""
        for kernel_id, km in list(self._kernels.items()):
            when = getattr(km, "last_activity", None)
            if is_container_kernel(km) and when is not None:
                try:
                    records.save_activity(kernel_id, when)
                except OSError as exc:
                    self.log.warning("labcontainer: cannot record kernel %s's activity: %s", kernel_id, exc)

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
        self._forget_started()
        for kernel_id, km in list(self._starting.items()):  # (upstream would wait for their pulls)
            if kernel_id not in self._kernels and _is_container_kernelspec(km):
                await self._cancel_start(kernel_id, km)
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
        records.save_activity(kernel_id, km.last_activity)  # the next server's culler goes on from here
        self.log.info("labcontainer: kept kernel %s running for the next server (keep_kernels)", kernel_id)
