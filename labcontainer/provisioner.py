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
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.provisioner_base import KernelProvisionerBase

from .core.errors import KernelStartError, LabContainerError
from .core.files import write_private_json
from .core.errors import ContainerNotFound
from .core.models import ContainerInfo, is_active
from .kernels import records
from .kernels.config import CONTAINER_CONNECTION_DIR, CONTAINER_CONNECTION_FILE, KernelContainerConfig
from .service import LabService, default_service

#: Seconds between two real state queries in poll(); the restarter polls every few seconds.
POLL_INTERVAL = 1.0
#: Seconds between container state checks while waiting for a starting kernel's sockets.
STATE_CHECK_INTERVAL = 0.25
_TEMPLATE = re.compile(r"\{([A-Za-z0-9_]+)\}")


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

    container_name: str | None = None
    container_id: str | None = None
    connection_dir: Path | None = None
    _state_checked_at = 0.0
    _last_state: ContainerInfo | None = None

    @property
    def service(self) -> LabService:
        """The process's service: the server extension's, so kernels and the REST API use
        the same Podman."""
        return default_service()

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
        launch timeout starts), make the connection directory, write both connection files."""
        config = self.container_config
        await asyncio.to_thread(self._ensure_image, config.image)
        km = self.parent
        if self.connection_dir is not None and self.connection_dir.is_dir():
            # A restart: clients keep the connection info, so the new container serves the
            # same socket paths. Old socket files would look like a ready kernel.
            for stale in self.connection_dir.glob("k-*"):
                stale.unlink(missing_ok=True)
        else:
            self.connection_dir = Path(tempfile.mkdtemp(prefix=f"lck-{self.kernel_id[:8]}-", dir=_socket_base_dir()))
            os.chmod(self.connection_dir, 0o700)
        if config.transport == "ipc":
            km.transport = "ipc"
            km.ip = str(self.connection_dir / "k")
        else:
            km.transport = "tcp"
            km.ip = "127.0.0.1"
        km.write_connection_file()
        self.connection_info = km.get_connection_info()
        self._write_container_connection_file()
        extra_arguments = kwargs.pop("extra_arguments", None) or []
        kwargs = await super().pre_launch(**kwargs)
        kwargs["cmd"] = self._kernel_command(extra_arguments)
        return kwargs

    def _ensure_image(self, image: str) -> None:
        if not self.service.image_exists(image):
            self.log.info("labcontainer: pulling %s before starting the kernel", image)
            self.service.pull(image, on_progress=lambda p: self.log.info("labcontainer pull: %s", p.message))

    def _write_container_connection_file(self) -> None:
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.connection_info.items()}
        info["ip"] = f"{CONTAINER_CONNECTION_DIR}/k" if self.container_config.transport == "ipc" else "0.0.0.0"
        write_private_json(self.connection_dir / "kernel.json", info)

    def _kernel_command(self, extra_arguments: list[str]) -> list[str]:
        """The kernelspec's argv plus the launch's extra arguments, templates filled in the
        way KernelManager.format_kernel_cmd does, but for the container's side: the
        connection file is /conn/kernel.json and ``python3`` stays the image's own Python."""
        argv = list(self.kernel_spec.argv) or ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        names = {"connection_file": CONTAINER_CONNECTION_FILE}
        return [_TEMPLATE.sub(lambda m: names.get(m.group(1), m.group()), arg) for arg in argv + list(extra_arguments)]

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
        spec = await asyncio.to_thread(self._container_spec, cmd, kwargs.get("env") or {}, kwargs.get("cwd"))
        self.container_name = spec.name
        await asyncio.to_thread(self._remove_stale_container, spec.name)
        info = await asyncio.to_thread(self.service.run, spec)
        self.container_id = info.id
        self._last_state, self._state_checked_at = info, time.monotonic()
        records.save_record(
            records.KernelRecord(
                kernel_id=self.kernel_id,
                container_name=info.name,
                container_id=info.id,
                connection_dir=str(self.connection_dir),
                connection_info=dict(self.connection_info),
                server_pid=os.getpid(),
                kernel_name=getattr(self.parent, "kernel_name", ""),
            )
        )
        await self._wait_until_listening()
        return self.connection_info

    def _container_spec(self, cmd: list[str], launch_env: dict[str, str], cwd: str | None):
        config = self.container_config
        # Without a notebook path the server passes no cwd: use its root dir, like a local kernel would.
        manager = getattr(self.parent, "parent", None)
        workdir = cwd or getattr(manager, "root_dir", None) or os.getcwd()
        env = dict(self.kernel_spec.env or {})
        # Never JPY_PARENT_PID: that pid means nothing inside the container's PID namespace,
        # and ipykernel would shut itself down thinking its parent died.
        env.update({k: launch_env[k] for k in ("JPY_SESSION_NAME",) if k in launch_env})
        return config.container_spec(
            name=f"lc-kernel-{self.kernel_id}",
            kernel_id=self.kernel_id,
            argv=cmd,
            connection_dir=self.connection_dir,
            workdir=workdir,
            home=None,
            env=env,
            gpu_devices=self.service.gpu_devices(config.gpus),
            tcp_ports=[int(self.connection_info[p]) for p in _PORT_NAMES] if config.transport == "tcp" else (),
            rootless=self.service.rootless,
            uid=os.getuid(),
            gid=os.getgid(),
            ipykernel_bundle=_ipykernel_bundle_dir() if config.inject_ipykernel else None,
        )

    def _remove_stale_container(self, name: str) -> None:
        """A restart reuses the kernel id, so the previous container must be gone — but
        only if it really is this kernel's (labels checked); anything else named like it
        is left alone, and creating ours then fails with a clear "name in use"."""
        self.service.remove_kernel_container(name, self.kernel_id)

    async def _wait_until_listening(self) -> None:
        # The socket file is a cheap local check; asking Podman for the container's state
        # costs a REST call (and CPU the starting kernel needs), so do that rarely.
        deadline = time.monotonic() + self.container_config.startup_timeout
        shell = None
        if self.container_config.transport == "ipc":
            shell = self.connection_dir / f"k-{self.connection_info['shell_port']}"
        next_state_check = time.monotonic() + STATE_CHECK_INTERVAL
        while time.monotonic() < deadline:
            if shell is None or shell.exists():
                return
            if time.monotonic() >= next_state_check:
                state = await asyncio.to_thread(self._refresh_state)
                if state is None or not state.running:
                    raise await asyncio.to_thread(self._start_failure, state)
                next_state_check = time.monotonic() + STATE_CHECK_INTERVAL
            await asyncio.sleep(0.01)

    def _start_failure(self, state: ContainerInfo | None) -> KernelStartError:
        image = self.container_config.image
        try:
            logs = "\n".join(list(self.service.logs(self.container_name, tail=20)))
        except LabContainerError:
            logs = ""
        if "No module named ipykernel" in logs:
            return KernelStartError(
                f"The image {image} has Python but no ipykernel, so it cannot serve as a kernel.",
                hint=(
                    "Install ipykernel in the image (pip install ipykernel), or recreate the kernelspec with "
                    "`labcontainer kernelspec install --inject-ipykernel ...` to mount this server's ipykernel "
                    "(the image's Python must have the same minor version)."
                ),
                logs=logs,
            )
        code = f" (exit code {state.exit_code})" if state and state.exit_code is not None else ""
        return KernelStartError(f"The kernel container for {image} stopped during start-up{code}.", logs=logs)

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
        if state is None:
            return 0
        return None if is_active(state.state) else (state.exit_code or 0)

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
                await self.service.aio.kill(self.container_name, signal=name)
            except ContainerNotFound:
                pass

    async def kill(self, restart: bool = False) -> None:
        await asyncio.to_thread(self._remove_quietly)

    async def terminate(self, restart: bool = False) -> None:
        if self.container_name:
            try:
                await self.service.aio.stop(self.container_name, timeout=5)
            except ContainerNotFound:
                pass

    async def cleanup(self, restart: bool = False) -> None:
        """The container goes with the kernel (a restart recreates it from the image)."""
        if restart:
            # same connection directory and record for the next container
            await asyncio.to_thread(self._remove_quietly)
        else:
            await asyncio.to_thread(self._discard)

    def _discard(self) -> None:
        """Everything this kernel left on the host: its container, its connection directory
        (which holds the key) and its record. Shutdown calls it, and so does a launch that
        failed: jupyter_client never calls cleanup() after a failed launch."""
        self._remove_quietly()
        if self.connection_dir is not None:
            shutil.rmtree(self.connection_dir, ignore_errors=True)
            self.connection_dir = None
        records.delete_record(self.kernel_id)
        self.container_name = None
        self.container_id = None

    def _remove_quietly(self) -> None:
        """Remove this kernel's container (labels checked, so never anyone else's); a
        failure is logged, not raised: shutdown must go on."""
        if not self.container_name:
            return
        try:
            self.service.remove_kernel_container(self.container_name, self.kernel_id)
        except LabContainerError as exc:
            self.log.warning("labcontainer: could not remove %s: %s", self.container_name, exc)

    def get_shutdown_wait_time(self, recommended: float = 5.0) -> float:
        return max(recommended, 5.0)

    async def get_provisioner_info(self) -> dict[str, Any]:
        info = await super().get_provisioner_info()
        info.update(
            container_name=self.container_name,
            container_id=self.container_id,
            connection_dir=str(self.connection_dir) if self.connection_dir else None,
        )
        return info

    async def load_provisioner_info(self, provisioner_info: dict) -> None:
        await super().load_provisioner_info(provisioner_info)
        self.container_name = provisioner_info.get("container_name")
        self.container_id = provisioner_info.get("container_id")
        directory = provisioner_info.get("connection_dir")
        self.connection_dir = Path(directory) if directory else None


_PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def _socket_base_dir() -> str:
    # ipc socket paths must stay under ~100 bytes: prefer the short runtime dir.
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        return runtime
    return tempfile.gettempdir()


def _ipykernel_bundle_dir() -> str:
    """The site-packages holding this server's ipykernel and its dependencies."""
    import ipykernel

    return str(Path(ipykernel.__file__).resolve().parent.parent)
