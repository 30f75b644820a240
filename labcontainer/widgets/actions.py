"""The panel's slow row actions (Stop, Restart, Remove) off the notebook kernel's thread.

A stop waits for the container to exit, up to its stop timeout (10 s by default) when it
ignores SIGTERM. Run on the kernel's thread, as a button's callback is, that made the whole
notebook Busy with no hint. Here each action runs in a thread of its own while its row says
what is happening ("stopping…"); when it ends the panel refreshes, and an error goes to the
panel's message line, as every handler's does. RowButtons says what each button does.
"""

from __future__ import annotations

import dataclasses
import html
import threading
from collections.abc import Callable

from ..service import ContainerAction, LabService
from .asking import AskBox
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


class RowButtons:
    """What a row's Start, Stop, Restart and Remove do, and the question asked before a
    removal or a kernel container's stop (an AskBox the panel shows).

    Each action goes to the service shown when the button was clicked (``service()``), even
    if the panel shows another server by the time it runs."""

    def __init__(self, service: Callable[[], LabService], *, say: Callable[[str], None],
                 safely: Callable[[Callable[[], None]], None], refresh: Callable[[], None], redraw: Callable[[], None],
                 removed: Callable[[str], None], after: Callable[[], None]) -> None:
        """``say``: the status line; ``safely(action)``: run a handler, its errors to the status
        line; ``refresh``/``redraw``: list again / redraw the rows; ``removed(name)``: a removal
        succeeded; ``after()``: a background action ended."""
        self._service, self._say, self._safely = service, say, safely
        self._refresh, self._redraw, self._removed = refresh, redraw, removed
        self.running = RowActions(after=after)
        self.ask_box = AskBox(safely)

    def press(self, label: str, row: Row) -> None:
        """Start, Stop, Restart or Remove on ROW."""
        if label == "Start":
            self._act("start", row.name)
        elif label == "Remove":
            self._ask_removal(row.name)
        else:
            self._act_on(row, "stop" if label == "Stop" else "restart")

    def forget_question(self) -> None:
        """Ask nothing (the row asked about is no longer shown)."""
        self.ask_box.layout.display = "none"

    def _act(self, action: ContainerAction, name: str) -> None:
        service = self._service()

        def work() -> None:
            service.act(name, action)
            self._say(f"{action}: {name} done")

        if action != "start":  # a stop may wait out its timeout: off the kernel's thread
            self._in_background(name, action, work)
            return
        self._say(f"{action} {name}…")
        work()
        self._refresh()

    def _in_background(self, name: str, action: str, work: Callable[[], None]) -> None:
        """Run a slow action off the kernel's thread; its row says so at once."""
        if self.running.busy(name) is None:
            self._say(f"{action} {name}…")  # before the thread starts: it may end at once
        if self.running.run(name, action, lambda: self._safely(work)) is None:
            self._say(f"{name}: wait for what it is doing now to end")
            return
        self._redraw()

    def _act_on(self, row: Row, action: ContainerAction) -> None:
        """Stop/Restart; a container kernel's container only after asking: its notebook loses
        its variables (the kernel then restarts in a fresh container by itself)."""
        if not row.kernel:
            self._act(action, row.name)
            return
        question = (f"<b>{html.escape(row.name)}</b> runs {html.escape(row.kernel)}. {action.capitalize()} it? "
                    "The kernel restarts in a fresh container and its variables are lost. ")
        self._ask(question, f"Yes, {action} it", lambda: self._act(action, row.name), cancelled=f"{action} cancelled")

    def _ask_removal(self, name: str) -> None:
        service = self._service()

        def work() -> None:
            service.remove(name)
            self._removed(name)
            self._say(f"removed {name}")

        self._ask(f"Remove container <b>{html.escape(name)}</b>? This cannot be undone. ", f"Yes, remove {name}",
                  lambda: self._in_background(name, "remove", work), cancelled="removal cancelled")

    def _ask(self, question: str, yes_label: str, action: Callable[[], None], *, cancelled: str) -> None:
        self.ask_box.ask(question, yes_label, action, lambda: self._say(cancelled))
