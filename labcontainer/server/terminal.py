"""The terminal websocket: a shell in a container, or the container's own terminal.

    ws(s)://HOST{base_url}labcontainer/api/containers/NAME/terminal
        ?mode=exec (default; ``podman exec -it``) or mode=attach (``podman attach``)
        &cmd=...  (exec only: the command, split like a shell would; default bash, else sh)
        &user=... &workdir=...  (exec only)
        or ?session=ID: back to a kept terminal (after a page reload)

It speaks terminado's JSON messages, so JupyterLab's own terminal widget can show it:
client → server ``["stdin", text]``, ``["set_size", rows, cols, ...]`` and ``["close"]``
(the user closed the tab: end the process now); server → client ``["setup", {"session": ID}]``
once, the output it missed (on a reconnect), then ``["stdout", text]``, and
``["disconnect", code]`` when the terminal ends (``code``: its exit code, 1 when unknown),
after which the socket closes. A socket closed without ``close`` keeps the terminal for
``c.LabContainer.terminal_keep_alive`` seconds (terminal_sessions.py); a ``session`` that is
no longer kept is answered with setup, a paragraph saying so, ``["session_gone", ID]``. When
the container was a kernel's and that kernel was shut down (its container went with it), a
reconnect or a new terminal is answered with setup, a paragraph saying so, and
``["session_gone", ID or null, {"new_shell": false}]``: a new shell there cannot work.

A terminal that cannot open (no such container, not running, bad parameters) answers the
same way: setup, one ``stdout`` paragraph saying what to do, ``["disconnect", 1]``. In
band rather than an HTTP 404 before the upgrade, because a browser's WebSocket never shows
the status or body of a refused upgrade: the user would only see a terminal that closes.
(JupyterLab's client ignores everything before ``setup``, hence setup first.)

Authentication, authorization and the origin check are Jupyter's own, as for its kernel
and terminal websockets: ``@ws_authenticated``, the authorizer ("execute" on "terminals":
whoever may open a Jupyter terminal may open this one), and WebSocketMixin.check_origin, so
a page from another site cannot drive a shell with the user's cookie. Ending a terminal ends
the exec session (no process is left in the container) or detaches from the container.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from typing import Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..core.errors import ContainerNotFound, InvalidSpec, LabContainerError
from ..core.models import KERNEL_CONTAINER_PREFIX
from ..service import LabService, TtySession
from .terminal_sessions import (
    KeptTerminal,
    TerminalSessions,
    terminal_text,
)

MODES = ("exec", "attach")
KERNEL_SHUT_DOWN = (
    "The kernel this terminal was in has been shut down, and its container went with it: there is no shell "
    "to go back to, and none can start here. Close this tab. A running kernel's terminal opens from its "
    "notebook: Kernel > Open Terminal in This Kernel's Container."
)
NO_INPUT_NOTE = (
    "This container was started without a terminal for input (-it): you see its output, but "
    "what you type is not sent to it. `podman run -dit ...` makes a container you can type into."
)


class TerminalHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = "terminals"
    terminal: KeptTerminal | None = None
    _gone = False

    def set_default_headers(self) -> None:
        """None: JupyterHandler's page headers make no sense on a websocket (as Jupyter's own)."""

    @property
    def terminals(self) -> TerminalSessions:
        return self.settings["labcontainer_app"].terminals

    @property
    def service(self) -> LabService:
        """The service of the terminal's server, as a REST call picks it: ``?connection=NAME``,
        else a kernel's container on the server its kernel runs on, else the default
        connection. Another server's terminal goes over its SSH link (the exec's stream rides
        the forwarded Podman socket). An unknown name: NotFoundError, said in the tab."""
        app = self.settings["labcontainer_app"]
        return app.servers.get(self.get_argument("connection", None) or self._kernel_server() or app.default_connection)

    def _kernel_server(self) -> str | None:
        name = self.path_args[0] if self.path_args else ""
        kernel_id = name.removeprefix(KERNEL_CONTAINER_PREFIX)
        if kernel_id == name or kernel_id not in self.kernel_manager:
            return None
        return getattr(self.kernel_manager.get_kernel(kernel_id).provisioner, "placed_on", None)

    @ws_authenticated
    @authorized("execute")
    async def get(self, name: str) -> None:
        await super().get(name)

    async def open(self, name: str) -> None:  # type: ignore[override]
        super().open()  # WebSocketMixin: pings keep the socket alive through proxies
        if session_id := self.get_argument("session", ""):
            await self._rejoin(name, session_id)
            return
        try:
            session = await self._open_session(name)
        except LabContainerError as exc:
            self.log.info("labcontainer: no terminal into %s: %s: %s", name, exc.kind, exc)
            if isinstance(exc, ContainerNotFound) and await self._kernel_shut_down(name):
                await self._say_kernel_shut_down(None)
                return
            said = exc.said_in("terminal") + (f"\n{exc.detail.strip()}" if exc.detail.strip() else "")  # a tab's own ways
            for message in (["setup", {}], ["stdout", terminal_text(said)], ["disconnect", 1]):
                await self.send(message)
            self.close()
            return
        terminal = self.terminals.keep(session)
        if self._gone:  # the browser left while the session was opening: nobody knows its id
            await self.terminals.end(terminal)
            return
        self.log.info("labcontainer: terminal (%s) into %s opened", session.kind, name)
        if not session.accepts_input:
            terminal.remember(terminal_text(NO_INPUT_NOTE))
        self.terminal = terminal
        await terminal.join(self)

    async def _rejoin(self, name: str, session_id: str) -> None:
        """A page that reloaded (or lost its connection) comes back to its terminal."""
        terminal = self.terminals.find(session_id, name)
        if terminal is None and not self._gone and await self._kernel_shut_down(name):
            await self._say_kernel_shut_down(session_id)
            return
        if terminal is None or self._gone:
            keep_alive = f"{self.terminals.keep_alive:g}"
            gone = (
                f"This terminal's shell in {name} is no longer there: it ended, or its page stayed away "
                f"longer than {keep_alive} s, or the Jupyter server restarted since. Open a new terminal for a new shell."
            )
            for message in (["setup", {}], ["stdout", terminal_text(gone)], ["session_gone", session_id]):
                await self.send(message)
            self.close()
            return
        self.log.info("labcontainer: terminal (%s) into %s reconnected", terminal.tty.kind, name)
        self.terminal = terminal
        await terminal.join(self)

    async def _kernel_shut_down(self, name: str) -> bool:
        """Whether ``name`` was the container of a kernel that is over: this server does not
        run that kernel (a restarting one gets a new container of the same name) and the
        container is gone. Only the name is left to go by, as the container and its labels
        went with the kernel."""
        kernel_id = name.removeprefix(KERNEL_CONTAINER_PREFIX)
        if kernel_id == name or kernel_id in self.kernel_manager:
            return False
        try:
            await asyncio.to_thread(self.service.get, name)
        except ContainerNotFound:
            return True
        except LabContainerError:
            return False
        return False

    async def _say_kernel_shut_down(self, session_id: str | None) -> None:
        """Say the kernel was shut down, and that this tab can start nothing (a new shell
        would fail: there is no container): ``session_gone`` with ``new_shell`` false."""
        for message in (["setup", {}], ["stdout", terminal_text(KERNEL_SHUT_DOWN)], ["session_gone", session_id, {"new_shell": False}]):
            await self.send(message)
        self.close()

    async def _open_session(self, name: str) -> TtySession:
        labservice = self.service
        mode = self.get_argument("mode", "exec")
        command, user, workdir = self.get_argument("cmd", ""), self.get_argument("user", None), self.get_argument("workdir", None)
        if mode not in MODES:
            raise InvalidSpec(f"Unknown terminal mode '{mode}'.", hint="Use mode=exec (a new shell) or mode=attach (the container's own terminal).")
        if mode == "attach":
            if command or user or workdir:
                raise InvalidSpec("cmd, user and workdir only go with mode=exec: an attach shows the container's own process.")
            return await labservice.terminals.attach(name)
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise InvalidSpec(f"Cannot read the command `{command}`: {exc}.", hint="Check its quotes.") from None
        return await labservice.terminals.open_exec(name, argv, user=user or None, workdir=workdir or None)

    async def on_message(self, message: str | bytes) -> None:
        terminal = self.terminal
        try:
            command: Any = json.loads(message)
            kind = command[0]
        except (ValueError, TypeError, IndexError, KeyError):
            return  # not terminado's format: nothing to do with it
        if terminal is None:
            return
        if kind == "stdin" and len(command) > 1 and isinstance(command[1], str):
            await terminal.write(command[1].encode("utf-8", errors="replace"))
        elif kind == "set_size":
            try:
                await terminal.resize(int(command[1]), int(command[2]))
            except (ValueError, TypeError, IndexError, LabContainerError) as exc:
                self.log.debug("labcontainer: resize of a terminal into %s ignored: %s", terminal.container, exc)
        elif kind == "close":  # the user closed the tab: end the process now, no grace period
            self.terminal = None
            await self.terminals.end(terminal)
            self.close()

    def on_close(self) -> None:
        # A socket closed without "close" (a reload, a lost network): the terminal is kept
        # for keep_alive seconds, then its process is ended.
        self._gone = True
        terminal, self.terminal = self.terminal, None
        if terminal is not None:
            terminal.leave(self)

    async def send(self, message: list[Any]) -> bool:
        """Send one message; False once the socket is closed."""
        try:
            await self.write_message(json.dumps(message))
            return True
        except WebSocketClosedError:
            return False
