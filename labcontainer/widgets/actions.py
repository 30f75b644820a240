"""The panel's slow row actions (Stop, Restart, Remove) off the notebook kernel's thread.

A stop waits for the container to exit, up to its stop timeout (10 s by default) when it
ignores SIGTERM. Run on the kernel's thread, as a button's callback is, that made the whole
notebook Busy with no hint. Here each action runs in a thread of its own while its row says
what is happening ("stopping…"); when it ends the panel refreshes, and an error goes to the
panel's message line, as every handler's does.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from .model import Row

#: What a row says while its action runs.
BUSY_WORDS = {"stop": "stopping…", "restart": "restarting…", "remove": "removing…"}
THREAD_PREFIX = "labcontainer-action"


class RowActions:
    """Actions running now, one per container at most, by container name."""

    def __init__(self, after: Callable[[], None]) -> None:
        """``after()``: called in the action's thread once it ended, however it ended."""
        self._after = after
        self._lock = threading.Lock()
        self._busy: dict[str, str] = {}
        self._threads: list[threading.Thread] = []

    def busy(self, name: str) -> str | None:
        """What NAME's row says while an action runs on it, else None."""
        with self._lock:
            return self._busy.get(name)

    def shown(self, row: Row) -> Row:
        """ROW as drawn now: while an action runs on it, saying so, with no buttons to press."""
        busy = self.busy(row.name)
        if busy is None:
            return row
        return dataclasses.replace(row, status=busy, can_start=False, can_stop=False, can_restart=False, can_remove=False)

    @property
    def threads(self) -> list[threading.Thread]:
        """Action threads still running (tests wait on them; close() does not)."""
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            return list(self._threads)

    def run(self, name: str, action: str, work: Callable[[], None]) -> threading.Thread | None:
        """Run ``work`` in the background, NAME's row saying ``BUSY_WORDS[action]`` meanwhile;
        None (nothing started) while another action runs on NAME."""
        with self._lock:
            if name in self._busy:
                return None
            self._busy[name] = BUSY_WORDS.get(action, f"{action}…")

        def body() -> None:
            try:
                work()
            finally:
                with self._lock:
                    self._busy.pop(name, None)
                self._after()

        thread = threading.Thread(target=body, name=f"{THREAD_PREFIX}-{action}", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return thread
