"""Pulls the side panel starts (``POST images``): each runs in a worker thread while the
request answers 202 at once.

While it runs, the pull is a row of the service's ``pulls`` table like a kernel's pull
(``GET pulls``). When one fails, nobody is waiting on a request to hear why, so the failure
is kept here for :data:`FAILURE_KEPT` seconds and ``GET pulls`` lists it with an ``error``
field: the panel that polls while a pull runs sees it at its next look.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from logging import Logger
from typing import Any

from ..core.errors import LabContainerError
from ..core.pulls import PullInFlight
from ..service import LabService

#: Seconds a failed pull stays listed (with its error) in GET pulls.
FAILURE_KEPT = 60.0
INTERNAL_ERROR = "labcontainer hit an unexpected error while pulling; the server log has the details."


@dataclass(frozen=True)
class _Failure:
    row: dict[str, Any]  # a Pull (rest_schema.json) with its ``error``
    until: float  # time.monotonic() after which it is forgotten


class PullJobs:
    """The background pulls of one server; one instance in the web app's settings.

    A job is listed from ``start()`` until its thread has recorded how it ended, with no gap:
    before the service's table has its row (the thread not begun yet) and after that row went
    (the failure not recorded yet) :meth:`rows` shows the job's first row, so a client polling
    GET pulls never sees a running pull vanish and miss its failure.
    """

    def __init__(self, service: LabService, log: Logger) -> None:
        self._service = service
        self._log = log
        self._lock = threading.Lock()
        self._jobs: dict[str, float] = {}  # image -> time.monotonic() at start, while its thread runs
        self._failures: list[_Failure] = []

    def start(self, image: str) -> dict[str, Any]:
        """Start pulling IMAGE unless this server already pulls it for the panel; its Pull row now."""
        with self._lock:
            # A new attempt replaces the last failure's row of this image.
            self._failures = [f for f in self._failures if f.row["image"] != image]
            new = image not in self._jobs
            if new:
                self._jobs[image] = time.monotonic()
        if new:
            threading.Thread(target=self._pull, args=(image,), name=f"labcontainer-pull {image}", daemon=True).start()
            return _first_row(image)
        running = [row.to_json() for row in self._service.pulls.current() if row.image == image and row.kernel_id is None]
        return running[0] if running else _first_row(image)

    def rows(self, current: list[PullInFlight]) -> list[dict[str, Any]]:
        """What GET pulls adds to the service's rows (``current``): jobs not in them, then
        the failures of the last FAILURE_KEPT seconds, oldest first."""
        tracked = {row.image for row in current if row.kernel_id is None}
        now = time.monotonic()
        with self._lock:
            self._failures = [f for f in self._failures if f.until > now]
            waiting = [_first_row(image, now - began) for image, began in self._jobs.items() if image not in tracked]
            return waiting + [dict(f.row) for f in self._failures]

    def _pull(self, image: str) -> None:
        """In the job's thread: the pull, then its failure kept (or nothing), then the job ends."""
        error: dict[str, str] | None = None
        try:
            self._service.images.pull(image)
        except LabContainerError as exc:
            self._log.info("labcontainer: pull of %s failed: %s: %s", image, exc.kind, exc)
            error = {"kind": exc.kind, "message": str(exc)}
        except Exception:  # noqa: BLE001 - no request waits for this thread: the failure must be kept
            self._log.exception("labcontainer: pull of %s failed", image)
            error = {"kind": "InternalError", "message": INTERNAL_ERROR}
        finally:
            with self._lock:
                began = self._jobs.pop(image, time.monotonic())
                if error is not None:
                    row = _first_row(image, time.monotonic() - began)
                    row.update(message=f"Could not pull {image}", error=error)
                    self._failures.append(_Failure(row, time.monotonic() + FAILURE_KEPT))


def _first_row(image: str, elapsed: float = 0.0) -> dict[str, Any]:
    return PullInFlight(image, None, f"Pulling {image}", elapsed=elapsed).to_json()
