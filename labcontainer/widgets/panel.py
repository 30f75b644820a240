"""ContainerPanel: buttons instead of typing, live in the notebook output.

A VBox with private children wired in ``__init__``; the logic lives in pure helpers
(model.py); tests and scripts reach its parts through public handles (handles.py):
``row(name).button("Stop")``, ``question``, ``run_form``, ``logs``, ``gpus_text``.
Handlers never raise into the notebook: errors go to the status line. Once displayed,
the panel follows Podman's events (follower.py: refreshes when something changed,
otherwise only a slow heartbeat) until it is closed; while Podman is unreachable a banner
says so, and the same panel recovers when it is back.
"""

from __future__ import annotations

import html
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..core.errors import LabContainerError, ServiceUnavailable
from ..core.models import ContainerInfo, GpuView
from ..service import ContainerAction, LabService
from .actions import RowActions
from .asking import AskBox
from .follower import (
    AGED,
    EVENT_CONTAINER,
    EVENT_IMAGE,
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    RECONNECTED,
    PanelFollower,
)
from .handles import Question, RowHandle, plain_text
from .layout import fit_layout, wrapping_row
from .logview import LogView
from .cells import gpu_rows, row_cells
from .model import Row, next_change_in, rows_from
from .runform import RunForm

FILTERS = {"labcontainer only": "labcontainer", "all of mine": "mine"}


