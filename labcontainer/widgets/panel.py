"""ContainerPanel: buttons instead of typing, live in the notebook output.

A VBox with private children wired in ``__init__``; the logic lives in pure helpers
(model.py). Handlers never raise into the notebook: errors go to the status line. A
watcher thread refreshes on Podman events and falls back to polling; while Podman is
unreachable a banner says so, and the same panel recovers when it is back.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Callable

import ipywidgets as widgets

from ..core.errors import LabContainerError, ServiceUnavailable
from ..core.models import GpuView
from ..service import ContainerAction, LabService
from .model import LogBuffer, Row, gpu_bars, rows_from

FILTERS = {"labcontainer only": "labcontainer", "all of mine": "mine"}
POLL_SECONDS = 5.0


class ContainerPanel(widgets.VBox):
    def __init__(self, service: LabService, *, auto_refresh: bool = True, log_limit: int = 500) -> None:
        self._service = service
        self._closed = threading.Event()
        self._refresh_lock = threading.Lock()
        self._log_buffer = LogBuffer(log_limit)
        self._log_follower: threading.Thread | None = None
        self._log_stop = threading.Event()  # set: the current follower ends, even on a quiet log
        self.rows: list[Row] = []
        self.refresh_count = 0
        self.selected: str | None = None
        self._pending_removal: str | None = None
        self._row_cache: dict[str, tuple[Row, widgets.HBox]] = {}

        self._banner = widgets.HTML(layout=widgets.Layout(display="none"))
        self._status = widgets.HTML()
        self._filter = widgets.ToggleButtons(options=list(FILTERS), value="all of mine", description="Show")
        self._filter.observe(lambda _change: self._safely(self.refresh), names="value")
        self._refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self._refresh_button.on_click(lambda _b: self._safely(self.refresh))
        self._rows_box = widgets.VBox()
        self._confirm_box = widgets.HBox(layout=widgets.Layout(display="none"))
        self._gpu_box = widgets.VBox()
        self._log_title = widgets.HTML("<b>Logs</b>: click <i>Logs</i> on a row")
        self._log_view = widgets.Textarea(disabled=True, layout=widgets.Layout(width="100%", height="160px"))
        self._run_form = self._build_run_form()
        super().__init__(
            [
                widgets.HTML("<h3 style='margin:4px 0'>Containers</h3>"),
                self._banner,
                widgets.HBox([self._filter, self._refresh_button]),
                self._rows_box,
                self._confirm_box,
                self._status,
                widgets.HTML("<b>GPUs</b>"),
                self._gpu_box,
                widgets.HTML("<b>Run a container</b>"),
                self._run_form,
                self._log_title,
                self._log_view,
            ]
        )
        self._safely(self.refresh)
        self._safely(self.refresh_images)
        self._watcher: threading.Thread | None = None
        if auto_refresh:
            self._watcher = threading.Thread(target=self._watch, name="labcontainer-panel", daemon=True)
            self._watcher.start()

    # -- refreshing -------------------------------------------------------------------------

    @property
    def scope(self) -> str:
        return FILTERS[self._filter.value]

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
            self.rows = rows_from(containers)
            self._rows_box.children = [self._cached_row_widget(row) for row in self.rows] or [
                widgets.HTML("<i>No containers. Use the form below or <code>%container run -d IMAGE</code>.</i>")
            ]
            self._render_gpus(self._service.gpu_view([c for c in containers if c.running]))

    def refresh_images(self) -> None:
        try:
            names = [image.name for image in self._service.images()]
        except ServiceUnavailable as exc:
            self._show_banner(str(exc))
            return
        self._image.options = names
        if names and self._image.value not in names:
            self._image.value = names[0]

    def _show_banner(self, message: str) -> None:
        self._banner.value = (
            "<div style='background:#fde8e8;border:1px solid #e53e3e;padding:6px;border-radius:4px'>"
            f"<b>Podman is not reachable.</b> {html.escape(message)} The panel retries on its own.</div>"
        )
        self._banner.layout.display = "block"

    def _hide_banner(self) -> None:
        self._banner.layout.display = "none"

    def _watch(self) -> None:
        """Refresh on Podman events; poll while events are unavailable; retry when Podman is down."""
        while not self._closed.is_set():
            try:
                events = self._service.events()
                self._safely(self.refresh)
                for _event in events:
                    if self._closed.is_set():
                        return
                    self._safely(self.refresh)
            except LabContainerError:
                pass
            except Exception:  # a broken stream: fall back to polling
                pass
            self._safely(self.refresh)
            self._closed.wait(POLL_SECONDS)

    def close(self) -> None:
        self._closed.set()
        self._log_stop.set()
        super().close()

    # -- rows -------------------------------------------------------------------------------

    def _cached_row_widget(self, row: Row) -> widgets.HBox:
        """Reuse the widgets of a row that did not change: building ~10 widgets per row on
        every refresh made refreshes with hundreds of containers slow."""
        cached = self._row_cache.get(row.name)
        if cached is not None and cached[0] == row:
            return cached[1]
        if cached is not None:
            cached[1].close()
        box = self._row_widget(row)
        self._row_cache[row.name] = (row, box)
        return box

    def _row_widget(self, row: Row) -> widgets.HBox:
        cells = [
            widgets.HTML(f"<b>{html.escape(row.name)}</b>", layout=widgets.Layout(width="170px")),
            widgets.HTML(html.escape(row.image), layout=widgets.Layout(width="230px")),
            widgets.HTML(html.escape(row.status), layout=widgets.Layout(width="190px")),
            widgets.HTML(f"GPU {html.escape(row.gpus)}", layout=widgets.Layout(width="70px")),
            widgets.HTML(html.escape(row.ports), layout=widgets.Layout(width="150px")),
        ]
        buttons = [
            self._button("Start", "play", row.can_start, lambda: self._act("start", row.name)),
            self._button("Stop", "stop", row.can_stop, lambda: self._act("stop", row.name)),
            self._button("Restart", "repeat", row.can_restart, lambda: self._act("restart", row.name)),
            self._button("Remove", "trash", row.can_remove, lambda: self._ask_removal(row.name)),
            self._button("Logs", "file-text", True, lambda: self.show_logs(row.name)),
        ]
        box = widgets.HBox(cells + buttons)
        box.container_name = row.name
        box.buttons = {b.description: b for b in buttons}
        return box

    def _button(self, label: str, icon: str, enabled: bool, action: Callable[[], None]) -> widgets.Button:
        button = widgets.Button(description=label, icon=icon, disabled=not enabled, layout=widgets.Layout(width="90px"))
        button.on_click(lambda _b: self._safely(action))
        return button

    def row_buttons(self, name: str) -> dict[str, widgets.Button]:
        """The buttons of one container's row (for tests and scripting)."""
        for box in self._rows_box.children:
            if getattr(box, "container_name", None) == name:
                return box.buttons
        raise KeyError(name)

    def _act(self, action: ContainerAction, name: str) -> None:
        self._set_status(f"{action} {name}…")
        self._service.act(name, action)
        self._set_status(f"{action}: {name} done")
        self.refresh()

    def _ask_removal(self, name: str) -> None:
        self._pending_removal = name
        yes = widgets.Button(description=f"Yes, remove {name}", button_style="danger", layout=widgets.Layout(width="auto"))
        no = widgets.Button(description="Cancel")
        yes.on_click(lambda _b: self._safely(self._confirm_removal))
        no.on_click(lambda _b: self._safely(self._cancel_removal))
        self._confirm_box.children = [widgets.HTML(f"Remove container <b>{html.escape(name)}</b>? This cannot be undone. "), yes, no]
        self._confirm_box.layout.display = "flex"
        self.confirm_buttons = {"yes": yes, "no": no}

    def _confirm_removal(self) -> None:
        name, self._pending_removal = self._pending_removal, None
        self._confirm_box.layout.display = "none"
        if name:
            self._service.remove(name)
            self._set_status(f"removed {name}")
            self.refresh()

    def _cancel_removal(self) -> None:
        self._pending_removal = None
        self._confirm_box.layout.display = "none"
        self._set_status("removal cancelled")

    # -- logs ---------------------------------------------------------------------------------

    @property
    def log_text(self) -> str:
        return self._log_view.value

    @property
    def log_buffer(self) -> LogBuffer:
        return self._log_buffer

    def show_logs(self, name: str, *, follow: bool = True, tail: int | None = 200) -> threading.Thread:
        """Show the last lines of ``name`` (``tail=None``: read them all) and follow new ones
        in the background; only the buffer's last ``log_limit`` lines are kept. The previous
        follower is stopped first, so each click leaves one follower, not one more."""
        self._log_stop.set()
        self._log_stop = stop = threading.Event()
        self.selected = name
        self._log_buffer.clear()
        self._log_title.value = f"<b>Logs of {html.escape(name)}</b> (last {self._log_buffer.limit} lines kept)"

        def follow_logs() -> None:
            pending: list[str] = []
            last_flush = 0.0
            try:
                for line in self._service.logs(name, tail=tail, follow=follow, stop=stop):
                    if stop.is_set():
                        return
                    pending.append(line)
                    # Update the browser at most ~5 times a second, however chatty the container.
                    if time.monotonic() - last_flush > 0.2:
                        self._log_buffer.extend(pending)
                        pending.clear()
                        self._log_view.value = self._log_buffer.text()
                        last_flush = time.monotonic()
            except LabContainerError as exc:
                self._set_status(str(exc))
            if not stop.is_set():
                self._log_buffer.extend(pending)
                self._log_view.value = self._log_buffer.text()

        self._log_follower = threading.Thread(target=follow_logs, name="labcontainer-logs", daemon=True)
        self._log_follower.start()
        return self._log_follower

    # -- GPUs ----------------------------------------------------------------------------------

    def _render_gpus(self, view: GpuView) -> None:
        if not view.available:
            self._gpu_box.children = [widgets.HTML(f"<i>{html.escape(view.reason or 'No GPUs')}</i>")]
            self._gpu_choices.children = []
            return
        bars = gpu_bars(view)
        children = []
        for bar in bars:
            memory = widgets.FloatProgress(value=bar.memory_fraction, min=0, max=1, description="memory")
            utilization = widgets.FloatProgress(value=bar.utilization_fraction, min=0, max=1, description="util")
            children.append(widgets.HBox([widgets.HTML(f"<b>{html.escape(bar.label)}</b>", layout=widgets.Layout(width="220px")),
                                          memory, utilization, widgets.HTML(f"used by: {html.escape(bar.users)}")]))
        self._gpu_box.children = children
        checked = {c.description: c.value for c in self._gpu_choices.children}
        self._gpu_choices.children = [
            widgets.Checkbox(value=checked.get(label, False), description=label, indent=False, layout=widgets.Layout(width="auto"))
            for label in (f"GPU {b.index}{' (free)' if b.free else ''}" for b in bars)
        ]

    # -- run form ------------------------------------------------------------------------------

    def _build_run_form(self) -> widgets.VBox:
        self._image = widgets.Dropdown(description="image", options=[])
        self._name = widgets.Text(description="name", placeholder="optional")
        self._gpu_choices = widgets.HBox()
        self._volume = widgets.Text(description="volume", placeholder="/host/path:/container/path[:ro]")
        self._command = widgets.Text(description="command", placeholder="e.g. sleep infinity")
        self._detach = widgets.Checkbox(value=True, description="detached", indent=False)
        self._run_button = widgets.Button(description="Run", button_style="primary", icon="rocket")
        self._run_progress = widgets.FloatProgress(value=0, min=0, max=1, layout=widgets.Layout(display="none", width="200px"))
        self._run_button.on_click(lambda _b: self._safely(self.run_from_form))
        return widgets.VBox([widgets.HBox([self._image, self._name]), widgets.HBox([widgets.HTML("GPUs:"), self._gpu_choices]),
                             self._volume, self._command, widgets.HBox([self._detach, self._run_button, self._run_progress])])

    def set_form(self, *, image: str | None = None, name: str = "", gpus: tuple[int, ...] = (), volume: str = "", command: str = "") -> None:
        """Fill the Run form as a user would (used by tests and scripts)."""
        if image is not None:
            if image not in self._image.options:
                self._image.options = list(self._image.options) + [image]
            self._image.value = image
        self._name.value = name
        self._volume.value = volume
        self._command.value = command
        for box in self._gpu_choices.children:
            box.value = any(box.description.split()[1] == str(i) for i in gpus)

    def run_from_form(self) -> None:
        import shlex

        gpus = [box.description.split()[1] for box in self._gpu_choices.children if box.value]
        try:
            command = shlex.split(self._command.value)
        except ValueError as exc:
            self._set_status(f"Cannot read the command: {exc}")
            return
        spec = self._service.build_spec(
            self._image.value or "",
            command,
            name=self._name.value.strip() or None,
            volumes=[self._volume.value.strip()] if self._volume.value.strip() else [],
            gpus=",".join(gpus) if gpus else None,
        )
        self._run_progress.layout.display = "block"
        self._run_progress.bar_style = "info"
        self._run_progress.value = 0.3
        self._set_status(f"starting a container from {spec.image}…")
        try:
            info = self._service.run(spec)
        finally:
            self._run_progress.layout.display = "none"
        self._set_status(f"started {info.name}")
        self.refresh()
        if not self._detach.value:
            self.show_logs(info.name)

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
