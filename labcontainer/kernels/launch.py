"""The pure parts of starting a container kernel: its command, where its sockets go, what
it keeps from the launch, and the messages when it cannot start. No Podman calls here
(the provisioner makes those); everything is a function of its arguments."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ..core.errors import KernelStartError
from ..core.models import ContainerInfo
from .config import CONTAINER_CONNECTION_DIR, CONTAINER_CONNECTION_FILE, KernelContainerConfig

PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")  # shell first
_TEMPLATE = re.compile(r"\{([A-Za-z0-9_]+)\}")


def kernel_command(argv: list[str], extra_arguments: list[str]) -> list[str]:
    """The kernelspec's argv plus the launch's extra arguments, templates filled in the
    way KernelManager.format_kernel_cmd does, but for the container's side: the
    connection file is /conn/kernel.json and ``python3`` stays the image's own Python."""
    argv = argv or ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    names = {"connection_file": CONTAINER_CONNECTION_FILE}
    return [_TEMPLATE.sub(lambda m: names.get(m.group(1), m.group()), arg) for arg in argv + list(extra_arguments)]


def kept_env(launch_env: dict[str, str]) -> dict[str, str]:
    """Only what the container needs from the launch: not the server's whole environment,
    and never JPY_PARENT_PID (that pid means nothing inside the container's PID namespace,
    and ipykernel would shut itself down thinking its parent died)."""
    return {k: launch_env[k] for k in ("JPY_SESSION_NAME",) if k in launch_env}


def kernel_workdir(cwd: str | None, root_dir: str, log: Any = None, kernel_id: str = "") -> str:
    """The folder a container kernel starts in (and mounts, at the same path): the launch's
    ``cwd`` when it is the server's root folder or below it, else the root folder itself.

    jupyter_server makes ``cwd`` from the ``path`` a client gives to POST /api/kernels
    without checking that it stays under root_dir: ``"../../../etc"`` would otherwise become a
    read-write mount of /etc. Links are followed, as Podman follows them when it mounts.
    A ``cwd`` not used is said in the server log (``log``)."""
    if not cwd:
        return root_dir
    root, real = os.path.realpath(root_dir), os.path.realpath(cwd)
    if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
        return cwd
    if log is not None:
        log.warning(
            "labcontainer: kernel %s: its folder %s is outside the server's root folder %s, so it starts in %s "
            "and %s is not mounted", kernel_id, cwd, root_dir, root_dir, cwd,
        )
    return root_dir


class StartCancelled(Exception):
    """The kernel was shut down while its start waited for its image: the pull stopped, and
    nothing was made (no container, folder or record)."""


def prepare_connection_dir(current: Path | None, kernel_id: str) -> Path:
    """The kernel's 0700 connection folder: a new one, or on a restart the same one emptied
    of its sockets (clients keep the connection info, so the new container serves the same
    socket paths; old socket files would look like a ready kernel)."""
    if current is not None and current.is_dir():
        for stale in current.glob("k-*"):
            stale.unlink(missing_ok=True)
        return current
    folder = Path(tempfile.mkdtemp(prefix=f"lck-{kernel_id[:8]}-", dir=socket_base_dir()))
    os.chmod(folder, 0o700)
    return folder


def container_connection_info(connection_info: dict, transport: str) -> dict:
    """The connection file as the container sees it (sockets under /conn, or any address)."""
    info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in connection_info.items()}
    info["ip"] = f"{CONTAINER_CONNECTION_DIR}/k" if transport == "ipc" else "0.0.0.0"
    return info


def socket_names(connection_info: dict) -> list[str]:
    """The kernel's ipc socket files in its folder (``k-PORT``), shell socket first."""
    return [f"k-{connection_info[port]}" for port in PORT_NAMES]


def exit_report(container_name: str | None, state: ContainerInfo | None, last_lines: str) -> str:
    """Why a kernel's container ended, in one line and its last log lines."""
    if state is None:
        return f"its container {container_name} was removed"
    return f"its container {container_name} exited with code {state.exit_code or 0}" + (
        f"; last lines:\n{last_lines}" if last_lines else ""
    )


def socket_base_dir() -> str:
    # ipc socket paths must stay under ~100 bytes: prefer the short runtime dir.
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        return runtime
    return tempfile.gettempdir()


def ipykernel_bundle_dir() -> str:
    """The site-packages holding this server's ipykernel and its dependencies (what
    ``inject_ipykernel`` mounts; other images get bundle.ensure_bundle's)."""
    import ipykernel

    return str(Path(ipykernel.__file__).resolve().parent.parent)


def never_ready(config: KernelContainerConfig, last_lines: str) -> KernelStartError:
    return KernelStartError(
        f"The kernel in {config.image} did not open its sockets within {config.startup_timeout:g} s, "
        "so its container was removed.",
        hint="If the image is just slow to start, raise startup_timeout in the kernelspec; "
        "otherwise check that its command starts an ipykernel (see the container's last lines below).",
        logs=last_lines,
    )


def stopped_during_start(config: KernelContainerConfig, state: ContainerInfo | None, last_lines: str) -> KernelStartError:
    if "No module named ipykernel" in last_lines:
        return KernelStartError(
            f"The image {config.image} has Python but no ipykernel, so it cannot serve as a kernel.",
            hint=(
                "Install ipykernel in the image (pip install ipykernel). labcontainer mounts an ipykernel into "
                "images without one when it can ask their Python which version it is first, and this time it could not."
            ),
            logs=last_lines,
        )
    code = f" (exit code {state.exit_code})" if state and state.exit_code is not None else ""
    return KernelStartError(f"The kernel container for {config.image} stopped during start-up{code}.", logs=last_lines)
