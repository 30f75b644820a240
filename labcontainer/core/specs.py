"""Parse the podman CLI's little languages: ``-v``, ``-p``, ``-e``, ``--gpus``, ``--shm-size``,
``--network`` and image references, and the mount policy (``forbidden_mounts``).

Pure functions; each raises :class:`~labcontainer.core.errors.InvalidSpec` with a message that
shows the accepted form.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Sequence

from .errors import InvalidSpec
from .models import PortSpec, VolumeSpec

CDI_GPU_KIND = "nvidia.com/gpu"

_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_SIZE_RE = re.compile(r"^(\d+)([bkmg]?)$", re.IGNORECASE)
_GPU_UUID_RE = re.compile(r"^(GPU|MIG)-[0-9a-fA-F-]+$")
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Podman stores sizes in an int64 of bytes; a larger one is its 500, not the user's 400.
MAX_SIZE_BYTES = 2**63 - 1
_UNIT_BYTES = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

# The image reference grammar Podman uses (github.com/distribution/reference, regexp.go):
# [domain[:port]/]path-component[/path-component...][:tag][@digest], lower-case paths.
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_REFERENCE_RE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$",
    re.ASCII,
)
MAX_IMAGE_NAME = 255

#: ``--network`` values that give a container a network of its own (or none). host, ns:PATH
#: and container:NAME share the host's or another container's: refused.
NETWORK_MODES = ("bridge", "none", "slirp4netns", "pasta", "private")
_NETWORK_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$", re.ASCII)
#: On a rootful service these host folders are root's: a container that mounts them owns the host.
ROOTFUL_FORBIDDEN_MOUNTS = ("/etc", "/root", "/var/lib/containers")


def shown(text: str, limit: int = 60) -> str:
    """User input quoted in a message: control characters escaped, long text cut."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut)


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
    for volume in volumes:
        try:
            os.stat(volume.host)
        except FileNotFoundError:
            raise host_folder_missing(volume.host) from None
        except OSError:
            pass


def parse_port(text: str, *, default_host_ip: str = "") -> PortSpec:
    """``[IP:]HOST:CONTAINER[/tcp|udp]`` → PortSpec; without IP, ``default_host_ip`` ("" is
    every address, podman's habit; the REST API and forms give 127.0.0.1)."""
    spec, _, protocol = text.partition("/")
    protocol = protocol or "tcp"
    parts = spec.rsplit(":", 2)
    usage = "Use -p HOST_PORT:CONTAINER_PORT, e.g. -p 8888:8888 (or 127.0.0.1:8888:8888)."
    if protocol not in ("tcp", "udp") or len(parts) not in (2, 3):
        raise InvalidSpec(f"Bad port mapping '{text}'.", hint=usage)
    host_ip = parts[0].strip("[]") if len(parts) == 3 else default_host_ip
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


def parse_env(items: Iterable[str], *, inherit: bool = True) -> dict[str, str]:
    """``KEY=VALUE`` items → dict. A bare ``KEY`` takes its value from this process, like
    podman (``inherit``: the magics, where this process is the user's own kernel); else it
    is refused, since it would hand the server's own secrets to whoever asked."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not _ENV_KEY_RE.match(key):
            raise InvalidSpec(f"Bad environment variable '{shown(item)}'.", hint="Use -e NAME=VALUE.")
        if not sep and not inherit:
            raise InvalidSpec(
                f"The environment variable '{key}' has no value, so no container was made: write it as NAME=VALUE "
                f"(e.g. {key}=...). A bare name would copy this server's own value of {key} into the container, "
                "and the server's environment may hold secrets (tokens, passwords), so it is refused here."
            )
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


def parse_size(text: str, *, field: str = "size") -> str:
    """``64m``, ``2g``, ``1024`` → the same string, checked (Podman parses it into an int64)."""
    match = _SIZE_RE.match(text or "")
    if not match:
        where = "" if field == "size" else f" for {field}"
        raise InvalidSpec(f"Bad size '{shown(text)}'{where}.", hint="Use a number with an optional unit b, k, m or g, e.g. 8g.")
    if int(match.group(1)) * _UNIT_BYTES[match.group(2).lower()] > MAX_SIZE_BYTES:
        raise InvalidSpec(f"The {field} '{shown(text)}' is too large.", hint="Use a realistic size, e.g. 8g.")
    return text.lower()


def check_image_reference(text: str, *, field: str = "image") -> str:
    """Return ``text`` if it is an image reference (or id) by Podman's grammar; else InvalidSpec naming ``field``."""
    match = _REFERENCE_RE.match(text or "")
    if not match or len(match.group("name")) > MAX_IMAGE_NAME:
        raise InvalidSpec(
            f"The {field} '{shown(text)}' is not an image reference.",
            hint="Give [REGISTRY[:PORT]/]NAME[:TAG][@DIGEST] in lower case, e.g. docker.io/library/python:3.12, "
            "or an image id.",
        )
    return text


