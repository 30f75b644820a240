"""``podman logs`` for PodmanEngine: where to read a container's log from, and how.

From its file when this machine holds it (logfile.py; 100,000 lines measured here in 0.07 s
where ``podman logs -f`` takes 0.45 s and the service 1.5-4 s, and complete when following).
Otherwise through the service: a stopped container's log in one plain read, a running one
followed by repeated plain reads (streams.py says why not Podman's own follow stream).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core.errors import ContainerNotFound
from ..core.models import ACTIVE_STATES
from .convert import container_info_from_inspect
from .logfile import local_log_path, read_log_file
from .streams import batched, demux, follow_batches, lines_of, timestamped_lines
from .translate import translated

#: ``read(tail, since_seconds, timestamps)`` → one plain read through the service, as lines.
ServiceRead = Callable[[int | str, int | None, bool], Iterator[str]]


@dataclass(frozen=True)
class LogOptions:
    """What ``podman logs`` was asked for: ``--tail``, ``-f``, ``-t``, and a way to stop."""

    tail: int | None = None
    follow: bool = False
    timestamps: bool = False
    stop: threading.Event | None = None


#: How long a "stopped" container's log is waited for before it is taken as complete anyway.
STOPPED_GRACE = 10.0


def log_still_written(state: Callable[[], str]) -> Callable[[], bool]:
    """A check of whether the container's log may still grow. conmon writes what the
    container left in its pipe, syncs the log and only then the exit file; Podman says
    "stopped" once the process has ended and "exited" once it has read that file. So a
    "stopped" container's log may still be growing: it is waited out, for at most
    ``STOPPED_GRACE`` seconds (a conmon that died writes no exit file). Gone is finished."""
    stopped_since: float | None = None

    def still_written() -> bool:
        nonlocal stopped_since
        try:
            now = state()
        except ContainerNotFound:  # removed (--rm): its log was complete before that
            return False
        if now in ACTIVE_STATES:
            return True
        if now != "stopped":
            return False
        stopped_since = stopped_since if stopped_since is not None else time.monotonic()
        return time.monotonic() - stopped_since < STOPPED_GRACE

    return still_written


def container_log_batches(
    inspect: dict[str, Any],
    url: str,
    state: Callable[[], str],
    read: ServiceRead,
    options: LogOptions,
    *,
    local_files: bool = True,
) -> Iterator[list[str]]:
    """The log of the container ``inspect`` describes, in lists of lines (see
    ``PodmanEngine.log_batches``). ``state()`` asks the service for its state now.
    ``local_files=False``: the service is another machine's (a forwarded socket looks local,
    and a path there may name an unrelated file here), so only the service is asked."""
    still_written = log_still_written(state)
    status = container_info_from_inspect(inspect).state
    following = options.follow and (status in ACTIVE_STATES or (status == "stopped" and still_written()))
    path = local_log_path(inspect, url) if local_files else None
    if path is not None:
        is_running = still_written if following else None
        yield from read_log_file(path, tail=options.tail, timestamps=options.timestamps, is_running=is_running, stop=options.stop)
        return
    first_tail: int | str = options.tail if options.tail is not None else "all"
    if not following:  # a finished container's log is complete: one plain read
        yield from batched(read(first_tail, None, options.timestamps))
        return

    def read_stamped(tail: int | str, since: int | None) -> Iterator[str]:
        return read(tail, since, True)

    yield from follow_batches(
        read_stamped, still_written, tail=first_tail, keep_timestamps=options.timestamps, stop=options.stop
    )


def read_through_service(
    request: Callable[..., Any], name: str, tail: int | str, since: int | None, timestamps: bool
) -> Iterator[str]:
    """One plain read of the log through the service (``request`` is the engine's REST call
    on a container), as lines. Not podman-py's logs(): its frame reader loses frames on
    short reads (see demux)."""
    params: dict[str, Any] = {"stdout": True, "stderr": True, "follow": False, "timestamps": timestamps, "tail": tail}
    if since is not None:
        params["since"] = str(since)
    response = request("get", name, "logs", params=params, stream=True, timeout=(10, None))
    with translated(container=name):
        frames = (text for _stream, text in demux(response.iter_content(chunk_size=None)))
        yield from (timestamped_lines(frames) if timestamps else lines_of(frames))
