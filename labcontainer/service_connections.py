"""Services by connection: this machine's Podman and one service per connection the user has
added with ``podman system connection add``, the default chosen as the podman CLI chooses.

"Which server" is a choice of service, made in one place: the server app holds
``connections`` (a dict built here) and its handlers pick one by ``?connection=NAME``; the
magics pick one by ``-c NAME``. Nothing connects here: a service connects on its first verb,
so an unreachable server never slows a start; :meth:`Services.state` asks each one when
someone wants to know.

It builds services through the ``build`` it is given (``service.open_service``), so it does
not import the service module (which re-exports it for the front-ends).
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from .core.connection import LOCAL, Connection
from .core.connections import PodmanConnections, choose_connection, read_podman_connections
from .core.errors import LabContainerError, NotFoundError

S = TypeVar("S")


@dataclass(frozen=True)
class ConnectionState:
    """One server as ``GET connections`` and ``%container system connection ls`` show it."""

    name: str
    uri: str
    default: bool
    state: str  # "reachable" or "unreachable since HH:MM: why"

    @property
    def reachable(self) -> bool:
        return self.state == "reachable"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "uri": self.uri, "default": self.default, "state": self.state}


class Services(Generic[S]):
    """The services by connection name (``by_name``: local first, then the user's connections
    in podman's order) and the default's name (``default``).

    The default, as the podman CLI: ``explicit`` (a URL or a connection name), then
    ``CONTAINER_HOST``, ``CONTAINER_CONNECTION``, the default connection, the local socket.
    ``local`` is this machine's service (built by the caller: its own settings)."""

    def __init__(self, build: Callable[[Connection], S], local: S, *, local_url: str | None = None, explicit: str | None = None,
                 environ: Mapping[str, str] | None = None, known: PodmanConnections | None = None) -> None:
        self._build = build
        self.known = read_podman_connections(environ) if known is None else known
        self.by_name: dict[str, S] = {LOCAL: local}
        self.uris: dict[str, str] = {LOCAL: local_url or "(this machine's Podman)"}
        for name, connection in self.known.connections.items():
            if name != LOCAL:
                self.by_name[name] = build(connection)
                self.uris[name] = connection.url or ""
        chosen = choose_connection(explicit, environ, known=self.known)
        if chosen.is_ssh and chosen.name not in self.by_name:  # CONTAINER_HOST=ssh://... or an ssh:// URL given
            self.by_name[chosen.name] = build(chosen)
            self.uris[chosen.name] = chosen.url or ""
        self.default = chosen.name if chosen.name in self.by_name else LOCAL
        self._down: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = False
        atexit.register(self.close)  # a kernel that exits leaves no ssh master behind

    def refresh(self, environ: Mapping[str, str] | None = None) -> None:
        """Read podman's files again: connections added since are added here (none removed)."""
        self.known = read_podman_connections(environ)
        for name, connection in self.known.connections.items():
            if name not in self.by_name:
                self.by_name[name] = self._build(connection)
                self.uris[name] = connection.url or ""

    def names(self) -> list[str]:
        return list(self.by_name)

    def get(self, name: str | None, *, refresh: bool = False) -> S:
        """The service of connection ``name`` (None: the default); with ``refresh``, a name
        not known yet is looked for again in podman's files first (a kernelspec may name a
        connection the user added after this process started).

        Raises:
            NotFoundError: no such connection (the known ones are named)."""
        name = self.default if name is None else name
        if name not in self.by_name and refresh:
            try:
                self.refresh()
            except LabContainerError:
                pass  # a broken file: the refusal below names what is known
        if name not in self.by_name:
            raise unknown_connection(name, self.names())
        return self.by_name[name]

    def state(self, name: str, check: Callable[[S], object]) -> ConnectionState:
        """Ask connection ``name`` (``check(service)``, e.g. its ``info``): reachable, or since when not."""
        service = self.get(name)
        try:
            check(service)
        except LabContainerError as error:
            with self._lock:
                since = self._down.setdefault(name, time.time())
            why = str(error).split("\n")[0]
            state = f"unreachable since {time.strftime('%H:%M', time.localtime(since))}: {why}"
        else:
            with self._lock:
                self._down.pop(name, None)
            state = "reachable"
        return ConnectionState(name, self.uris.get(name, ""), name == self.default, state)

    def states(self, check: Callable[[S], object]) -> list[ConnectionState]:
        """Every connection's state, asked all at once (an unreachable one fails within its deadline)."""
        names = self.names()
        with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="labcontainer-connections") as pool:
            return list(pool.map(lambda name: self.state(name, check), names))

    def close(self) -> None:
        """Close every other server's service (their SSH links: no ssh process left)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        for name, service in self.by_name.items():
            if name == LOCAL:  # the caller's own (the kernels' service): closed, if ever, by the caller
                continue
            close = getattr(service, "close", None)
            if close is not None:
                close()


def unknown_connection(name: str, known: list[str]) -> NotFoundError:
    return NotFoundError(
        f"There is no Podman connection named '{name}' (known here: {', '.join(known)}).",
        hint=f"Add it as for podman: `podman system connection add {name} ssh://USER@HOST/run/user/UID/podman/podman.sock`.",
    )
