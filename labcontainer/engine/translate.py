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
    ContainerNotFound,
    ContainerStateError,
    GpuDeviceUnknown,
    ImageNotFound,
    LabContainerError,
    NameInUse,
    NotSupportedHere,
    PodmanError,
    RootlessSetupError,
    ServiceUnavailable,
)

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
    if "cgroups v1" in lower or "cgroupv2" in lower or "cgroup v2" in lower or "not supported" in lower:
        return NotSupportedHere(
            "Podman cannot do this on this machine: " + _first_line(text),
            hint=(
                "Rootless Podman on a cgroup v1 host cannot report stats, pause containers or "
                "enforce memory/pids limits; ask your admin about cgroup v2."
            ),
            detail=text,
        )
    if status == 304 or "is not running" in lower or "container state improper" in lower or "in state" in lower:
        return ContainerStateError(f"{_subject(container)}{_first_line(text)}", detail=text)
    return PodmanError(f"Podman reported an error: {_first_line(text)}", detail=text)


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


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line[:300]


def _subject(container: str | None) -> str:
    return f"Container '{container}': " if container else ""
