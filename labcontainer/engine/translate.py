"""Turn podman-py / HTTP failures into labcontainer errors a lab member can act on.

Podman reports most failures as an HTTP status plus the Go error text; the text is the
only reliable discriminator (a missing image on create is a 500 "image not known", not a
404), so we match on it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

import requests
from podman import errors as podman_errors

from ..core.errors import (
    PANEL_CONTAINERS,
    ContainerNotFound,
    ContainerStateError,
    GpuDeviceUnknown,
    ImageNotFound,
    InvalidSpec,
    LabContainerError,
    NameInUse,
    NotSupportedHere,
    PodmanError,
    RootlessSetupError,
    ServiceUnavailable,
)
from ..core.specs import host_folder_missing
from .pullerrors import pull_failure

__all__ = ["ServiceText", "exec_failure", "pull_failure", "translate", "translated"]

_STATFS_RE = re.compile(r"statfs (/[^:\n]*): (no such file or directory|permission denied)")
_NO_USER_RE = re.compile(r"unable to find user ([^:\s]+)")
_CDI_RE = re.compile(r"(?:unresolvable CDI devices?|CDI device|unknown device)[^\n]*?((?:[\w.-]+/[\w.-]+=[\w.-]+[ ,]*)+)")


class ServiceText(Exception):
    """An error text the service put in a 200 answer (e.g. stats), to translate like others."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.explanation = text


def explanation_of(exc: BaseException) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return str(text)


def translate(exc: BaseException, *, container: str | None = None, image: str | None = None) -> LabContainerError:
    """The labcontainer error for a podman-py / requests failure."""
    text = explanation_of(exc)
    lower = text.lower()
    status = getattr(exc, "status_code", None)
    if "cannot find uid/gid" in lower or "cannot find mappings for user" in lower or "newuidmap" in lower:
        return RootlessSetupError(text)
    if "cdi" in lower and ("unresolvable" in lower or "unknown" in lower or "not found" in lower):
        match = _CDI_RE.search(text)
        return GpuDeviceUnknown(match.group(1).strip(" ,") if match else "asked for", detail=text)
    if "image not known" in lower or "no such image" in lower or isinstance(exc, podman_errors.ImageNotFound):
        return ImageNotFound(image or _quoted(text) or "?", detail=text)
    if "already in use" in lower and "name" in lower:
        return NameInUse(container or _quoted(text) or "?", detail=text)
    if "no such container" in lower or (isinstance(exc, podman_errors.NotFound) and container):
        return ContainerNotFound(container or _quoted(text) or "?", detail=text)
    folder = _STATFS_RE.search(text)
    if folder and folder.group(2) == "no such file or directory":
        return host_folder_missing(folder.group(1), detail=text)
    if folder:
        return InvalidSpec(
            f"Podman may not read the host folder '{folder.group(1)}', so no container was created.",
            hint="A rootless Podman runs as you: the folder and its parents must be readable by you.",
            detail=text,
            quote=True,
        )
    user = _NO_USER_RE.search(text)
    if user:
        return InvalidSpec(f"There is no user '{user.group(1)}' in {_the(container)}.", hint="Give a user the image has, or a uid[:gid].", detail=text, quote=True)
    if "cgroups v1" in lower or "cgroupv2" in lower or "cgroup v2" in lower or "not supported" in lower:
        return NotSupportedHere(
            "Podman cannot do this on this machine.",
            hint=(
                "Rootless Podman on a cgroup v1 host cannot report stats, pause containers or "
                "enforce memory/pids limits; ask your admin about cgroup v2."
            ),
            detail=text,
            quote=True,
        )
    if status == 304 or "is not running" in lower or "container state improper" in lower or "in state" in lower:
        return _state_error(text, container)
    return PodmanError("Podman reported an error.", detail=text, quote=True)


