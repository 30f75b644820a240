"""Pushed change notices for the side panel: ``ws(s)://HOST{base_url}labcontainer/api/events``.

One follower per server reads Podman's event stream (``LabService.events()``, blocking, so in a
thread of its own) and fans each change out to every open socket, instead of every browser tab
polling. Messages (rest_schema.json: EventsMessage), server → client only:

    {"kind": "hello", "connected": true|false|null}   once, on connect (null: not known yet)
    {"kind": "containers", "name": "...", "status": "died"}   a container changed
    {"kind": "images", "name": "...", "action": "pull"}       an image changed (pull, remove, tag, untag)
    {"kind": "kernels", "kernel_id": "...", "name": "lc-kernel-...", "action": "start"}
                                                       a container kernel changed (below)
    {"kind": "podman", "connected": false|true}        the follower lost / regained Podman

A notice says *what changed*, not the new state: the client asks the REST API again. After
``connected: true`` events may have been missed while Podman was away, so clients refresh then.

Kernel notices come from two places, because neither sees everything. Podman's events of a
kernel's container (``lc-kernel-<id>``) are pushed as container notices like any other, and
its ``died`` also as a kernel notice: Jupyter's restarter only notices a dead kernel seconds
later. Start, restart and shutdown are announced from Jupyter's own kernel-action events
(:func:`listen_to_kernel_actions`) once Jupyter has *finished* them: the container events come
earlier, while Jupyter does not list the kernel yet, so a row refreshed on them alone could
say "not this server's kernel" until the next heartbeat.

The follower runs only while at least one socket is open (no thread, no request to Podman
while nobody listens); the last socket to close stops it, and so does the server's stop
(the server app, app.py, owns the one hub). When Podman stops or
restarts it reconnects with a backoff of at most :data:`MAX_BACKOFF` seconds.

Authentication, authorization ("read" on "containers") and the origin check are Jupyter's own,
as for the terminal websocket: a page from another site cannot listen with the user's cookie.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..core.errors import LabContainerError
from ..core.models import LABEL_POOL, POOL_CONTAINER_PREFIX, kernel_container_name, kernel_of
from ..kernels.kernelspecs import is_labcontainer_spec
from ..service import EventStream, LabService

#: Name prefix of the follower thread (tests look for it to prove none is left).
THREAD_NAME = "labcontainer-events"
#: Reconnection delays (seconds): the first retry is quick (a restart), then up to this.
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 5.0
#: Podman's event types the follower asks for.
EVENT_TYPES = ("container", "image")
#: Jupyter's kernel-action events (jupyter_server's event schema).
KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"


def notices(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Podman's event → our change notices (what changed and what happened to it)."""
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    name = attributes.get("name") or event.get("name") or ""
    action = event.get("Action") or event.get("status") or ""
    if event.get("Type") == "image":
        return [{"kind": "images", "name": name, "action": action}]
    if name.startswith(POOL_CONTAINER_PREFIX) and LABEL_POOL in attributes:
        return []  # a kernel waiting in a pool: no listing shows it (its rename is a notice)
    found = [{"kind": "containers", "name": name, "status": action}]
    kernel_id = kernel_of(attributes)  # Podman puts a container's labels in its events' attributes
    if action == "died" and kernel_id:
        found.append({"kind": "kernels", "kernel_id": kernel_id, "name": name, "action": "died"})
    return found


