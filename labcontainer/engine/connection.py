"""Where the Podman API service is, and how to start one.

Order of preference, as Podman's own tools do it: an explicit URL, then ``CONTAINER_HOST``,
then the rootless socket ``$XDG_RUNTIME_DIR/podman/podman.sock``, then the rootful
``/run/podman/podman.sock``. Only the rootless socket of the *current* user is tried.

Under a hub spawner nothing is prepared: no ``XDG_RUNTIME_DIR``, no lingering systemd user
session, no ``podman.socket``. Then the runtime folder is Podman's own choice:
``/run/user/UID`` when it exists, else ``$TMPDIR/podman-run-UID`` (a private 0700 folder, the one
the member's own ``podman`` uses in such a session), and a service labcontainer starts there
is remembered (:func:`started_service`) so that the server that needed it can stop it again
(:func:`stop_started_service`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..core.errors import (
    NoSubuidRange,
    PodmanNeedsMigrate,
    RuntimeDirNotOwned,
    ServicePermissionDenied,
    ServiceUnavailable,
)

ROOTFUL_SOCKET = "/run/podman/podman.sock"

START_SERVICE_HINT = (
    "Start it in a terminal with `systemctl --user enable --now podman.socket` (or, without "
    "systemd, `podman system service --time=0 &`), or let labcontainer start one for you with "
    "`%container connect --start-service` / PodmanEngine(start_service=True)."
)


#: Podman's words when the user has no usable subordinate ID range.
NO_ID_RANGE_WORDS = "cannot find UID/GID for user"
SUBID_FILES = ("/etc/subuid", "/etc/subgid")


@dataclass
class StartedService:
    """A ``podman system service`` labcontainer started in this process."""

    url: str
    runtime_dir: str
    process: subprocess.Popen
    note: str

    def stop(self) -> bool:
        """Stop it (see :func:`stop_started_service`); False when it was stopped already."""
        return stop_started_service(self.url)


#: The services this process started, by URL (a server stops the one it started).
_STARTED: dict[str, StartedService] = {}


def fallback_runtime_dir(uid: int | None = None) -> str:
    """Podman's own runtime folder for a user without XDG_RUNTIME_DIR or /run/user/UID."""
    return f"{tempfile.gettempdir()}/podman-run-{os.getuid() if uid is None else uid}"


def runtime_dir(env: Mapping[str, str] | None = None) -> str | None:
    """The current user's runtime folder, as rootless Podman picks it (None for root
    without XDG_RUNTIME_DIR: root uses the rootful socket)."""
    env = os.environ if env is None else env
    if env.get("XDG_RUNTIME_DIR"):
        return env["XDG_RUNTIME_DIR"]
    if os.getuid() == 0:
        return None
    default = f"/run/user/{os.getuid()}"
    return default if os.path.isdir(default) else fallback_runtime_dir()


def rootless_socket(env: Mapping[str, str] | None = None) -> str | None:
    """The current user's rootless socket path, or None when there is no runtime folder."""
    runtime = runtime_dir(env)
    return f"{runtime}/podman/podman.sock" if runtime else None


def check_runtime_dir(path: str) -> None:
    """Refuse a runtime folder (or the podman folder in it) that another user owns."""
    for folder in (path, f"{path}/podman"):
        try:
            owner = os.stat(folder).st_uid
        except OSError:
            return
        if owner != os.getuid():
            raise RuntimeDirNotOwned(folder, _user_name(owner), _user_name(os.getuid()))


def make_runtime_dir(path: str) -> str:
    """Create the runtime folder, private (0700), or check the one there is ours."""
    check_runtime_dir(path)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except PermissionError as exc:
        raise ServiceUnavailable(
            f"labcontainer cannot create the runtime folder {path} for your Podman service.",
            hint="Ask the lab's admin to make it (owned by you, mode 0700) or to set XDG_RUNTIME_DIR for your server.",
            detail=str(exc),
        ) from exc
    check_runtime_dir(path)  # (someone may have made it between the check and the mkdir)
    return path


def check_id_ranges(user: str | None = None, files: tuple[str, ...] = SUBID_FILES) -> None:
    """Refuse to start rootless Podman for a user without a subordinate UID and GID range."""
    uid = os.getuid()
    user = user or _user_name(uid)
    missing = [path for path in files if not _has_range(path, user, uid)]
    if missing:
        raise NoSubuidRange(user, " and ".join(missing))


def _has_range(path: str, user: str, uid: int) -> bool:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) == 3 and fields[0] in (user, str(uid)) and fields[2].isdigit() and int(fields[2]) > 0:
            return True
    return False


