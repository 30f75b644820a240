"""ContainerPanel: buttons instead of typing, live in the notebook output.

A VBox with private children wired in ``__init__``; the logic lives in pure helpers
(model.py); tests and scripts reach its parts through public handles (handles.py):
``row(name).button("Stop")``, ``question``, ``run_form``, ``logs``, ``gpus_text``.
Handlers never raise into the notebook: errors go to the status line. Once displayed,
the panel follows Podman's events (follower.py: refreshes when something changed,
otherwise only a slow heartbeat) until it is closed; while Podman is unreachable a banner
says so, and the same panel recovers when it is back. Given the user's servers (their
``podman system connection``s), a *Server* dropdown (servers.py) switches every table,
action and the followed events to the chosen server's service (``show_server``).
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
from ..service import LabService, Services
from .actions import RowButtons
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
from .cells import gpu_rows
from .model import Row, next_change_in, rows_from
from .rows import RowsBox
from .runform import RunForm
from .servers import ServerChoice

FILTERS = {"labcontainer only": "labcontainer", "all of mine": "mine"}


class ContainerPanel(widgets.VBox):
    def __init__(self, service: LabService | None = None, *, servers: Services[LabService] | None = None,
                 server: str | None = None, auto_refresh: bool = True, log_limit: int = 500,
                 heartbeat: float = HEARTBEAT_SECONDS) -> None:
        """The panel of ``service``, or of ``servers`` (every connection; a Server dropdown when
        there are several), showing ``server`` first (None: their default, as the podman CLI
        chooses). ``auto_refresh``: follow Podman's events once displayed (False: only the
        Refresh button and the panel's own actions refresh); ``heartbeat``: seconds between
        refreshes while nothing happens.

        Raises:
            NotFoundError: ``server`` is not one of ``servers`` (the known ones are named)."""
        if (service is None) == (servers is None):
            raise TypeError("ContainerPanel shows a service or servers: give one of them")
        self._choice = ServerChoice(servers, server, lambda name: self._safely(lambda: self.show_server(name)))
        self._service = service or self._choice.service
        self._closed = threading.Event()
        self._refresh_lock = threading.RLock()
        self.refresh_count = 0
        #: Refreshes the follower made, by why ("event", "heartbeat", "reconnected", "unreachable").
        self.refresh_reasons: Counter[str] = Counter()
        self._auto_refresh, self._heartbeat, self._following = auto_refresh, heartbeat, False
        self._containers: list[ContainerInfo] = []  # as the last refresh read them
        #: Start, Stop, Restart, Remove: in the background, the row saying "stopping…" meanwhile.
        self._buttons = RowButtons(lambda: self._service, say=self._set_status, safely=self._safely, refresh=self.refresh,
                                   redraw=self._draw_rows, removed=self._forget_logs_of,
                                   after=lambda: None if self._closed.is_set() else self._safely(self.refresh))

        self._banner = widgets.HTML(layout=widgets.Layout(display="none"))
        self._status = widgets.HTML()
        self._filter = widgets.ToggleButtons(options=list(FILTERS), value="all of mine", description="Show")
        self._filter.observe(lambda _change: self._safely(self.refresh), names="value")
        self._refresh_button = widgets.Button(description="Refresh", icon="refresh", layout=fit_layout())
        self._refresh_button.on_click(lambda _b: self._safely(self.refresh))
        self._title = widgets.HTML(self._choice.title())
        self._rows_box = RowsBox(lambda label, row: self._safely(lambda: self._press(label, row)))
        self._gpu_box = widgets.VBox()
        self._form = RunForm()
        self._form.run_button.on_click(lambda _b: self._safely(self.run_from_form))
        self._log = LogView(self._service, limit=log_limit, on_error=self._set_status)
        super().__init__(
            [
                self._title,
                self._banner,
                wrapping_row([self._choice.dropdown, self._filter, self._refresh_button]),
                self._rows_box,
                self._buttons.ask_box,
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
        self._follower = self._new_follower()
        self._choice.check()

    def _new_follower(self) -> PanelFollower | None:
        """A follower of the shown server's events (None: the panel does not follow events)."""
        if not self._auto_refresh:
            return None
        return PanelFollower(self._service, self._on_change, heartbeat=self._heartbeat,
                             age_in=lambda: next_change_in(self._containers))

    # -- following Podman's events ------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Shown in a notebook: start following (a panel nobody sees asks Podman nothing)."""
        self.follow()
        return super()._repr_mimebundle_(**kwargs)

    def follow(self) -> None:
        """Follow Podman's events until :meth:`close` (done when the panel is displayed)."""
        self._following = True
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
            self._rows_box.draw([self._buttons.running.shown(row) for row in rows_from(self._containers)])

    @property
    def rows(self) -> list[Row]:
        """The rows as drawn now."""
        return self._rows_box.rows

    def refresh_images(self) -> None:
        try:
            names = [image.name for image in self._service.images.list()]
        except ServiceUnavailable as exc:
            self._show_banner(str(exc))
            return
        self._form.set_images(names)

    def _show_banner(self, message: str) -> None:
        self._banner.value = self._choice.unreachable(message)
        self._banner.layout.display = "block"

    def _hide_banner(self) -> None:
        self._banner.layout.display = "none"

    def close(self) -> None:
        """Close the panel: its follower and log threads end, and it asks Podman nothing more."""
        if "_log" not in self.__dict__:  # __init__ refused its arguments (ipywidgets' __del__ calls this): nothing started
            return
        self._closed.set()
        self._choice.close()
        if self._follower is not None:
            self._follower.stop()
        self._log.stop()
        super().close()

    # -- servers ------------------------------------------------------------------------------

    @property
    def server(self) -> str | None:
        """The server shown (its connection name; None: the panel was given one service)."""
        return self._choice.name

    @property
    def server_picker(self) -> widgets.Dropdown:
        """The *Server* dropdown (shown when there are several): setting its value switches."""
        return self._choice.dropdown

    @property
    def title(self) -> str:
        """The panel's heading as read: "Containers", or "Containers on gpu2" with several servers."""
        return plain_text([self._title.value])

    def show_server(self, name: str) -> None:
        """Show server NAME: its containers, images and GPUs; actions, logs and the followed
        events go to its service. Nothing of the previous server's stays on screen."""
        if self._closed.is_set():
            return
        with self._refresh_lock:
            self._service = self._choice.pick(name)
            self._containers = []
            self._rows_box.clear()
            self._gpu_box.children = []
            self._form.set_images([])
            self._buttons.forget_question()  # it was about the other server's container
            self._log.use(self._service)
            self._hide_banner()
            self._title.value = self._choice.title()
            self._set_status("")
            old, self._follower = self._follower, self._new_follower()
        if old is not None:
            old.stop()
        if self._following:
            self.follow()
        self.refresh()
        self._safely(self.refresh_images)
        self._choice.check()

    # -- rows -------------------------------------------------------------------------------

    def _press(self, label: str, row: Row) -> None:
        """A row's button (rows.py draws them; actions.py says what they do)."""
        if label == "Logs":
            self.show_logs(row.name)
        else:
            self._buttons.press(label, row)

    def row(self, name: str) -> RowHandle:
        """One container's row as shown now (for tests and scripts):
        ``panel.row(name).button("Stop").click()``. KeyError when no row has that name."""
        return self._rows_box.row(name)

    @property
    def action_threads(self) -> list[threading.Thread]:
        """Stop/Restart/Remove actions still running in the background."""
        return self._buttons.running.threads

    @property
    def question(self) -> Question | None:
        """What the panel asks now (before a removal, or a kernel container's stop), with its
        Yes and Cancel buttons; None when it asks nothing."""
        return self._buttons.ask_box.question

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

    def _forget_logs_of(self, name: str) -> None:
        """NAME was removed: its logs are gone with it (stop following, empty the box)."""
        if self._log.name == name:
            self._log.clear()

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
        service = self._service  # the server shown when Run was clicked
        spec = self._form.spec(service)
        self._form.ensure_image(service, spec.image)  # a missing image: pulled, with a bar in the form
        self._form.busy(True)
        self._set_status(f"starting a container from {spec.image}…")
        held = service.gpu_check.note(spec.gpus)  # who holds its GPUs: said, not refused
        try:
            info = service.run(spec)
        finally:
            self._form.busy(False)
        self.refresh()
        if self._form.detach.value:
            self._set_status(" ".join(filter(None, [f"started {info.name}.", held])))
            return
        self._set_status(" ".join(filter(None, [f"started {info.name}; its output is in the Logs box below.", held])))
        self.show_logs(info.name, tail=None)
        self._await_exit(service, info.name)

    def _await_exit(self, service: LabService, name: str) -> threading.Thread:
        """Like an attached `podman run`: wait for the container to exit, then say how."""

        def wait() -> None:
            try:
                code = service.wait(name)
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

