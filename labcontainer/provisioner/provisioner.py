"""PodmanKernelProvisioner: a kernel in a Podman container, driven like a Popen.

``poll`` is the container's state, ``send_signal`` a ``podman kill -s``, ``kill`` a forced
remove. Kernel traffic goes over ZMQ ipc sockets in a per-kernel 0700 directory that is
bind-mounted into the container at /conn, so no TCP port is opened (``transport="tcp"``
binds to 127.0.0.1 instead). Every engine call runs in a thread: the server's event loop
never blocks on Podman.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.provisioner_base import KernelProvisionerBase
from traitlets import Bool, Dict, Float, List, Unicode

from ..errors import ContainerNotFound, KernelStartError, LabContainerError
from ..models import LABEL_KERNEL_ID, LABEL_PURPOSE, PURPOSE_KERNEL, ContainerInfo
from ..service import LabService, default_service
from . import records

CONTAINER_CONNECTION_DIR = "/conn"
CONTAINER_CONNECTION_FILE = f"{CONTAINER_CONNECTION_DIR}/kernel.json"
BUNDLE_MOUNT = "/opt/labcontainer-ipykernel"
#: Seconds between two real state queries in poll(); the restarter polls every few seconds.
POLL_INTERVAL = 1.0
#: Seconds between container state checks while waiting for a starting kernel's sockets.
STATE_CHECK_INTERVAL = 0.25


class PodmanKernelProvisioner(KernelProvisionerBase):
    """Runs the kernel in a container; configured from the kernelspec's metadata."""

    image = Unicode(config=True, help="Image to run the kernel in.")
    gpus = Unicode(None, allow_none=True, config=True, help="--gpus value: all, 0, 0,1, count=N.")
    volumes = List(Unicode(), config=True, help="Extra -v HOST:CONTAINER[:ro] mounts.")
    env = List(Unicode(), config=True, help="Extra -e NAME=VALUE settings.")
    shm_size = Unicode(None, allow_none=True, config=True)
    network = Unicode(None, allow_none=True, config=True, help="Container network; default: Podman's default.")
    labels = Dict(config=True, help="Extra labels on the kernel container.")
    transport = Unicode("ipc", config=True, help="'ipc' (no TCP port) or 'tcp' (127.0.0.1 only).")
    mount_workdir = Bool(True, config=True, help="Mount the working directory at the same path.")
    inject_ipykernel = Bool(
        False, config=True, help="Mount this server's ipykernel into images that lack it (same Python minor version)."
    )
    startup_timeout = Float(60.0, config=True, help="Seconds to wait for the kernel's sockets before handing over.")

    container_name: str | None = None
    container_id: str | None = None
    connection_dir: Path | None = None
    _state_checked_at = 0.0
    _last_state: ContainerInfo | None = None

    # -- discovery of the service (a function so tests can hand in their own) ---------------

    @property
    def service(self) -> LabService:
        return default_service()

    @property
    def has_process(self) -> bool:
        return self.container_name is not None

    # -- launch ------------------------------------------------------------------------

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Called by KernelManager.pre_start_kernel: pull the image if needed (before the
        launch timeout starts), make the connection directory, write both connection files."""
        if not self.image:
            raise KernelStartError(
                "This container kernelspec names no image.",
                hint="Recreate it with `labcontainer kernelspec install --image IMAGE ...`.",
            )
        await asyncio.to_thread(self._ensure_image)
        km = self.parent
        if self.connection_dir is not None and self.connection_dir.is_dir():
            # A restart: clients keep the connection info, so the new container serves the
            # same socket paths. Old socket files would look like a ready kernel.
            for stale in self.connection_dir.glob("k-*"):
                stale.unlink(missing_ok=True)
        else:
            self.connection_dir = Path(tempfile.mkdtemp(prefix=f"lck-{self.kernel_id[:8]}-", dir=_socket_base_dir()))
            os.chmod(self.connection_dir, 0o700)
        if self.transport == "ipc":
            km.transport = "ipc"
            km.ip = str(self.connection_dir / "k")
        else:
            km.transport = "tcp"
            km.ip = "127.0.0.1"
        km.write_connection_file()
        self.connection_info = km.get_connection_info()
        self._write_container_connection_file()
        kwargs.pop("extra_arguments", None)
        kwargs = await super().pre_launch(**kwargs)
        kwargs["cmd"] = self._container_argv()
        return kwargs

    def _ensure_image(self) -> None:
        engine = self.service.engine
        if not engine.image_exists(self.image):
            self.log.info("labcontainer: pulling %s before starting the kernel", self.image)
            engine.pull(self.image, on_progress=lambda p: self.log.info("labcontainer pull: %s", p.message))

    def _write_container_connection_file(self) -> None:
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.connection_info.items()}
        info["ip"] = f"{CONTAINER_CONNECTION_DIR}/k" if self.transport == "ipc" else "0.0.0.0"
        path = self.connection_dir / "kernel.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle)

    def _container_argv(self) -> list[str]:
        argv = list(self.kernel_spec.argv) or ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return [a.replace("{connection_file}", CONTAINER_CONNECTION_FILE) for a in argv]

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Create and start the container, then wait (briefly) until the kernel opened its
        sockets — or report at once, with its last log lines, that it could not."""
        spec = self._container_spec(cmd, kwargs.get("env") or {}, kwargs.get("cwd"))
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
        service = self.service
        # Without a notebook path the server passes no cwd: use its root dir, like a local kernel would.
        manager = getattr(self.parent, "parent", None)
        workdir = cwd or getattr(manager, "root_dir", None) or os.getcwd()
        volumes = [f"{self.connection_dir}:{CONTAINER_CONNECTION_DIR}"]
        if self.mount_workdir and workdir:
            volumes.append(f"{workdir}:{workdir}")
        volumes.extend(self.volumes)
        env = [f"{k}={v}" for k, v in (self.kernel_spec.env or {}).items()]
        # Never JPY_PARENT_PID: that pid means nothing inside the container's PID namespace,
        # and ipykernel would shut itself down thinking its parent died.
        env += [f"{k}={launch_env[k]}" for k in ("JPY_SESSION_NAME",) if k in launch_env]
        env += ["PYDEVD_DISABLE_FILE_VALIDATION=1", *self.env]
        ports = []
        if self.transport == "tcp":
            ports = [f"127.0.0.1:{self.connection_info[p]}:{self.connection_info[p]}" for p in _PORT_NAMES]
        if self.inject_ipykernel:
            bundle = _ipykernel_bundle_dir()
            volumes.append(f"{bundle}:{BUNDLE_MOUNT}:ro")
            env.append(f"PYTHONPATH={BUNDLE_MOUNT}")
        labels = {LABEL_KERNEL_ID: self.kernel_id, **{str(k): str(v) for k, v in self.labels.items()}}
        spec = service.build_spec(
            self.image,
            cmd,
            name=f"lc-kernel-{self.kernel_id}",
            volumes=volumes,
            env=env,
            ports=ports,
            gpus=self.gpus,
            shm_size=self.shm_size,
            workdir=workdir if self.mount_workdir else None,
            network=self.network,
            labels=labels,
            purpose=PURPOSE_KERNEL,
        )
        from dataclasses import replace

        # init: as PID 1 the kernel ignores SIGTERM, so every stop would wait for SIGKILL.
        # Files written in the work folder must belong to the user on the host.
        rootless = service.engine.info().rootless
        return replace(
            spec,
            init=True,
            userns="keep-id" if rootless else None,
            user=None if rootless else f"{os.getuid()}:{os.getgid()}",
        )

    def _remove_stale_container(self, name: str) -> None:
        """A restart reuses the kernel id, so the previous container must be gone — but
        only if it really is this kernel's (labels checked); anything else named like it
        is left alone, and creating ours then fails with a clear "name in use"."""
        engine = self.service.engine
        try:
            labels = engine.get(name).labels
        except ContainerNotFound:
            return
        if labels.get(LABEL_KERNEL_ID) == self.kernel_id and labels.get(LABEL_PURPOSE) == PURPOSE_KERNEL:
            try:
                engine.remove(name, force=True)
            except ContainerNotFound:
                pass

    async def _wait_until_listening(self) -> None:
        # The socket file is a cheap local check; asking Podman for the container's state
        # costs a REST call (and CPU the starting kernel needs), so do that rarely.
        deadline = time.monotonic() + self.startup_timeout
        shell = None
        if self.transport == "ipc":
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
        engine = self.service.engine
        try:
            logs = "\n".join(list(engine.logs(self.container_name, tail=20)))
        except LabContainerError:
            logs = ""
        self._remove_quietly()
        if "No module named ipykernel" in logs:
            return KernelStartError(
                f"The image {self.image} has Python but no ipykernel, so it cannot serve as a kernel.",
                hint=(
                    "Install ipykernel in the image (pip install ipykernel), or recreate the kernelspec with "
                    "`labcontainer kernelspec install --inject-ipykernel ...` to mount this server's ipykernel "
                    "(the image's Python must have the same minor version)."
                ),
                logs=logs,
            )
        code = f" (exit code {state.exit_code})" if state and state.exit_code is not None else ""
        return KernelStartError(f"The kernel container for {self.image} stopped during start-up{code}.", logs=logs)

    # -- Popen-like ------------------------------------------------------------------------

    def _refresh_state(self) -> ContainerInfo | None:
        try:
            self._last_state = self.service.engine.get(self.container_name)
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
        return None if state.running or state.state in ("created", "paused") else (state.exit_code or 0)

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
                await asyncio.to_thread(self.service.engine.kill, self.container_name, signal=name)
            except ContainerNotFound:
                pass

    async def kill(self, restart: bool = False) -> None:
        await asyncio.to_thread(self._remove_quietly)

    async def terminate(self, restart: bool = False) -> None:
        if self.container_name:
            try:
                await asyncio.to_thread(self.service.engine.stop, self.container_name, timeout=5)
            except ContainerNotFound:
                pass

    async def cleanup(self, restart: bool = False) -> None:
        """The container goes with the kernel (a restart recreates it from the image)."""
        await asyncio.to_thread(self._remove_quietly)
        if restart:
            return  # same connection directory and record for the next container
        if self.connection_dir is not None:
            shutil.rmtree(self.connection_dir, ignore_errors=True)
            self.connection_dir = None
        records.delete_record(self.kernel_id)
        self.container_name = None
        self.container_id = None

    def _remove_quietly(self) -> None:
        if not self.container_name:
            return
        try:
            self.service.engine.remove(self.container_name, force=True)
        except LabContainerError:
            pass

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
