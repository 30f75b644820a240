"""PodmanKernelProvisioner: a kernel in a Podman container, driven like a Popen.

``poll`` is the container's state, ``send_signal`` a ``podman kill -s``, ``kill`` a forced
remove. Kernel traffic goes over ZMQ ipc sockets in a per-kernel 0700 directory that is
bind-mounted into the container at /conn, so no TCP port is opened (``transport="tcp"``
binds to 127.0.0.1 instead). Every Podman call runs in a thread: the server's event loop
never blocks on Podman.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.provisioner_base import KernelProvisionerBase

from .core.errors import ContainerNotFound, ContainerStateError, KernelStartError, LabContainerError, NameInUse, ServiceUnavailable
from .core.models import ContainerInfo, is_active, kernel_container_name
from .kernels import cleanup, launch, placement, pull_first, records
from .kernels.containers import kernel_container_spec
from .kernels.handover import PooledLaunch
from .kernels.config import KernelContainerConfig
from .kernels.identity import this_server
from .service import LabService, default_servers, default_service

#: Seconds between two real state queries in poll(); the restarter polls every few seconds.
POLL_INTERVAL = 1.0
#: Seconds between container state checks while waiting for a starting kernel's sockets.
STATE_CHECK_INTERVAL = 0.25


class PodmanKernelProvisioner(KernelProvisionerBase):
    """Runs the kernel in a container; configured from the kernelspec's metadata
    (``kernel_provisioner.config``: the fields of KernelContainerConfig)."""

    def __init__(self, **kwargs: Any) -> None:
        # jupyter_client passes the kernelspec's provisioner config as keyword arguments;
        # they are KernelContainerConfig's fields, validated when the kernel starts (so a
        # mistake shows as a start failure with a message naming the field).
        fields = KernelContainerConfig.field_names()
        self._settings = {key: kwargs.pop(key) for key in list(kwargs) if key in fields}
        super().__init__(**kwargs)
        self._config: KernelContainerConfig | None = None
        self._launch_args: dict[str, Any] = {}  # what a restart by another server needs: cwd, env
        self._cancelled = threading.Event()  # shut down while starting (cancel_start)

    container_name: str | None = None
    container_id: str | None = None
    connection_dir: Path | None = None
    #: On another server: the connection name it was placed on (once: a restart stays there)
    #: and, there, the folder its container mounts (connection_dir here holds the forwards).
    placed_on: str | None = None
    remote_dir: str | None = None
    _state_checked_at = 0.0
    _last_state: ContainerInfo | None = None
    #: Why the last container ended ("exit code 3; last lines: ..."), for the restart path.
    exit_report: str = ""
    #: The waiting kernel (kernels/pool.py) this launch was handed, until the launch uses it.
    _pooled: PooledLaunch | None = None

    @property
    def service(self) -> LabService:
        """The service of the server the kernel runs on: this machine's is the server app's
        (kernels and the REST API use the same Podman); another is its connection's."""
        if self.placed_on in (None, placement.LOCAL):
            return default_service()
        return default_servers().get(self.placed_on, refresh=True)

    @property
    def container_config(self) -> KernelContainerConfig:
        if self._config is None:
            self._config = KernelContainerConfig.from_mapping(self._settings)
        return self._config

    @property
    def has_process(self) -> bool:
        return self.container_name is not None

    # -- launch ------------------------------------------------------------------------

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Called by KernelManager.pre_start_kernel: pull the image if needed (before the
        launch timeout starts), make the connection directory, write both connection files.
        ``pooled``: a kernel started in advance that the kernel manager took for this launch
        (jupyter_client forwards start_kernel's keywords here)."""
        config = self.container_config
        km = self.parent
        pooled = kwargs.pop("pooled", None)
        # (A restart gets the same keywords again: a member serves one launch only.)
        self._pooled = pooled if isinstance(pooled, PooledLaunch) and not pooled.spent else None
        if self._pooled is not None:
            # A kernel started in advance (kernels/pool.py): its container already mounts
            # this folder (and its image was checked when the launch took it); the
            # connection file written below gives it a key of its own.
            self.connection_dir = self._pooled.connection_dir
        else:
            if self.placed_on is None:
                servers = default_servers()
                self.placed_on, why = await asyncio.to_thread(placement.place, config, lambda name: servers.get(name, refresh=True))
                if config.connection:
                    self.log.info("labcontainer: kernel %s %s", self.kernel_id, why)
            await asyncio.to_thread(self._ensure_image, config.image)
            self.connection_dir, self.remote_dir = await asyncio.to_thread(
                self.service.kernel_host.prepare, self.kernel_id, self.connection_dir, self.remote_dir)
        if config.transport == "ipc":
            km.transport = "ipc"
            km.ip = str(self.connection_dir / "k")
        else:
            km.transport = "tcp"
            km.ip = "127.0.0.1"
        km.write_connection_file()
        self.connection_info = km.get_connection_info()
        await asyncio.to_thread(self.service.kernel_host.write_connection_file, self.connection_dir, self.remote_dir,
                                self.connection_info, config.transport)
        extra_arguments = kwargs.pop("extra_arguments", None) or []
        kwargs = await super().pre_launch(**kwargs)
        kwargs["cmd"] = self._kernel_command(extra_arguments)
        return kwargs

    def _ensure_image(self, image: str) -> None:
        pull_first.ensure_image(self.service, image, kernel_id=self.kernel_id, cancelled=self._cancelled, log=self.log)

    def cancel_start(self) -> None:
        """The kernel is shut down before its start finished: stop a pull it waits for."""
        self._cancelled.set()

    def _kernel_command(self, extra_arguments: list[str]) -> list[str]:
        return launch.kernel_command(list(self.kernel_spec.argv), extra_arguments)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Create and start the container, then wait (briefly) until the kernel opened its
        sockets — or report at once, with its last log lines, that it could not. A launch
        that fails leaves nothing behind: no container, connection directory or record."""
        try:
            return await self._launch(cmd, kwargs)
        except BaseException:
            await asyncio.to_thread(self._discard)
            raise

    async def _launch(self, cmd: list[str], kwargs: dict[str, Any]) -> KernelConnectionInfo:
        pooled, self._pooled = self._pooled, None
        if pooled is not None and await self._take_over(pooled, cmd, kwargs):
            return self.connection_info
        spec = await asyncio.to_thread(self._container_spec, cmd, kwargs.get("env") or {}, kwargs.get("cwd"))
        self.container_name = spec.name
        self.exit_report = ""
        try:
            info = await asyncio.to_thread(self.service.run, spec)
        except NameInUse:
            # The name holds the kernel id, so it is taken only when a restart finds this
            # kernel's previous container still there: clear it then, not before every
            # start (a first start would pay a REST call to learn that nothing is there).
            await asyncio.to_thread(self._remove_stale_container, spec.name)
            info = await asyncio.to_thread(self.service.run, spec)
        self.container_id = info.id
        self._last_state, self._state_checked_at = info, time.monotonic()
        self._launch_args = {"cwd": kwargs.get("cwd"), "env": launch.kept_env(kwargs.get("env") or {})}
        self.save_record()
        await self._wait_until_listening()
        return self.connection_info

    async def _take_over(self, pooled: PooledLaunch, cmd: list[str], kwargs: dict[str, Any]) -> bool:
        """Make the waiting kernel this one (kernels/handover.py); False: start cold."""
        # Known by its id while it is renamed (and removed by it if the start fails).
        self.container_name = self.container_id = pooled.member.container_id
        self.exit_report = ""
        taken = await pooled.hand_over(
            kernel_id=self.kernel_id, cmd=cmd, cwd=kwargs.get("cwd"), root_dir=self._root_dir(), env=kwargs.get("env") or {},
            mount_workdir=self.container_config.mount_workdir, wait_until_listening=self._wait_until_listening, log=self.log,
        )
        if taken is None:
            self.container_name = self.container_id = None
            return False
        self.container_name, self.container_id = taken.container_name, taken.container_id
        self._last_state, self._state_checked_at = taken.state, time.monotonic()
        self._launch_args = taken.launch_args
        self.save_record()
        pooled.forget()
        return True

    def save_record(self) -> None:
        """Write (or rewrite, after a restart or an adoption) what a later server needs."""
        records.save_record(records.KernelRecord(
            kernel_id=self.kernel_id, container_name=self.container_name or "", container_id=self.container_id or "",
            connection_dir=str(self.connection_dir), connection_info=dict(self.connection_info), server_pid=os.getpid(),
            kernel_name=getattr(self.parent, "kernel_name", ""), server_id=this_server(records.default_state_dir()).server_id,
            launch_args=self._launch_args, last_activity=records.timestamp(getattr(self.parent, "last_activity", None)),
            connection=self.placed_on or placement.LOCAL, remote_dir=self.remote_dir or "",
        ))

    def _container_spec(self, cmd: list[str], launch_env: dict[str, str], cwd: str | None):
        config = self.container_config
        return kernel_container_spec(
            self.service,
            config,
            name=kernel_container_name(self.kernel_id),
            kernel_id=self.kernel_id,
            argv=cmd,
            connection_dir=Path(self.remote_dir) if self.remote_dir else self.connection_dir,  # what it mounts, on its server
            workdir=self._workdir(cwd),
            spec_env=self.kernel_spec.env,
            launch_env=launch_env,
            tcp_ports=[int(self.connection_info[p]) for p in launch.PORT_NAMES] if config.transport == "tcp" else (),
        )

    def _workdir(self, cwd: str | None) -> str:
        wanted = launch.kernel_workdir(cwd, self._root_dir(), self.log, self.kernel_id)
        there, same = self.service.kernel_host.work_folder(wanted)
        if not same:  # another server without this folder (no shared /home)
            self.log.warning("labcontainer: kernel %s: %s has no folder %s, so it starts in %s there", self.kernel_id, self.placed_on, wanted, there)
        return there

    def _root_dir(self) -> str:
        # Without a notebook path the server passes no cwd: use its root dir, like a local kernel would.
        manager = getattr(self.parent, "parent", None)
        return getattr(manager, "root_dir", None) or os.getcwd()

    def _remove_stale_container(self, name: str) -> None:
        """A restart reuses the kernel id, so the previous container must go, if it really
        is this kernel's (labels checked); else creating ours fails with "name in use"."""
        self.service.remove_kernel_container(name, self.kernel_id)

    async def _wait_until_listening(self) -> None:
        # The socket file is a cheap local check; asking Podman for the container's state
        # costs a REST call (and CPU the starting kernel needs), so do that rarely.
        if self.container_config.transport != "ipc":
            return
        deadline = time.monotonic() + self.container_config.startup_timeout
        host, sockets = self.service.kernel_host, launch.socket_names(self.connection_info)
        next_state_check = time.monotonic() + STATE_CHECK_INTERVAL
        while time.monotonic() < deadline:
            if await self._listening(host, sockets[0]):
                await asyncio.to_thread(host.forward, self.connection_dir, self.remote_dir, sockets)
                return
            if time.monotonic() >= next_state_check:
                state = await asyncio.to_thread(self._refresh_state)
                if state is None or not state.running:
                    raise await asyncio.to_thread(self._start_failure, state)
                next_state_check = time.monotonic() + STATE_CHECK_INTERVAL
            await asyncio.sleep(0.01)
        raise await asyncio.to_thread(self._never_ready)

    async def _listening(self, host: Any, socket: str) -> bool:
        # Here a cheap file check, made in place; on another server a command over its link.
        if host.remote:
            return await asyncio.to_thread(host.listening, self.connection_dir, self.remote_dir, socket)
        return host.listening(self.connection_dir, None, socket)

    def _never_ready(self) -> KernelStartError:
        return launch.never_ready(self.container_config, self._last_lines())

    def _last_lines(self, count: int = 20) -> str:
        try:
            return "\n".join(list(self.service.logs(self.container_name, tail=count)))
        except LabContainerError:
            return ""

    def _start_failure(self, state: ContainerInfo | None) -> KernelStartError:
        return launch.stopped_during_start(self.container_config, state, self._last_lines())

    # -- Popen-like ------------------------------------------------------------------------

    def _refresh_state(self) -> ContainerInfo | None:
        try:
            self._last_state = self.service.get(self.container_name)
        except ContainerNotFound:
            self._last_state = None
        self._state_checked_at = time.monotonic()
        return self._last_state

    async def poll(self) -> int | None:
        """None while the container runs, else its exit code. Queries Podman at most once a
        second; the cached answer in between keeps the restarter cheap."""
        if not self.container_name:
            return 0
        if time.monotonic() - self._state_checked_at >= POLL_INTERVAL:
            try:
                await asyncio.to_thread(self._refresh_state)
            except LabContainerError as exc:  # Podman unreachable: say nothing new
                self.log.warning("labcontainer: cannot poll %s: %s", self.container_name, exc)
                return None
        state = self._last_state
        if state is not None and is_active(state.state):
            return None
        # A shutdown or restart the manager asked for ends the container too: that is no
        # crash to report (jupyter_client sets shutting_down until the next launch).
        if not self.exit_report and not getattr(self.parent, "shutting_down", False):
            await asyncio.to_thread(self._report_exit, state)
        return 0 if state is None else (state.exit_code or 0)

    def _report_exit(self, state: ContainerInfo | None) -> None:
        """Say once, in the server log and on the kernel's model (``reason``), why the
        container ended: the restarter's "restarting" alone tells the user nothing."""
        self.exit_report = launch.exit_report(self.container_name, state, self._last_lines(10) if state is not None else "")
        self.log.warning("labcontainer: kernel %s stopped: %s", self.kernel_id, self.exit_report)
        if self.parent is not None and hasattr(self.parent, "reason"):
            self.parent.reason = f"The kernel stopped: {self.exit_report}"

    async def wait(self) -> int | None:
        while True:
            self._state_checked_at = 0.0
            status = await self.poll()
            if status is not None:
                return status
            await asyncio.sleep(0.1)

    async def send_signal(self, signum: int) -> None:
        """Interrupts arrive here as SIGINT; the container's init forwards it to the kernel."""
        if self.container_name:
            name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
            try:
                await asyncio.to_thread(self.service.kill, self.container_name, signal=name)
            except (ContainerNotFound, ContainerStateError):
                # Not running (any more): like signalling a process that already exited.
                # jupyter_client interrupts at the start of every shutdown and restart,
                # so raising here would leave a dead kernel that can never restart.
                pass
            except ServiceUnavailable as exc:  # shutdown must go on; the removal is retried
                self.log.warning("labcontainer: cannot signal %s: %s", self.container_name, exc)

    async def kill(self, restart: bool = False) -> None:
        await asyncio.to_thread(self._remove_quietly)

    async def terminate(self, restart: bool = False) -> None:
        if self.container_name:
            try:
                await asyncio.to_thread(self.service.stop, self.container_name, timeout=5)
            except (ContainerNotFound, ContainerStateError):
                pass
            except ServiceUnavailable as exc:
                self.log.warning("labcontainer: cannot stop %s: %s", self.container_name, exc)

    async def cleanup(self, restart: bool = False) -> None:
        """The container goes with the kernel (a restart recreates it from the image)."""
        if restart:
            # same connection directory and record for the next container
            await asyncio.to_thread(self._remove_quietly)
        else:
            await asyncio.to_thread(self._discard)

    def _discard(self) -> None:
        """Everything this kernel left, here and on its server (kernels/cleanup.py)."""
        cleanup.discard(self.service, self.kernel_id, self.container_name, self.connection_dir, self.remote_dir, self.log)
        self.connection_dir = self.remote_dir = self.container_name = self.container_id = None

    def _remove_quietly(self) -> bool:
        return cleanup.remove_quietly(self.service, self.container_name, self.kernel_id, self.log)

    # -- restart and adoption ------------------------------------------------------------------

    async def check_image(self) -> None:
        """Make sure the image is there (pulling it if needed) before a restart touches the
        running container: a restart that cannot start again must not destroy the old one."""
        await asyncio.to_thread(self._ensure_image, self.container_config.image)

    def restore(self, record: records.KernelRecord, *, adopted_by: str) -> None:
        """Take over a running kernel container from a record another server wrote."""
        self.container_name = record.container_name
        self.container_id = record.container_id
        self.connection_dir = Path(record.connection_dir)
        self.connection_info = dict(record.connection_info)
        self._launch_args = dict(record.launch_args)
        self.placed_on, self.remote_dir = record.connection, record.remote_dir or None
        if self.remote_dir:  # this server's own link listens for the kernel's sockets now
            self.service.kernel_host.forward(self.connection_dir, self.remote_dir, launch.socket_names(self.connection_info))
        self.save_record()
        self.log.info("labcontainer: adopted kernel %s (%s) %s", self.kernel_id, self.container_name, adopted_by)

    def get_shutdown_wait_time(self, recommended: float = 5.0) -> float:
        return max(recommended, 5.0)

    async def get_provisioner_info(self) -> dict[str, Any]:
        info = await super().get_provisioner_info()
        info.update(
            container_name=self.container_name,
            container_id=self.container_id,
            connection_dir=str(self.connection_dir) if self.connection_dir else None,
            placed_on=self.placed_on, remote_dir=self.remote_dir,
        )
        return info

    async def load_provisioner_info(self, provisioner_info: dict) -> None:
        await super().load_provisioner_info(provisioner_info)
        self.container_name = provisioner_info.get("container_name")
        self.container_id = provisioner_info.get("container_id")
        directory = provisioner_info.get("connection_dir")
        self.connection_dir = Path(directory) if directory else None
        self.placed_on, self.remote_dir = provisioner_info.get("placed_on"), provisioner_info.get("remote_dir")