def _state_error(text: str, container: str | None) -> ContainerStateError:
    """A container in the wrong state for what was asked: say which state and what to do."""
    lower, name = text.lower(), container or "NAME"
    if "as it is running" in lower or "cannot be removed without force" in lower:
        error = ContainerStateError(
            f"{_the(container).capitalize()} is running, so it was not removed.",
            hint=f"Stop it first with `%container stop {name}`, or remove it anyway with `%container rm -f {name}`.",
            detail=text,
            quote=True,
        )
        return _in_the_panel(error, "Stop it first with its Stop button, then Remove it.")
    if "is not running" in lower or ("only" in lower and "running containers" in lower):
        error = ContainerStateError(
            f"{_the(container).capitalize()} is not running.",
            hint=f"Start it first with `%container start {name}`.",
            detail=text,
            quote=True,
        )
        return _in_the_panel(error, "Start it first with its Start button.")
    error = ContainerStateError(
        f"{_the(container).capitalize()} is not in a state that allows this.", hint="See `%container ps -a`.", detail=text, quote=True
    )
    return _in_the_panel(error, f"{PANEL_CONTAINERS[0].upper()}{PANEL_CONTAINERS[1:]} shows its state.")


def _in_the_panel(error: ContainerStateError, hint: str) -> ContainerStateError:
    """The hint in the side panel's own ways (its rows' buttons), for REST answers."""
    error.hints["panel"] = hint
    return error


def exec_failure(text: str, *, container: str, exit_code: int) -> InvalidSpec:
    """Podman's reason, from an exec's stream, why the command never started (runc's words)."""
    text = text.strip().removeprefix("Error: ")
    where = _the(container)
    not_found = re.search(r'exec: "([^"]*)": executable file not found', text)
    if not_found:
        return InvalidSpec(
            f"'{not_found.group(1)}' was not found in {where}, so nothing ran (exit code {exit_code}, "
            "as a shell gives for an unknown command).",
            hint="Check the spelling, or give the program's full path.",
            detail=text,
            quote=True,
        )
    denied = re.search(r'exec: "([^"]*)": permission denied', text)
    if denied:
        return InvalidSpec(
            f"'{denied.group(1)}' could not be run in {where}: permission denied (exit code {exit_code}, "
            "as a shell gives for a file it cannot execute).",
            hint="Check that it is a program, not a folder or a data file.",
            detail=text,
            quote=True,
        )
    cwd = re.search(r'chdir to cwd \("([^"]*)"\)', text)
    if cwd:
        return InvalidSpec(
            f"The working directory '{cwd.group(1)}' does not exist in {where}, so nothing ran.",
            hint="Check the path given with -w.",
            detail=text,
            quote=True,
        )
    return InvalidSpec(f"Podman could not start the command in {where} (exit code {exit_code}).", detail=text, quote=True)


@contextmanager
def translated(*, container: str | None = None, image: str | None = None) -> Iterator[None]:
    """Re-raise podman-py and connection errors from the block as labcontainer errors."""
    try:
        yield
    except LabContainerError:
        raise
    except (podman_errors.APIError, podman_errors.PodmanError) as exc:
        if _is_connection_failure(exc):
            raise _lost_service(exc) from exc
        raise translate(exc, container=container, image=image) from exc
    except (requests.ConnectionError, ConnectionError, FileNotFoundError) as exc:
        raise _lost_service(exc) from exc


def _is_connection_failure(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc.__context__
    return getattr(exc, "status_code", None) is None and isinstance(cause, OSError)


def _lost_service(exc: BaseException) -> LabContainerError:
    from .connection import START_SERVICE_HINT

    return ServiceUnavailable(
        "The Podman service stopped answering.", hint=START_SERVICE_HINT, detail=explanation_of(exc)
    )


def _quoted(text: str) -> str | None:
    match = re.search(r'"([^"]+)"', text)
    return match.group(1) if match else None


def _the(container: str | None) -> str:
    return f"container '{container}'" if container else "the container"