def check_network(text: str) -> bool:
    """Check a ``--network`` value; True when it names a network (whose existence the service checks)."""
    if text in NETWORK_MODES:
        return False
    if text in ("host", "ns", "container") or text.partition(":")[0] in NETWORK_MODES or not _NETWORK_NAME_RE.match(text):
        raise InvalidSpec(
            f"The network '{shown(text)}' is refused: use bridge, none, slirp4netns, pasta, private or the name of "
            "an existing Podman network (`podman network ls`). host, ns:PATH and container:NAME would share the "
            "host's or another container's network, so they are not allowed here, and neither are network options."
        )
    return True


def default_forbidden_mounts(socket_path: str | None, *, rootful: bool) -> tuple[str, ...]:
    """What ``forbidden_mounts`` is when not configured: ``/`` and the Podman socket, and on a
    rootful service ``/etc``, ``/root`` and ``/var/lib/containers`` (ROOTFUL_FORBIDDEN_MOUNTS)."""
    return ("/", *((socket_path,) if socket_path else ()), *(ROOTFUL_FORBIDDEN_MOUNTS if rootful else ()))


def forbidden_mount(host: str, forbidden: Sequence[str], *, resolve: bool) -> str | None:
    """The ``forbidden`` entry mounting ``host`` would expose, or None. An entry is forbidden
    itself and (except ``/``) everything under it; a folder that holds an entry (``/var`` for
    ``/var/lib/containers``, ``/run`` for the socket) would expose it too. ``resolve``: follow
    symbolic links (a local service sees our file system)."""
    real = os.path.realpath if resolve else os.path.normpath
    path = real(host)
    for entry in forbidden:
        target = real(entry)
        if path == target or (target != "/" and path.startswith(target.rstrip("/") + "/")):
            return entry
        if target.startswith(path.rstrip("/") + "/"):
            return entry
    return None


def check_mounts(volumes: Iterable[VolumeSpec], forbidden: Sequence[str], *, resolve: bool) -> None:
    """Refuse, in words, a volume whose host side ``forbidden_mount`` finds."""
    for volume in volumes:
        entry = forbidden_mount(volume.host, forbidden, resolve=resolve)
        if entry is not None:
            host, target = os.path.normpath(volume.host), os.path.normpath(entry)
            relation = "is" if host == target else "holds" if target.startswith(host.rstrip("/") + "/") else "is under"
            raise InvalidSpec(
                f"The volume '{shown(volume.host)}:{shown(volume.container)}' is refused: '{shown(volume.host)}' {relation} "
                f"'{entry}', which this server does not let containers mount (c.LabContainer.forbidden_mounts). "
                "A container that can write there could take over the machine (the Podman socket starts containers "
                "as the service's user; / and /etc hold the host's own configuration). Mount a folder of your own "
                "instead, e.g. ~/data:/data."
            )


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
