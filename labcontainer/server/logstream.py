"""Following a container's log for a streaming REST answer (``GET .../logs?follow=1``).

The service's follower is blocking (repeated reads, see ``engine/streams.py``), so it runs in a
thread of its own per request; the event loop only writes what the thread collected. The
thread ends when the log ends (the container stopped) or when :meth:`LogFollower.stop` is
called — the handler calls it when the client goes away, so a closed browser tab never leaves
a thread polling Podman for the life of the container. At most :data:`MAX_FOLLOWERS` run at
once in one server: one more is refused (:class:`~labcontainer.core.errors.TooBusy`, 429)
before its stream opens.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from ..core.errors import TooBusy
from ..service import LabService

#: Name prefix of the follower threads (tests look for them to prove none is left).
THREAD_PREFIX = "labcontainer-logs-follow"
#: Seconds of silence after which an empty batch is given, for a keep-alive write: it keeps
#: proxies from closing a quiet stream and finds a vanished client that sent no FIN.
KEEPALIVE = 15.0
#: Lines the thread may collect before the writer takes them; a slow client then slows the
#: reading instead of growing the server's memory.
MAX_PENDING = 10_000
#: Followers (threads) one server runs at once; a request for one more answers 429.
MAX_FOLLOWERS = 32


class _Slots:
    """How many follower threads run now, against MAX_FOLLOWERS (read at each take)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0

    def take(self) -> None:
        with self._lock:
            if self.taken >= MAX_FOLLOWERS:
                raise TooBusy(
                    f"This server is already following {self.taken} container logs, its most at once, so this "
                    "log is not followed.",
                    hint="Close a Logs tab you no longer watch, or ask for the last lines without follow.",
                )
            self.taken += 1

    def give_back(self) -> None:
        with self._lock:
            self.taken -= 1


_slots = _Slots()


class LogFollower:
    """One follower thread for one request; :meth:`batches` gives its lines on the event loop.

    Raises:
        TooBusy: MAX_FOLLOWERS followers run already (nothing is started).
    """

    def __init__(self, service: LabService, name: str, *, tail: int) -> None:
        self._service = service
        self._name = name
        self._tail = tail
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()  # set (from the thread) when lines, an error or the end wait
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._lines: list[str] = []
        self._done = False
        self._error: Exception | None = None
        _slots.take()  # TooBusy before anything started
        self.thread = threading.Thread(target=self._run, name=f"{THREAD_PREFIX}:{name}", daemon=True)
        try:
            self.thread.start()
        except BaseException:
            _slots.give_back()
            raise

    def stop(self) -> None:
        """End the follower soon (it sleeps on this event between reads); safe to call twice."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()

    async def batches(self) -> AsyncIterator[list[str]]:
        """The lines as they come, in batches; an empty batch after KEEPALIVE seconds of
        silence. Ends when the log ends or the follower is stopped; raises the follower's
        error (e.g. ContainerNotFound: the container was removed) after the lines before it."""
        while True:
            try:
                await asyncio.wait_for(self._ready.wait(), KEEPALIVE)
            except asyncio.TimeoutError:
                yield []
                continue
            self._ready.clear()
            with self._lock:
                lines, self._lines = self._lines, []
                done, error = self._done, self._error
                self._lock.notify_all()  # room again for a thread waiting on MAX_PENDING
            if lines:
                yield lines
            if done:
                if error is not None:
                    raise error
                return

    def _run(self) -> None:
        try:
            for line in self._service.logs(self._name, tail=self._tail, follow=True, stop=self._stop):
                with self._lock:
                    while len(self._lines) >= MAX_PENDING and not self._stop.is_set():
                        self._lock.wait(0.5)
                    if self._stop.is_set():
                        return
                    self._lines.append(line)
                    first = len(self._lines) == 1
                if first:  # one wake-up per batch, not per line
                    self._wake()
        except Exception as exc:  # noqa: BLE001  (handed to the event loop, which reports it)
            self._error = exc
        finally:
            _slots.give_back()
            with self._lock:
                self._done = True
            self._wake()

    def _wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:
            pass  # the event loop is closed (server shutting down): nobody is reading any more
