"""The ipywidgets panel's follower of Podman's events: refresh when something changed, not on a clock.

The panel lives in the kernel process, far from the server's event hub, so each displayed
panel follows ``LabService.events()`` itself (the stream the server's follower reads). Two
threads per panel, both ended by :meth:`PanelFollower.stop` (the panel's ``close``):

- the *reader* blocks in Podman's event stream and only notes what kind of thing changed
  (a blocking read cannot also keep time);
- the *refresher* waits for such a note, gathers a burst (a ``podman stop`` alone is three or
  four events) into one refresh, and otherwise refreshes only every :data:`HEARTBEAT_SECONDS`
  (GPU use changes without any Podman event). Between those it wakes when a row's words
  would change with time alone ("Up less than a second" becomes "Up less than a minute"):
  ``age_in()`` says when, and the callback gets :data:`AGED` (the rows are re-aged from
  what the last refresh read, without asking Podman).

While Podman is unreachable the reader retries with a backoff of at most :data:`MAX_BACKOFF`
seconds, and each attempt is a refresh too, so the panel's banner comes and goes with Podman.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..core.errors import LabContainerError
from ..service import EventStream, LabService

#: Name prefix of the follower's threads (tests look for it to prove none is left).
THREAD_PREFIX = "labcontainer-panel"
#: Seconds between refreshes while nothing happens (a slow heartbeat, not a poll).
HEARTBEAT_SECONDS = 60.0
#: The shortest wait for a row's words to age (their changes are a second apart at best).
MIN_AGE_SECONDS = 0.5
#: Seconds to gather a burst of events into one refresh.
COALESCE_SECONDS = 0.1
#: Reconnection delays (seconds): the first retry is quick (a restart), then up to this.
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 5.0

_log = logging.getLogger(__name__)

#: Why a refresh happens (the callback gets a set of these).
EVENT_CONTAINER = "container"  # a container changed (Podman's event)
EVENT_IMAGE = "image"  # an image changed (Podman's event)
RECONNECTED = "reconnected"  # the stream (re)opened: changes meanwhile were not announced
UNREACHABLE = "unreachable"  # Podman does not answer (the refresh shows the banner)
HEARTBEAT = "heartbeat"  # nothing happened for a while
AGED = "aged"  # time alone changed what a row says (no Podman call needed)


class PanelFollower:
    """Calls ``on_change(reasons)`` from its refresher thread when the panel should refresh."""

    def __init__(self, service: LabService, on_change: Callable[[set[str]], None], *, heartbeat: float = HEARTBEAT_SECONDS,
                 age_in: Callable[[], float | None] = lambda: None) -> None:
        """``age_in()``: seconds until the panel's words change with time alone (None: never)."""
        self._service = service
        self._on_change = on_change
        self._heartbeat = heartbeat
        self._age_in = age_in
        self._wake = threading.Condition()
        self._pending: set[str] = set()
        self._stopping = threading.Event()
        self._stream: EventStream | None = None
        self._threads: list[threading.Thread] = []

    @property
    def threads(self) -> list[threading.Thread]:
        """The follower's threads still alive."""
        return [t for t in self._threads if t.is_alive()]

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stopping.is_set()

    def start(self) -> None:
        """Start following (once: a second call does nothing)."""
        if self._threads:
            return
        self._threads = [
            threading.Thread(target=self._read, name=f"{THREAD_PREFIX}-events", daemon=True),
            threading.Thread(target=self._refresh, name=f"{THREAD_PREFIX}-refresh", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """End both threads soon (wakes the reader from its blocked read); safe to call twice."""
        self._stopping.set()
        with self._wake:
            stream = self._stream
            self._wake.notify_all()
        if stream is not None:
            stream.close()

    # -- the reader ------------------------------------------------------------------------

    def _read(self) -> None:
        delay = FIRST_BACKOFF
        while not self._stopping.is_set():
            try:
                stream = self._service.events(types=(EVENT_CONTAINER, EVENT_IMAGE))
            except LabContainerError:
                self._note(UNREACHABLE)
            else:
                with self._wake:
                    # stop() reads _stream under this lock after setting the event: either it
                    # closes this stream, or this thread sees the event here.
                    if self._stopping.is_set():
                        stream.close()
                        return
                    self._stream = stream
                self._note(RECONNECTED)
                delay = FIRST_BACKOFF
                try:
                    for event in stream:
                        if self._stopping.is_set():
                            return
                        self._note(EVENT_IMAGE if event.get("Type") == "image" else EVENT_CONTAINER)
                except Exception as exc:  # noqa: BLE001 - a broken stream is a lost Podman, never a dead follower
                    _log.debug("labcontainer panel: lost Podman's events: %s", exc)
                finally:
                    with self._wake:
                        self._stream = None
                    stream.close()
                self._note(UNREACHABLE)
            self._stopping.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def _note(self, reason: str) -> None:
        with self._wake:
            self._pending.add(reason)
            self._wake.notify_all()

    # -- the refresher ---------------------------------------------------------------------

    def _refresh(self) -> None:
        beat_at = time.monotonic() + self._heartbeat
        while not self._stopping.is_set():
            with self._wake:
                if not self._pending:
                    wait = beat_at - time.monotonic()
                    try:
                        age = self._age_in()
                    except Exception:  # noqa: BLE001 - aging is a nicety, never a dead follower
                        age = None
                    self._wake.wait(max(0.0, wait if age is None else min(wait, max(age, MIN_AGE_SECONDS))))
                if self._stopping.is_set():
                    return
                burst = bool(self._pending)
            if burst:
                self._stopping.wait(COALESCE_SECONDS)  # let the rest of the burst arrive
            with self._wake:
                if self._pending or time.monotonic() >= beat_at:
                    reasons, self._pending = self._pending or {HEARTBEAT}, set()
                    beat_at = time.monotonic() + self._heartbeat
                else:
                    reasons = {AGED}
            if self._stopping.is_set():
                return
            try:
                self._on_change(reasons)
            except Exception:  # noqa: BLE001 - the panel reports its own errors; the follower goes on
                _log.exception("labcontainer panel: a refresh failed")