def start_failure(output: str, user: str | None = None) -> ServiceUnavailable | None:
    """The refusal Podman's own output at start means, if any."""
    if NO_ID_RANGE_WORDS not in output:
        return None
    user = user or _user_name(os.getuid())
    try:
        check_id_ranges(user)
    except NoSubuidRange as exc:
        exc.detail = output.strip()
        return exc
    return PodmanNeedsMigrate(user, detail=output.strip())


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"UID {uid}"


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


def service_environment(env: Mapping[str, str] | None = None, runtime: str | None = None) -> dict[str, str]:
    """The environment for ``podman system service``: without the variables that would make
    podman act as a remote client (it then refuses the socket argument); with
    ``XDG_RUNTIME_DIR`` when a runtime folder is given."""
    env = dict(os.environ if env is None else env)
    for name in ("CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINER_SSHKEY"):
        env.pop(name, None)
    if runtime:
        env["XDG_RUNTIME_DIR"] = runtime
    return env


def start_service(url: str, *, log_path: str | None = None, wait_seconds: float = 10.0) -> subprocess.Popen:
    """Start ``podman system service`` on a unix socket and wait until it accepts connections.

    Opt-in only (the user asked for it, or the server runs under a hub): the service is
    started in its own session, so it outlives a kernel that asked for it. For the current
    user's rootless socket, the runtime folder is made first (private, 0700, refused when
    another user owns it), the user must have a subordinate ID range, and the child gets
    ``XDG_RUNTIME_DIR``.
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
    runtime = None
    if os.getuid() != 0 and path == rootless_socket():
        check_id_ranges()
        runtime = make_runtime_dir(str(Path(path).parent.parent))
        log_path = log_path or f"{runtime}/podman/labcontainer-service.log"
    Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    log = open(log_path or os.devnull, "wb")
    process = subprocess.Popen(
        [podman, "system", "service", "--time=0", url],
        env=service_environment(runtime=runtime),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # outlives a kernel that asked for it, like a service started by hand
    )
    log.close()
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if probe_socket(url) is None or process.poll() is not None:
            break
        time.sleep(0.05)
    output = _read(log_path)
    failure = start_failure(output)
    if failure is None and probe_socket(url) is None:
        return process
    _stop(process)
    raise failure or ServiceUnavailable(
        f"Started `podman system service` on {path}, but it did not answer.",
        hint="Run `podman system service --time=0` in a terminal to see its error.",
        detail=output,
        url=url,
    )


def _read(path: str | None) -> str:
    try:
        return Path(path).read_text(errors="replace") if path else ""
    except OSError:
        return ""


def _stop(process: subprocess.Popen, wait_seconds: float = 10.0) -> None:
    """End the service's whole process group (its own session: rootless podman re-runs itself
    in the user namespace as a child, which a signal to the parent alone can leave behind).
    Podman's pause process and the containers' conmon run in sessions of their own: untouched."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and _group_alive(process):
            time.sleep(0.05)
        if not _group_alive(process):
            break
    process.poll()


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # (reaps the leader once it exited)
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def started_service(url: str | None) -> StartedService | None:
    """The service this process started at ``url``, if it did."""
    return _STARTED.get(url) if url else None


def stop_started_service(url: str) -> bool:
    """Stop the service this process started at ``url`` (the containers it ran keep
    running: conmon watches them, not the service). False when it started none there."""
    started = _STARTED.pop(url, None)
    if started is None:
        return False
    _stop(started.process)
    return True


def choose_url(url: str | None, may_start: bool) -> str:
    """The first candidate URL whose service answers; else start one there (opt-in)."""
    urls = candidate_urls(url)
    rootless = rootless_socket()
    if rootless and normalize_url(rootless) in urls and os.getuid() != 0:
        check_runtime_dir(str(Path(rootless).parent.parent))  # never a socket someone else put there
    reasons = []
    for candidate in urls:
        reason = probe_socket(candidate)
        if reason is None:
            return candidate
        reasons.append(reason)
    if may_start and socket_path(urls[0]):
        process = start_service(urls[0])
        path = socket_path(urls[0]) or urls[0]
        runtime = str(Path(path).parent.parent)
        note = (
            f"No Podman service was answering, so labcontainer started one for you (`podman system service "
            f"--time=0`, PID {process.pid}) on {path}, with XDG_RUNTIME_DIR={runtime}. It stops when this "
            "Jupyter server stops; your containers keep running."
        )
        _STARTED[urls[0]] = StartedService(urls[0], runtime, process, note)
        return urls[0]
    raise unavailable_error(urls, reasons)