class EventHub:
    """The server's one follower of Podman's events and the sockets it feeds (event loop side)."""

    def __init__(self, service: LabService, log: Any) -> None:
        self._service = service
        self._log = log
        self._clients: set[EventsHandler] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []
        self._stopping: threading.Event | None = None  # one per thread: a new one never sees an old stop
        self._stream: EventStream | None = None
        self._lock = threading.Lock()
        #: Whether the follower reaches Podman now (None: not tried yet).
        self.connected: bool | None = None

    @property
    def threads(self) -> list[threading.Thread]:
        """Follower threads still alive (the current one, and any still ending)."""
        return [t for t in self._threads if t.is_alive()]

    def add(self, client: EventsHandler) -> None:
        self._clients.add(client)
        # A follower told to stop may still be waking from its read: it will not serve this
        # socket, so a stopping one counts as none.
        if self._stopping is None or self._stopping.is_set():
            self._loop = asyncio.get_running_loop()
            self._stopping = threading.Event()
            self.connected = None
            thread = threading.Thread(target=self._follow, args=(self._stopping,), name=THREAD_NAME, daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def remove(self, client: EventsHandler) -> None:
        self._clients.discard(client)
        if not self._clients:
            self.stop()  # nobody listens: no thread, no open request to Podman

    def stop(self) -> None:
        """End the follower soon (wakes it from a blocked read); safe to call twice."""
        if self._stopping is not None:
            self._stopping.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def close_all(self) -> None:
        """The server stops: close every socket and end the follower."""
        for client in list(self._clients):
            client.close()
        self._clients.clear()
        self.stop()

    # -- the follower thread ---------------------------------------------------------------

    def _follow(self, stopping: threading.Event) -> None:
        delay = FIRST_BACKOFF
        while not stopping.is_set():
            try:
                stream = self._service.events(types=EVENT_TYPES)
            except LabContainerError as exc:
                if stopping.is_set():
                    return
                self._set_connected(False, reason=str(exc))
            else:
                with self._lock:
                    # stop() sets the event, then reads _stream under this lock: either it
                    # sees this stream and closes it, or this thread sees the event here.
                    if stopping.is_set():
                        stream.close()
                        return
                    self._stream = stream
                self._set_connected(True)
                delay = FIRST_BACKOFF
                try:
                    for event in stream:
                        if stopping.is_set():
                            return
                        for message in notices(event):
                            self._publish(message)
                except LabContainerError as exc:
                    reason = str(exc)
                except Exception as exc:  # noqa: BLE001 - a broken stream is a lost Podman, never a dead follower
                    reason = f"{type(exc).__name__}: {exc}"
                else:
                    reason = "the event stream ended"
                finally:
                    with self._lock:
                        if self._stream is stream:  # not a newer follower's
                            self._stream = None
                    stream.close()
                if stopping.is_set():
                    return
                self._set_connected(False, reason=reason)
            stopping.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def _set_connected(self, connected: bool, *, reason: str = "") -> None:
        if connected == self.connected:
            return
        first = self.connected is None
        self.connected = connected
        if connected:
            self._log.info("labcontainer: following Podman's events")
        else:
            self._log.warning("labcontainer: lost Podman's events, retrying: %s", reason)
        if not (first and connected):  # the first success is no news: hello said "not known"
            self._publish({"kind": "podman", "connected": connected})

    def _publish(self, message: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._fan_out, json.dumps(message))
        except RuntimeError:
            pass  # the event loop is closed (server gone): nobody listens any more

    def _fan_out(self, text: str) -> None:
        for client in list(self._clients):
            client.send(text)

    def announce(self, message: dict[str, Any]) -> None:
        """Send a notice made on the event loop (not by the follower) to every open socket."""
        self._fan_out(json.dumps(message))


class EventsHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = "containers"
    _hub: EventHub | None = None

    def set_default_headers(self) -> None:
        """None: JupyterHandler's page headers make no sense on a websocket (as Jupyter's own)."""

    @ws_authenticated
    @authorized("read")
    async def get(self) -> None:
        await super().get()

    def open(self) -> None:  # type: ignore[override]
        super().open()  # WebSocketMixin: pings keep the socket alive through proxies
        app = self.settings["labcontainer_app"]
        # The server's notices as a REST call picks it: ?connection=NAME, else the default one.
        name = self.get_argument("connection", None) or app.default_connection
        try:
            self._hub = app.event_hub(name)
        except LabContainerError as exc:  # no such connection
            self.send(json.dumps({"kind": "podman", "connected": False, "reason": str(exc).split("\n")[0]}))
            self.close()
            return
        self.send(json.dumps({"kind": "hello", "connected": self._hub.connected, "connection": name}))
        self._hub.add(self)

    def on_message(self, message: str | bytes) -> None:
        """Nothing to hear: the socket only speaks."""

    def on_close(self) -> None:
        if self._hub is not None:
            self._hub.remove(self)

    def send(self, text: str) -> None:
        try:
            future = self.write_message(text)
        except WebSocketClosedError:
            return
        future.add_done_callback(_ignore_closed)


def _ignore_closed(future: asyncio.Future) -> None:
    """A socket that closed while a notice was on its way: nothing to report."""
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it as lost


# -- Jupyter's kernel actions -----------------------------------------------------------------

def listen_to_kernel_actions(serverapp: Any, hub: EventHub) -> None:
    """Announce container kernels' start, restart and shutdown once Jupyter has done them."""
    spec_manager = serverapp.kernel_spec_manager
    ours: dict[str, bool] = {}  # kernelspec name -> a container kernel's? (read once per name)

    def is_container_kernelspec(kernel_name: str) -> bool:
        if kernel_name not in ours:
            try:
                spec = spec_manager.get_kernel_spec(kernel_name)
                ours[kernel_name] = is_labcontainer_spec({"metadata": spec.metadata})
            except Exception:  # noqa: BLE001 - a spec gone or unreadable: not one to announce
                return False
        return ours[kernel_name]

    # jupyter_events calls listeners with these keywords; a listener that cannot be called
    # would fail the kernel action itself, so the signature is exactly theirs.
    async def on_kernel_action(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        action, kernel_id = data.get("action"), data.get("kernel_id")
        if data.get("status") != "success" or action not in ("start", "restart", "shutdown") or not kernel_id:
            return  # nothing changed
        if is_container_kernelspec(data.get("kernel_name") or ""):
            hub.announce({"kind": "kernels", "kernel_id": kernel_id, "name": kernel_container_name(kernel_id), "action": action})

    serverapp.event_logger.add_listener(schema_id=KERNEL_ACTIONS_SCHEMA, listener=on_kernel_action)
