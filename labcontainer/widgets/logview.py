"""The panel's Logs box: one container's output, newest line last, kept in view.

ipywidgets cannot set a scroll position, and a Textarea keeps showing its first lines while
new ones arrive below. So the lines go into an HTML box laid out ``column-reverse``: the
browser then anchors its scroll position at the bottom (the newest line), and keeps the
user's place when they scroll up to read. Unticking *follow* freezes the box altogether
(new lines are still read into the bounded buffer and counted); ticking it shows them.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable

import ipywidgets as widgets

from ..core.errors import LabContainerError
from ..service import LabService
from .layout import fit_layout, wrapping_row
from .model import LogBuffer

NO_LOGS_TITLE = "<b>Logs</b>: click <i>Logs</i> on a row"
FLUSH_SECONDS = 0.2  # update the browser at most ~5 times a second, however chatty the container
_PRE_STYLE = "margin:0;white-space:pre-wrap;font-family:var(--jp-code-font-family);font-size:var(--jp-code-font-size)"


class LogView(widgets.VBox):
    def __init__(self, service: LabService, *, limit: int = 500, on_error: Callable[[str], None] = lambda _t: None) -> None:
        self._service = service
        self._on_error = on_error
        self.buffer = LogBuffer(limit)
        self.name: str | None = None
        self.shown_text = ""
        self.follower: threading.Thread | None = None
        # RLock: ticking *follow* from a handler that already holds it re-renders in place.
        self._lock = threading.RLock()
        self._stop = threading.Event()  # set: the current follower ends, even on a quiet log
        self._paused_at: int | None = None  # buffer.total when follow was unticked; None: following

        self.title = widgets.HTML(NO_LOGS_TITLE)
        self.follow_box = widgets.Checkbox(value=True, description="follow newest lines", indent=False, layout=fit_layout())
        self.follow_box.observe(self._on_follow, names="value")
        self.note = widgets.HTML()
        self.view = widgets.HTML(
            layout=widgets.Layout(
                display="flex", flex_flow="column-reverse", overflow="auto", width="100%", max_height="240px",
                border="1px solid var(--jp-border-color2, #ccc)", padding="0 4px",
            )
        )
        super().__init__([wrapping_row([self.title, self.follow_box, self.note], grid_gap="12px"), self.view])

    @property
    def following(self) -> bool:
        return self.follow_box.value

    def show(self, name: str, *, follow: bool = True, tail: int | None = 200) -> threading.Thread:
        """Show the last lines of ``name`` (``tail=None``: all) and follow new ones in the
        background. The previous follower is stopped first: each click leaves one follower."""
        with self._lock:
            self._stop.set()
            self._stop = stop = threading.Event()
            self.name = name
            self.buffer.clear()
            self.title.value = f"<b>Logs of {html.escape(name)}</b> (last {self.buffer.limit} lines kept)"
            self.follow_box.value = True  # a new Logs click shows the newest lines
            self._render()
        self.follower = threading.Thread(target=self._follow, args=(name, follow, tail, stop), name="labcontainer-logs", daemon=True)
        self.follower.start()
        return self.follower

    def clear(self, title: str = NO_LOGS_TITLE) -> None:
        """Stop following and empty the box (its container was removed)."""
        with self._lock:
            self._stop.set()
            self.name = None
            self.buffer.clear()
            self.title.value = title
            self.follow_box.value = True
            self._render()

    def stop(self) -> None:
        self._stop.set()

    def use(self, service: LabService) -> None:
        """Show logs from SERVICE from now on (another server): the box is emptied."""
        with self._lock:
            self.clear()
            self._service = service

    def mark_exited(self, name: str, code: int) -> None:
        """Say in the title that the container shown has exited, and how."""
        with self._lock:
            if self.name == name:
                self.title.value = f"<b>Logs of {html.escape(name)}</b>: exited with code {code}"

    def _follow(self, name: str, follow: bool, tail: int | None, stop: threading.Event) -> None:
        pending: list[str] = []
        last_flush = 0.0
        try:
            for line in self._service.logs(name, tail=tail, follow=follow, stop=stop):
                if stop.is_set():
                    return
                pending.append(line)
                if time.monotonic() - last_flush > FLUSH_SECONDS:
                    self._append(pending, stop)
                    pending = []
                    last_flush = time.monotonic()
        except LabContainerError as exc:
            if not stop.is_set():
                self._on_error(str(exc))
        self._append(pending, stop)

    def _append(self, lines: list[str], stop: threading.Event) -> None:
        # Under the lock, so a follower that was just stopped (Remove, a new Logs click)
        # cannot write its old lines over the cleared box.
        with self._lock:
            if stop.is_set():
                return
            self.buffer.extend(lines)
            self._render()

    def _on_follow(self, change: dict) -> None:
        # The paused state changes here, under the lock, and not when the checkbox's value
        # does: a follower rendering in between must not count from a stale point.
        with self._lock:
            self._paused_at = None if change["new"] else self.buffer.total
            self._render()

    def _render(self) -> None:
        with self._lock:
            if self._paused_at is not None:
                new = self.buffer.total - self._paused_at
                self.note.value = f"<i>paused: {new} new line{'' if new == 1 else 's'}; tick <b>follow</b> to see them</i>"
                return
            self.note.value = ""
            self.shown_text = self.buffer.text()
            self.view.value = f"<pre style='{_PRE_STYLE}'>{html.escape(self.shown_text)}</pre>" if self.shown_text else ""
