"""Parse the podman CLI's little languages: ``-v``, ``-p``, ``-e``, ``--gpus``, ``--shm-size``.

Pure functions; each raises :class:`~labcontainer.core.errors.InvalidSpec` with a message that
shows the accepted form.
"""

from __future__ import annotations

import re
from typing import Iterable

from .errors import InvalidSpec
from .models import PortSpec, VolumeSpec

CDI_GPU_KIND = "nvidia.com/gpu"

_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_SIZE_RE = re.compile(r"^(\d+)([bkmg]?)$", re.IGNORECASE)
_GPU_UUID_RE = re.compile(r"^(GPU|MIG)-[0-9a-fA-F-]+$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_container_name(name: str) -> str:
    """Return ``name`` if Podman accepts it as a container name."""
    if not _NAME_RE.match(name or ""):
        raise InvalidSpec(
            f"'{name}' is not a valid container name.",
            hint="Use letters, digits, '_', '.' and '-', starting with a letter or digit.",
        )
    return name


def parse_volume(text: str) -> VolumeSpec:
    """``HOST:CONTAINER[:ro|rw]`` → VolumeSpec. HOST must be an absolute path (or ``~``)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise InvalidSpec(
            f"Bad volume '{text}'.", hint="Use -v HOST_PATH:CONTAINER_PATH[:ro], e.g. -v ~/data:/data:ro."
        )
    host, container = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise InvalidSpec(f"Bad volume mode '{mode}' in '{text}'.", hint="The mode is 'ro' or 'rw'.")
    if host.startswith("~"):
        import os.path

        host = os.path.expanduser(host)
    if not host.startswith("/"):
        raise InvalidSpec(
            f"The host side of volume '{text}' must be an absolute path.",
            hint="Named volumes are not supported yet; use a folder, e.g. -v $HOME/data:/data.",
        )
    if not container.startswith("/"):
        raise InvalidSpec(f"The container side of volume '{text}' must be an absolute path.")
    return VolumeSpec(host=host, container=container, read_only=mode == "ro")


def host_folder_missing(path: str, *, detail: str = "") -> InvalidSpec:
    """The error for ``-v PATH:...`` when PATH does not exist (Podman does not create it)."""
    return InvalidSpec(
        f"The host folder '{path}' does not exist, so no container was created.",
        hint="Create it first, or correct the host side of -v HOST:CONTAINER.",
        detail=detail,
        quote=bool(detail),
    )


def check_host_folders(volumes: Iterable[VolumeSpec]) -> None:
    """Raise when a -v host folder does not exist here: Podman would refuse it only at
    create, in its own words. A folder we may not look into (another user's, under a
    rootful service) is left for Podman to judge."""
    import os

    for volume in volumes:
        try:
            os.stat(volume.host)
        except FileNotFoundError:
            raise host_folder_missing(volume.host) from None
        except OSError:
            pass


def parse_port(text: str) -> PortSpec:
    """``[IP:]HOST:CONTAINER[/tcp|udp]`` → PortSpec."""
    spec, _, protocol = text.partition("/")
    protocol = protocol or "tcp"
    parts = spec.rsplit(":", 2)
    usage = "Use -p HOST_PORT:CONTAINER_PORT, e.g. -p 8888:8888 (or 127.0.0.1:8888:8888)."
    if protocol not in ("tcp", "udp") or len(parts) not in (2, 3):
        raise InvalidSpec(f"Bad port mapping '{text}'.", hint=usage)
    host_ip = parts[0].strip("[]") if len(parts) == 3 else ""
    if host_ip:
        import ipaddress

        try:
            ipaddress.ip_address(host_ip)
        except ValueError:
            raise InvalidSpec(f"Bad host address '{host_ip}' in port mapping '{text}'.", hint=usage) from None
    try:
        host_port, container_port = int(parts[-2]), int(parts[-1])
    except ValueError:
        raise InvalidSpec(f"Bad port mapping '{text}'.", hint=usage) from None
    for port in (host_port, container_port):
        if not 0 < port < 65536:
            raise InvalidSpec(f"Port {port} in '{text}' is out of range 1-65535.")
    return PortSpec(host_port=host_port, container_port=container_port, host_ip=host_ip, protocol=protocol)


def parse_env(items: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` items → dict. A bare ``KEY`` takes its value from this process, like podman."""
    import os

    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not _ENV_KEY_RE.match(key):
            raise InvalidSpec(f"Bad environment variable '{item}'.", hint="Use -e NAME=VALUE.")
        if not sep:
            if key not in os.environ:
                raise InvalidSpec(f"-e {key}: no value given and {key} is not set here.", hint="Use -e NAME=VALUE.")
            value = os.environ[key]
        env[key] = value
    return env


def parse_filters(items: Iterable[str], *, example: str) -> dict[str, list[str]]:
    """podman's repeatable ``--filter KEY=VALUE`` (``ps``, ``image prune``), grouped by key."""
    filters: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidSpec(f"Bad filter '{item}': it is not KEY=VALUE.", hint=f"E.g. `--filter {example}`.")
        filters.setdefault(key, []).append(value)
    return filters


def parse_size(text: str) -> str:
    """``64m``, ``2g``, ``1024`` → the same string, checked (Podman parses it)."""
    if not _SIZE_RE.match(text or ""):
        raise InvalidSpec(f"Bad size '{text}'.", hint="Use a number with an optional unit b, k, m or g, e.g. 8g.")
    return text.lower()


def parse_gpus(text: str, *, free: Iterable[int] = ()) -> tuple[str, ...]:
    """A ``--gpus`` value → CDI device names.

    Accepted, as with ``podman run --gpus``:
      * ``all``                    every GPU (``nvidia.com/gpu=all``)
      * ``0`` or ``0,1``           GPUs by index
      * ``GPU-<uuid>``             GPUs by UUID (comma-separated too)
      * ``count=N``                any N GPUs nobody is using now (from ``free``)
      * ``none`` or ``""``         no GPU
    A ``device=`` prefix (Docker's form) is accepted and ignored.
    """
    value = (text or "").strip().strip("'\"")
    value = value.removeprefix("device=")
    usage = "Use --gpus all, --gpus 0, --gpus 0,1, --gpus GPU-<uuid> or --gpus count=N (see `%gpus --free`)."
    if value in ("", "none"):
        return ()
    if value == "all":
        return (f"{CDI_GPU_KIND}=all",)
    if value.startswith("count="):
        try:
            count = int(value.removeprefix("count="))
        except ValueError:
            raise InvalidSpec(f"Bad GPU count in '--gpus {text}'.", hint=usage) from None
        available = sorted(free)
        if count < 1:
            raise InvalidSpec(f"--gpus {text}: ask for at least one GPU.", hint=usage)
        if count > len(available):
            raise InvalidSpec(
                f"--gpus {text}: only {len(available)} GPU(s) are free right now ({available or 'none'}).",
                hint="See who uses them with `%gpus`, or name GPUs explicitly with --gpus 0,1.",
            )
        return tuple(f"{CDI_GPU_KIND}={i}" for i in available[:count])
    devices: list[str] = []
    for item in value.split(","):
        item = item.strip()
        if item.isdigit() or _GPU_UUID_RE.match(item):
            name = f"{CDI_GPU_KIND}={int(item) if item.isdigit() else item}"
            if name not in devices:
                devices.append(name)
        else:
            raise InvalidSpec(f"Bad GPU '{item}' in '--gpus {text}'.", hint=usage)
    return tuple(devices)
