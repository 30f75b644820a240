"""The one table of a LabService's pulls: which image, for which kernel, how far, or why it failed.

One table per service, so one per Jupyter server (the provisioner and the REST handlers
share the service). Two kinds of pull have a row:

- a pull someone waits on (a container kernel whose image is missing, a magic): ``track()``
  around it; the row goes when the pull ends, and the waiter hears how it ended;
- a pull in the background (the side panel's ``POST images``): ``start()`` runs it in a worker
  thread and answers at once. Nobody waits on it, so when it fails its row stays, with an
  ``error``, for :data:`FAILURE_KEPT` seconds: the panel polling ``GET pulls`` sees why at its
  next look. At most :data:`MAX_BACKGROUND` run at once (:class:`~.errors.TooBusy` beyond).

``GET labcontainer/api/pulls`` lists :meth:`PullsInFlight.current` as it is.
Thread-safe: pulls run in worker threads, the REST API reads on the event loop.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from .errors import LabContainerError, TooBusy
from .models import PullProgress, _JsonRecord

#: Seconds a failed background pull stays listed, with its error.
FAILURE_KEPT = 60.0
#: Background pulls one server runs at once: each holds a thread (and the service's
#: connection) for as long as the registry takes to answer, or not answer.
MAX_BACKGROUND = 4
INTERNAL_ERROR = "labcontainer hit an unexpected error while pulling; the server log has the details."
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PullInFlight(_JsonRecord):
    """One pull, as its last progress step left it (rest_schema.json: Pull)."""

    image: str
    kernel_id: str | None  # the kernel waiting for this image, if a kernel start asked for it
    message: str  # the last step, e.g. "Downloading 5f6d9f26578c: 4.1 MB of 33.6 MB"
    downloaded: int = 0  # bytes so far, all layers
    total: int = 0  # bytes of the layers whose size Podman has reported
    fraction: float | None = None  # 0..1 of the bytes known so far (None: no byte counts yet)
    elapsed: float = 0.0  # seconds since the pull began
    error: dict[str, str] | None = None  # a failed background pull: {"kind", "message"}

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        if self.error is None:
            del data["error"]  # a running pull has no ``error`` field at all
        return data


@dataclass
class _Row:
    pull: PullInFlight
    began: float  # time.monotonic()
    background: bool = False
    failed_until: float | None = None  # a failed background pull: listed until then


class PullsInFlight:
    """The table. ``track()`` around a pull someone waits on, ``start()`` for one in the
    background; ``current()`` lists both, then the background pulls that failed lately."""

    def __init__(self, *, max_background: int = MAX_BACKGROUND, failure_kept: float = FAILURE_KEPT) -> None:
        self.max_background = max_background
        self.failure_kept = failure_kept
        self._lock = threading.Lock()
        self._rows: dict[int, _Row] = {}
        self._keys = itertools.count()
        self._job = threading.local()  # in a background pull's thread: its row's key

    @contextmanager
    def track(self, image: str, kernel_id: str | None = None) -> Iterator[Callable[[PullProgress], None]]:
        """A row for the pull in this block; the callback keeps it current; it goes at the end.
        In a background pull's own thread the row is the one :meth:`start` made."""
        job = getattr(self._job, "key", None)
        with self._lock:
            own = job is not None and job in self._rows and self._rows[job].pull.image == image and kernel_id is None
            key = job if own else next(self._keys)
            if not own:
                self._rows[key] = _Row(PullInFlight(image, kernel_id, f"Pulling {image}"), time.monotonic())

        def report(step: PullProgress) -> None:
            with self._lock:
                row = self._rows.get(key)
                if row is not None:
                    row.pull = PullInFlight(image, kernel_id, step.message, step.downloaded, step.total, step.fraction, step.elapsed)

        try:
            yield report
        finally:
            if not own:  # a background pull's row is ended by its thread, which knows how it went
                with self._lock:
                    self._rows.pop(key, None)

    def start(self, image: str, pull: Callable[[], object], *, log: logging.Logger | None = None) -> PullInFlight:
        """Run ``pull()`` (which pulls IMAGE, tracked) in a worker thread; its row now.

        A background pull of IMAGE already running is not started twice: its row is the
        answer. A new attempt replaces the image's failed row.

        Raises:
            TooBusy: :attr:`max_background` background pulls run already.
        """
        now = time.monotonic()
        with self._lock:
            self._forget_failures(now)
            for key, row in list(self._rows.items()):
                if row.background and row.pull.image == image:
                    if row.failed_until is None:
                        return row.pull
                    del self._rows[key]
            running = sum(1 for row in self._rows.values() if row.background and row.failed_until is None)
            if running >= self.max_background:
                raise TooBusy(
                    f"This server is already pulling {running} images in the background, its most at once, so "
                    f"'{image}' was not pulled.",
                    hint="Try again when one of them has finished (the pulls list shows them).",
                )
            key = next(self._keys)
            first = PullInFlight(image, None, f"Pulling {image}")
            self._rows[key] = _Row(first, now, background=True)
        threading.Thread(target=self._run, args=(key, pull, log or _log), name=f"labcontainer-pull {image}", daemon=True).start()
        return first  # not the row as it is by now: the thread may have ended it already

    def current(self) -> list[PullInFlight]:
        """The pulls running now, then the background pulls that failed lately, oldest first."""
        now = time.monotonic()
        with self._lock:
            self._forget_failures(now)
            rows = [self._rows[key] for key in sorted(self._rows)]
            running = [replace(r.pull, elapsed=now - r.began) for r in rows if r.failed_until is None]
            return running + [r.pull for r in rows if r.failed_until is not None]

    def _run(self, key: int, pull: Callable[[], object], log: logging.Logger) -> None:
        """In a background pull's thread: the pull, then its row goes (done) or stays (failed)."""
        error: dict[str, str] | None = None
        image = self._rows[key].pull.image
        self._job.key = key
        try:
            pull()
        except LabContainerError as exc:
            log.info("labcontainer: pull of %s failed: %s: %s (%s)", image, exc.kind, exc, exc.detail)
            error = {"kind": exc.kind, "message": str(exc)}
        except Exception:  # noqa: BLE001 - no request waits for this thread: the failure must be kept
            log.exception("labcontainer: pull of %s failed", image)
            error = {"kind": "InternalError", "message": INTERNAL_ERROR}
        finally:
            self._job.key = None
            now = time.monotonic()
            with self._lock:
                row = self._rows[key]
                if error is None:
                    del self._rows[key]
                else:
                    row.pull = replace(row.pull, message=f"Could not pull {image}", elapsed=now - row.began, error=error)
                    row.failed_until = now + self.failure_kept

    def _forget_failures(self, now: float) -> None:
        for key in [k for k, row in self._rows.items() if row.failed_until is not None and row.failed_until <= now]:
            del self._rows[key]
