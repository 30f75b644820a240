"""Pulls the side panel starts (``POST images``): each runs in a worker thread while the
request answers 202 at once.

While it runs, the pull is a row of the service's ``pulls`` table like a kernel's pull
(``GET pulls``). When one fails, nobody is waiting on a request to hear why, so the failure
is kept here for :data:`FAILURE_KEPT` seconds and ``GET pulls`` lists it with an ``error``
field: the panel that polls while a pull runs sees it at its next look.
"""

from __future__ import annotations

import asyncio
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
    """The background pulls of one server; one instance in the web app's settings."""

    def __init__(self, service: LabService, log: Logger) -> None:
        self._service = service
        self._log = log
        self._lock = threading.Lock()
        self._running: dict[str, asyncio.Task[None]] = {}  # image -> its task (a reference keeps it alive)
        self._failures: list[_Failure] = []

    def start(self, image: str) -> dict[str, Any]:
        """Start pulling IMAGE unless this server already pulls it for the panel; the Pull row now."""
        with self._lock:
            # A new attempt replaces the last failure's row of this image.
            self._failures = [f for f in self._failures if f.row["image"] != image]
        if image not in self._running:
            task = asyncio.get_running_loop().create_task(self._pull(image))
            self._running[image] = task
            task.add_done_callback(lambda _: self._running.pop(image, None))
        for row in self._service.pulls.current():
            if row.image == image and row.kernel_id is None:
                return row.to_json()
        return PullInFlight(image, None, f"Pulling {image}").to_json()  # the thread has not begun yet

    def failed(self) -> list[dict[str, Any]]:
        """The failed pulls of the last FAILURE_KEPT seconds, oldest first."""
        now = time.monotonic()
        with self._lock:
            self._failures = [f for f in self._failures if f.until > now]
            return [dict(f.row) for f in self._failures]

    async def _pull(self, image: str) -> None:
        started = time.monotonic()
        try:
            await self._service.aio.call(self._service.pull, image)
            return
        except LabContainerError as exc:
            self._log.info("labcontainer: pull of %s failed: %s: %s", image, exc.kind, exc)
            error = {"kind": exc.kind, "message": str(exc)}
        except Exception:  # noqa: BLE001 - no request waits for this task: the failure must be kept
            self._log.exception("labcontainer: pull of %s failed", image)
            error = {"kind": "InternalError", "message": INTERNAL_ERROR}
        elapsed = time.monotonic() - started
        row = PullInFlight(image, None, f"Could not pull {image}", elapsed=elapsed).to_json()
        row["error"] = error
        with self._lock:
            self._failures.append(_Failure(row, time.monotonic() + FAILURE_KEPT))
