"""Where the Podman API service is, and how to start one.

Order of preference, as Podman's own tools do it: an explicit URL, then ``CONTAINER_HOST``,
then the rootless socket ``$XDG_RUNTIME_DIR/podman/podman.sock``, then the rootful
``/run/podman/podman.sock``. Only the rootless socket of the *current* user is tried.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Mapping

from ..core.errors import ServicePermissionDenied, ServiceUnavailable

ROOTFUL_SOCKET = "/run/podman/podman.sock"

START_SERVICE_HINT = (
    "Start it in a terminal with `systemctl --user enable --now podman.socket` (or, without "
    "systemd, `podman system service --time=0 &`), or let labcontainer start one for you with "
    "`%container connect --start-service` / PodmanEngine(start_service=True)."
)


def rootless_socket(env: Mapping[str, str] | None = None) -> str | None:
    """The current user's rootless socket path, or None when XDG_RUNTIME_DIR is unknown."""
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR")
    if not runtime and os.getuid() != 0:
        default = f"/run/user/{os.getuid()}"
        runtime = default if os.path.isdir(default) else None
    return f"{runtime}/podman/podman.sock" if runtime else None


def candidate_urls(explicit: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """The service URLs to try, best first."""
    env = os.environ if env is None else env
    if explicit:
        return [normalize_url(explicit)]
    if env.get("CONTAINER_HOST"):
        return [normalize_url(env["CONTAINER_HOST"])]
    urls = []
    rootless = rootless_socket(env)
    if rootless:
        urls.append(normalize_url(rootless))
    urls.append(normalize_url(ROOTFUL_SOCKET))
    return urls


def normalize_url(url: str) -> str:
    """A bare socket path becomes ``unix://PATH``; other URLs stay as they are."""
    if url.startswith("/"):
        return f"unix://{url}"
    return url


def socket_path(url: str) -> str | None:
    return url.removeprefix("unix://") if url.startswith("unix://") else None


def probe_socket(url: str) -> str | None:
    """Cheaply tell why a unix-socket URL cannot be used; None if it accepts connections.

    Non-unix URLs (tcp, ssh) are not probed here: podman-py reports on them itself.
    """
    path = socket_path(url)
    if path is None:
        return None
    if not os.path.exists(path):
        return "missing"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect(path)
    except PermissionError:
        return "permission"
    except OSError:
        return "refused"
    finally:
        sock.close()
    return None


def unavailable_error(urls: list[str], reasons: list[str], detail: str = "") -> ServiceUnavailable:
    """The error to raise when none of ``urls`` answers."""
    if "permission" in reasons and len(urls) == 1:
        path = socket_path(urls[0]) or urls[0]
        return ServicePermissionDenied(
            f"You may not use the Podman socket {path}: permission denied.",
            hint=(
                "That is usually the rootful (root's) socket. Use your own rootless Podman instead: "
                "unset CONTAINER_HOST and " + START_SERVICE_HINT[0].lower() + START_SERVICE_HINT[1:]
            ),
            detail=detail,
            url=urls[0],
        )
    where = ", ".join(socket_path(u) or u for u in urls)
    return ServiceUnavailable(
        f"No Podman service is answering (tried {where}).",
        hint=START_SERVICE_HINT,
        detail=detail,
        url=urls[0] if urls else "",
    )


def service_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for ``podman system service``: without the variables that would make
    podman act as a remote client (it then refuses the socket argument)."""
    env = dict(os.environ if env is None else env)
    for name in ("CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINER_SSHKEY"):
        env.pop(name, None)
    return env


def start_service(url: str, *, log_path: str | None = None, wait_seconds: float = 10.0) -> subprocess.Popen:
    """Start ``podman system service`` on a unix socket and wait until it accepts connections.

    Opt-in only (the user asked for it): the service keeps running after labcontainer exits,
    as if started by hand, so containers stay reachable.
    """
    path = socket_path(url)
    if path is None:
        raise ServiceUnavailable(f"labcontainer can only start a service on a unix socket, not {url}.")
    podman = shutil.which("podman")
    if podman is None:
        raise ServiceUnavailable(
            "Podman is not installed on this machine (no `podman` on PATH).",
            hint="Ask your admin to install it (Debian/Ubuntu: `apt install podman`).",
        )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path or os.devnull, "ab")
    process = subprocess.Popen(
        [podman, "system", "service", "--time=0", url],
        env=service_environment(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # outlives this process, like a service started by hand
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if probe_socket(url) is None:
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise ServiceUnavailable(
        f"Started `podman system service` on {path}, but it did not answer.",
        hint="Run `podman system service --time=0` in a terminal to see its error.",
        url=url,
    )


def choose_url(url: str | None, may_start: bool) -> str:
    """The first candidate URL whose service answers; else start one there (opt-in)."""
    urls = candidate_urls(url)
    reasons = []
    for candidate in urls:
        reason = probe_socket(candidate)
        if reason is None:
            return candidate
        reasons.append(reason)
    if may_start and socket_path(urls[0]):
        start_service(urls[0])
        return urls[0]
    raise unavailable_error(urls, reasons)
