"""The panel's *Server* dropdown: one entry per Podman connection, unreachable ones said so.

The servers are the user's own ``podman system connection``s (``Services``), the first one
shown the default as the podman CLI chooses it. The dropdown is shown only when there is
more than one. Whether each server answers is asked in the background, when the panel is
made and after each switch (an unreachable server may take its whole deadline to say so):
meanwhile the entries are the bare names, then an unreachable one reads
"gpu3 — unreachable since 12:03: why".
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable

import ipywidgets as widgets

from ..service import ConnectionState, LabService, Services, unknown_connection

_log = logging.getLogger(__name__)
THREAD_NAME = "labcontainer-panel-servers"
#: Longest entry (a reason is cut, with an ellipsis): the dropdown must fit the notebook.
LABEL_LIMIT = 90


def server_label(state: ConnectionState) -> str:
    """A dropdown entry: the server's name, and why not when it does not answer."""
    if state.reachable:
        return state.name
    text = f"{state.name} — {state.state}"
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


class ServerChoice:
    """Which server the panel shows (``name``, ``service``) and the dropdown that changes it.

    With ``servers`` None the panel shows one service it was given: no dropdown, no name."""

    def __init__(self, servers: Services[LabService] | None, chosen: str | None, on_choose: Callable[[str], None]) -> None:
        """``chosen``: the server shown first (None: the default); ``on_choose(name)``: the
        user picked another one.

        Raises:
            NotFoundError: ``chosen`` is not one of the user's connections (the known ones are named).
        """
        self._servers = servers
        self._on_choose = on_choose
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._quiet = False  # relabelling moves the value about: not the user's choice
        names = servers.names() if servers is not None else []
        self.name: str | None = None
        if servers is not None:
            self.name = servers.default if chosen is None else chosen
            servers.get(self.name)  # an unknown name is refused here, naming the known ones
        self.dropdown = widgets.Dropdown(
            description="Server", options=[(name, name) for name in names], value=self.name,
            # As wide as its longest entry, never wider than the notebook (a reason is long).
            layout=widgets.Layout(width="auto", max_width="100%", display="flex" if self.several else "none"),
        )
        self.dropdown.observe(self._chosen, names="value")

    @property
    def several(self) -> bool:
        return self._servers is not None and len(self._servers.names()) > 1

    @property
    def service(self) -> LabService:
        """The shown server's service (only with ``servers``)."""
        assert self._servers is not None
        return self._servers.get(self.name)

    def pick(self, name: str) -> LabService:
        """Make NAME the server shown (the dropdown says so); its service.

        Raises:
            NotFoundError: no such server (the known ones are named)."""
        if self._servers is None:
            raise unknown_connection(name, [])
        service = self._servers.get(name)
        self.name = name
        self.dropdown.value = name
        return service

    def title(self) -> str:
        """The panel's heading: which server it shows, when there are several."""
        where = f" on <b>{html.escape(self.name or '')}</b>" if self.several else ""
        return f"<h3 style='margin:4px 0'>Containers{where}</h3>"

    def unreachable(self, message: str) -> str:
        """The banner while the shown server does not answer: one paragraph, the error's own
        words on their own line."""
        who = f"The server {html.escape(self.name or '')} is not reachable." if self.several else "Podman is not reachable."
        then = "The panel retries on its own" + ("; choose another server meanwhile." if self.several else ".")
        return (
            "<div style='background:#fde8e8;border:1px solid #e53e3e;padding:6px;border-radius:4px'>"
            f"<b>{who}</b><br>{html.escape(message)}<br>{then}</div>"
        )

    def _chosen(self, change: dict) -> None:
        if not self._quiet and change["new"] is not None and change["new"] != self.name:
            self._on_choose(change["new"])

    # -- which servers answer -------------------------------------------------------------

    def check(self) -> None:
        """Ask every server whether it answers, in the background; the entries then say so."""
        if not self.several or self._closed.is_set():
            return
        # Not joined on close: it ends by itself, within the slowest server's deadline.
        threading.Thread(target=self._check, name=THREAD_NAME, daemon=True).start()

    def _check(self) -> None:
        assert self._servers is not None
        try:
            states = self._servers.states(LabService.info)
        except Exception:  # noqa: BLE001 - the entries stay bare names; the panel works on
            _log.exception("labcontainer panel: could not ask the servers whether they answer")
            return
        with self._lock:
            if self._closed.is_set():
                return
            self._quiet = True
            try:
                self.dropdown.options = [(server_label(state), state.name) for state in states]
                self.dropdown.value = self.name
            finally:
                self._quiet = False

    def close(self) -> None:
        """No entry changes from now on (a check under way ends unseen)."""
        with self._lock:
            self._closed.set()