class ContainerPanel(widgets.VBox):
    def __init__(self, service: LabService, *, auto_refresh: bool = True, log_limit: int = 500,
                 heartbeat: float = HEARTBEAT_SECONDS) -> None:
        """``auto_refresh``: follow Podman's events once displayed (False: only the Refresh
        button and the panel's own actions refresh); ``heartbeat``: seconds between
        refreshes while nothing happens."""
        self._service = service
        self._closed = threading.Event()
        self._refresh_lock = threading.RLock()
        self.rows: list[Row] = []
        self.refresh_count = 0
        #: Refreshes the follower made, by why ("event", "heartbeat", "reconnected", "unreachable").
        self.refresh_reasons: Counter[str] = Counter()
        self._pending_removal: str | None = None
        self._row_cache: dict[str, RowHandle] = {}
        self._containers: list[ContainerInfo] = []  # as the last refresh read them
        #: Stop, Restart, Remove: in the background, the row saying "stopping…" meanwhile.
        self._actions = RowActions(after=lambda: None if self._closed.is_set() else self._safely(self.refresh))

        self._banner = widgets.HTML(layout=widgets.Layout(display="none"))
        self._status = widgets.HTML()
        self._filter = widgets.ToggleButtons(options=list(FILTERS), value="all of mine", description="Show")
        self._filter.observe(lambda _change: self._safely(self.refresh), names="value")
        self._refresh_button = widgets.Button(description="Refresh", icon="refresh", layout=fit_layout())
        self._refresh_button.on_click(lambda _b: self._safely(self.refresh))
        self._rows_box = widgets.VBox()
        self._confirm_box = AskBox(self._safely)
        self._gpu_box = widgets.VBox()
        self._form = RunForm()
        self._form.run_button.on_click(lambda _b: self._safely(self.run_from_form))
        self._log = LogView(service, limit=log_limit, on_error=self._set_status)
        super().__init__(
            [
                widgets.HTML("<h3 style='margin:4px 0'>Containers</h3>"),
                self._banner,
                wrapping_row([self._filter, self._refresh_button]),
                self._rows_box,
                self._confirm_box,
                self._status,
                widgets.HTML("<b>GPUs</b>"),
                self._gpu_box,
                widgets.HTML("<b>Run a container</b>"),
                self._form,
                self._log,
            ]
        )
        self._safely(self.refresh)
        self._safely(self.refresh_images)
        self._follower = PanelFollower(service, self._on_change, heartbeat=heartbeat,
                                       age_in=lambda: next_change_in(self._containers)) if auto_refresh else None

    # -- following Podman's events ------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Shown in a notebook: start following (a panel nobody sees asks Podman nothing)."""
        self.follow()
        return super()._repr_mimebundle_(**kwargs)

    def follow(self) -> None:
        """Follow Podman's events until :meth:`close` (done when the panel is displayed)."""
        if self._follower is not None and not self._closed.is_set():
            self._follower.start()

    @property
    def follower_threads(self) -> list[threading.Thread]:
        """The follower's threads still alive (none before display and after close)."""
        return self._follower.threads if self._follower is not None else []

    def _on_change(self, reasons: set[str]) -> None:
        """The follower's callback: refresh what changed."""
        if self._closed.is_set():
            return
        if reasons == {AGED}:  # time alone changed a row's words: no need to ask Podman
            self._safely(self._draw_rows)
            return
        if reasons & {EVENT_CONTAINER, EVENT_IMAGE}:
            kind = "event"
        else:
            kind = HEARTBEAT if HEARTBEAT in reasons else min(reasons)
        if reasons - {EVENT_IMAGE}:  # a container, a reconnection, the heartbeat: rows and GPUs
            self._safely(self.refresh)
        if reasons & {EVENT_IMAGE, RECONNECTED, HEARTBEAT}:  # the Run form's image list
            self._safely(self.refresh_images)
        self.refresh_reasons[kind] += 1  # counted once done: what it shows is up to date

    # -- refreshing -------------------------------------------------------------------------

    @property
    def scope(self) -> str:
        return FILTERS[self._filter.value]

    @property
    def filter_toggle(self) -> widgets.ToggleButtons:
        """The "Show" toggle (labcontainer only / all of mine): setting its value refreshes."""
        return self._filter

    @property
    def refresh_button(self) -> widgets.Button:
        return self._refresh_button

    @property
    def banner(self) -> str:
        """The banner text ('' when Podman is reachable)."""
        return "" if self._banner.layout.display == "none" else self._banner.value

    @property
    def status(self) -> str:
        return self._status.value

    def refresh(self) -> None:
        """One list call; rebuild rows and the GPU strip. Raises nothing: problems go to the banner."""
        with self._refresh_lock:
            try:
                containers = self._service.containers(all=True, scope=self.scope)
            except ServiceUnavailable as exc:
                self._show_banner(str(exc))
                return
            self._hide_banner()
            self.refresh_count += 1
            self._containers = containers
            self._draw_rows()
            self._render_gpus(self._service.gpu_view([c for c in containers if c.running]))

    def _draw_rows(self) -> None:
        """Rows from the last list, their words aged to now and a running action's shown."""
        with self._refresh_lock:  # reentrant: refresh() holds it too
            rows = [self._actions.shown(row) for row in rows_from(self._containers)]
            self._rows_box.children = [self._cached_row(row).widget for row in rows] or [
                widgets.HTML("<i>No containers. Use the form below or <code>%container run -d IMAGE</code>.</i>")
            ]
            self.rows = rows  # after the widgets: whoever reads rows from another thread finds them drawn

    def refresh_images(self) -> None:
        try:
            names = [image.name for image in self._service.images.list()]
        except ServiceUnavailable as exc:
            self._show_banner(str(exc))
            return
        self._form.set_images(names)

    def _show_banner(self, message: str) -> None:
        self._banner.value = (
            "<div style='background:#fde8e8;border:1px solid #e53e3e;padding:6px;border-radius:4px'>"
            f"<b>Podman is not reachable.</b> {html.escape(message)} The panel retries on its own.</div>"
        )
        self._banner.layout.display = "block"

    def _hide_banner(self) -> None:
        self._banner.layout.display = "none"

    def close(self) -> None:
        """Close the panel: its follower and log threads end, and it asks Podman nothing more."""
        self._closed.set()
        if self._follower is not None:
            self._follower.stop()
        self._log.stop()
        super().close()

    # -- rows -------------------------------------------------------------------------------

    def _cached_row(self, row: Row) -> RowHandle:
        """Reuse the widgets of a row that did not change: building ~10 widgets per row on
        every refresh made refreshes with hundreds of containers slow."""
        cached = self._row_cache.get(row.name)
        if cached is not None and cached.record == row:
            return cached
        if cached is not None:
            cached.widget.close()
        self._row_cache[row.name] = handle = self._row_widget(row)
        return handle

    def _row_widget(self, row: Row) -> RowHandle:
        cells = row_cells(row)
        buttons = [
            self._button("Start", "play", row.can_start, lambda: self._act("start", row.name)),
            self._button("Stop", "stop", row.can_stop, lambda: self._act_on(row, "stop")),
            self._button("Restart", "repeat", row.can_restart, lambda: self._act_on(row, "restart")),
            self._button("Remove", "trash", row.can_remove, lambda: self._ask_removal(row.name)),
            self._button("Logs", "file-text", True, lambda: self.show_logs(row.name)),
        ]
        # The buttons go on as one group, to a next line when the notebook is narrow,
        # rather than being squeezed to "Res…" beside the fixed-width cells.
        return RowHandle(row, wrapping_row(cells + [wrapping_row(buttons)]), {b.description: b for b in buttons})

    def _button(self, label: str, icon: str, enabled: bool, action: Callable[[], None]) -> widgets.Button:
        button = widgets.Button(description=label, icon=icon, disabled=not enabled, layout=fit_layout())
        button.on_click(lambda _b: self._safely(action))
        return button

    def row(self, name: str) -> RowHandle:
        """One container's row as shown now (for tests and scripts):
        ``panel.row(name).button("Stop").click()``. KeyError when no row has that name."""
        if name not in {row.name for row in self.rows}:
            raise KeyError(f"no row for {name!r} (shown: {', '.join(row.name for row in self.rows) or 'none'})")
        return self._row_cache[name]

    def _act(self, action: ContainerAction, name: str) -> None:
        def work() -> None:
            self._service.act(name, action)
            self._set_status(f"{action}: {name} done")

        if action != "start":  # a stop may wait out its timeout: off the kernel's thread
            self._in_background(name, action, work)
            return
        self._set_status(f"{action} {name}…")
        work()
        self.refresh()

    def _in_background(self, name: str, action: str, work: Callable[[], None]) -> None:
        """Run a slow action off the kernel's thread; its row says so at once (actions.py)."""
        if self._actions.busy(name) is None:
            self._set_status(f"{action} {name}…")  # before the thread starts: it may end at once
        if self._actions.run(name, action, lambda: self._safely(work)) is None:
            self._set_status(f"{name}: wait for what it is doing now to end")
            return
        self._draw_rows()

    @property
    def action_threads(self) -> list[threading.Thread]:
        """Stop/Restart/Remove actions still running in the background."""
        return self._actions.threads

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
        self._pending_removal = name
        self._ask(f"Remove container <b>{html.escape(name)}</b>? This cannot be undone. ", f"Yes, remove {name}",
                  self._confirm_removal, cancelled="removal cancelled")

    def _ask(self, question: str, yes_label: str, action: Callable[[], None], *, cancelled: str) -> None:
        self._confirm_box.ask(question, yes_label, action, lambda: self._cancel(cancelled))

    @property
    def question(self) -> Question | None:
        """What the panel asks now (before a removal, or a kernel container's stop), with its
        Yes and Cancel buttons; None when it asks nothing."""
        return self._confirm_box.question

    def _confirm_removal(self) -> None:
        name, self._pending_removal = self._pending_removal, None
        if name:
            def work() -> None:
                self._service.remove(name)
                if self._log.name == name:  # its logs are gone with it: stop following, empty the box
                    self._log.clear()
                self._set_status(f"removed {name}")

            self._in_background(name, "remove", work)

    def _cancel(self, words: str) -> None:
        self._pending_removal = None
        self._set_status(words)

    # -- logs ---------------------------------------------------------------------------------

    @property
    def logs(self) -> LogView:
        """The Logs box: ``shown_text`` (what it shows), ``buffer`` (the lines kept), ``title``."""
        return self._log

    @property
    def selected(self) -> str | None:
        """The container whose logs are shown."""
        return self._log.name

    def show_logs(self, name: str, *, follow: bool = True, tail: int | None = 200) -> threading.Thread:
        """Show the last lines of ``name`` (``tail=None``: all) and follow new ones in the
        background (one follower at a time); returns the follower thread."""
        return self._log.show(name, follow=follow, tail=tail)

    # -- GPUs ----------------------------------------------------------------------------------

    @property
    def gpus_text(self) -> str:
        """What the GPU strip says: each GPU's name and users, or why there are none."""
        cells = [c for box in self._gpu_box.children for c in (box.children if isinstance(box, widgets.Box) else [box])]
        return plain_text(cell.value for cell in cells if isinstance(cell, widgets.HTML))

    def _render_gpus(self, view: GpuView) -> None:
        self._gpu_box.children, choices = gpu_rows(view)
        self._form.set_gpus(choices)

    # -- run form ------------------------------------------------------------------------------

    @property
    def run_form(self) -> RunForm:
        """The Run form: ``fill(...)``, its fields (``image``, ``gpu_choices``...) and ``run_button``."""
        return self._form

    def set_form(self, *, image: str | None = None, name: str = "", gpus: tuple[int, ...] = (), volumes: str = "",
                 env: str = "", command: str = "", detach: bool = True) -> None:
        """Fill the Run form as a user would (for tests and scripts); volumes and env one per line."""
        self._form.fill(image=image, name=name, gpus=gpus, volumes=volumes, env=env, command=command, detach=detach)

    def run_from_form(self) -> None:
        spec = self._form.spec(self._service)
        self._form.ensure_image(self._service, spec.image)  # a missing image: pulled, with a bar in the form
        self._form.busy(True)
        self._set_status(f"starting a container from {spec.image}…")
        held = self._service.gpu_check.note(spec.gpus)  # who holds its GPUs: said, not refused
        try:
            info = self._service.run(spec)
        finally:
            self._form.busy(False)
        self.refresh()
        if self._form.detach.value:
            self._set_status(" ".join(filter(None, [f"started {info.name}.", held])))
            return
        self._set_status(" ".join(filter(None, [f"started {info.name}; its output is in the Logs box below.", held])))
        self.show_logs(info.name, tail=None)
        self._await_exit(info.name)

    def _await_exit(self, name: str) -> threading.Thread:
        """Like an attached `podman run`: wait for the container to exit, then say how."""

        def wait() -> None:
            try:
                code = self._service.wait(name)
            except LabContainerError:
                return  # removed meanwhile, or Podman went away: the banner or the Remove says so
            if self._closed.is_set():
                return
            self._set_status(f"{name} exited with code {code}")
            self._log.mark_exited(name, code)
            self._safely(self.refresh)

        waiter = threading.Thread(target=wait, name="labcontainer-wait", daemon=True)
        waiter.start()
        return waiter

    # -- errors ----------------------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        self._status.value = html.escape(text)

    def _safely(self, action: Callable[[], None]) -> None:
        """Run a handler; its errors go to the status line, never into the notebook."""
        try:
            action()
        except LabContainerError as exc:
            self._set_status(str(exc))
            if isinstance(exc, ServiceUnavailable):
                self._show_banner(str(exc))
        except Exception as exc:  # a bug must not raise into the user's notebook either
            self._set_status(f"Unexpected error: {type(exc).__name__}: {exc}")

