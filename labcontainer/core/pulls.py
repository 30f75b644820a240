"""The pulls a LabService is making right now: which image, for which kernel, how far.

One table per service, so one per Jupyter server (the provisioner and the REST handlers
share the service): a container kernel whose image is missing is pulled before its
container exists, and while that runs the side panel can ask (``GET labcontainer/api/pulls``)
and show "pulling IMAGE for kernel K: 45 %" instead of a kernel that seems to hang.
Thread-safe: pulls run in worker threads, the REST API reads on the event loop.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .models import PullProgress, _JsonRecord


@dataclass(frozen=True)
class PullInFlight(_JsonRecord):
    """One running pull, as its last progress step left it."""

    image: str
    kernel_id: str | None  # the kernel waiting for this image, if a kernel start asked for it
    message: str  # the last step, e.g. "Downloading 5f6d9f26578c: 4.1 MB of 33.6 MB"
    downloaded: int = 0  # bytes so far, all layers
    total: int = 0  # bytes of the layers whose size Podman has reported
    fraction: float | None = None  # 0..1 of the bytes known so far (None: no byte counts yet)
    elapsed: float = 0.0  # seconds since the pull began


class PullsInFlight:
    """The table: ``track()`` around a pull adds a row, its callback keeps the row current,
    and the row goes when the pull ends (done, failed or interrupted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, PullInFlight] = {}
        self._keys = itertools.count()

    @contextmanager
    def track(self, image: str, kernel_id: str | None = None) -> Iterator[Callable[[PullProgress], None]]:
        key = next(self._keys)
        with self._lock:
            self._rows[key] = PullInFlight(image, kernel_id, f"Pulling {image}")

        def report(step: PullProgress) -> None:
            row = PullInFlight(image, kernel_id, step.message, step.downloaded, step.total, step.fraction, step.elapsed)
            with self._lock:
                if key in self._rows:
                    self._rows[key] = row

        try:
            yield report
        finally:
            with self._lock:
                self._rows.pop(key, None)

    def current(self) -> list[PullInFlight]:
        """The pulls running now, oldest first."""
        with self._lock:
            return [self._rows[key] for key in sorted(self._rows)]
