"""The terminal websocket: a shell in a container, or the container's own terminal.

    ws(s)://HOST{base_url}labcontainer/api/containers/NAME/terminal
        ?mode=exec (default; ``podman exec -it``) or mode=attach (``podman attach``)
        &cmd=...  (exec only: the command, split like a shell would; default bash, else sh)
        &user=... &workdir=...  (exec only)

It speaks terminado's JSON messages, so JupyterLab's own terminal widget can show it:
client → server ``["stdin", text]`` and ``["set_size", rows, cols, ...]``; server → client
``["setup", {}]`` once, then ``["stdout", text]``, and ``["disconnect", code]`` when the
terminal ends (``code``: its exit code, 1 when unknown), after which the socket closes.

A terminal that cannot open (no such container, not running, bad parameters) answers the
same way: setup, one ``stdout`` paragraph saying what to do, ``["disconnect", 1]``. In
band rather than an HTTP 404 before the upgrade, because a browser's WebSocket never shows
the status or body of a refused upgrade: the user would only see a terminal that closes.
(JupyterLab's client ignores everything before ``setup``, hence setup first.)

Authentication, authorization and the origin check are Jupyter's own, as for its kernel
and terminal websockets: ``@ws_authenticated``, the authorizer ("execute" on "terminals":
whoever may open a Jupyter terminal may open this one), and WebSocketMixin.check_origin, so
a page from another site cannot drive a shell with the user's cookie. Closing the socket
ends the exec session (no process is left in the container) or detaches from the container.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import shlex
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..core.errors import InvalidSpec, LabContainerError
from ..service import LabService, TtySession

MODES = ("exec", "attach")
NO_INPUT_NOTE = (
    "This container was started without a terminal for input (-it): you see its output, but "
    "what you type is not sent to it. `podman run -dit ...` makes a container you can type into."
)


def terminal_text(text: str) -> str:
    """Plain text for a terminal: every line break a carriage return + line feed."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"


def failure_text(exc: LabContainerError) -> str:
    """Our paragraph, then Podman's own words (if any) on their own line."""
    return terminal_text(str(exc) + (f"\n{exc.detail.strip()}" if exc.detail.strip() else ""))


class TerminalHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = "terminals"
    session: TtySession | None = None
    _pump: asyncio.Task | None = None
    _gone = False

    def set_default_headers(self) -> None:
        """None: JupyterHandler's page headers make no sense on a websocket (as Jupyter's own)."""

    @ws_authenticated
    async def get(self, name: str) -> None:
        authorized = await ensure_async(self.authorizer.is_authorized(self, self.current_user, "execute", self.auth_resource))
        if not authorized:
            raise web.HTTPError(403)
        await super().get(name)

    async def open(self, name: str) -> None:  # type: ignore[override]
        super().open()  # WebSocketMixin: pings keep the socket alive through proxies
        try:
            session = await self._open_session(name)
        except LabContainerError as exc:
            self.log.info("labcontainer: no terminal into %s: %s: %s", name, exc.kind, exc)
            for message in (["setup", {}], ["stdout", failure_text(exc)], ["disconnect", 1]):
                await self._send(message)
            self.close()
            return
        if self._gone:  # the browser left while the session was opening
            await session.close()
            return
        self.session = session
        self.log.info("labcontainer: terminal (%s) into %s opened", session.kind, name)
        await self._send(["setup", {}])
        if not session.accepts_input:
            await self._send(["stdout", terminal_text(NO_INPUT_NOTE)])
        self._pump = asyncio.ensure_future(self._forward_output(session))

    async def _open_session(self, name: str) -> TtySession:
        labservice: LabService = self.settings["labcontainer"]
        mode = self.get_argument("mode", "exec")
        command, user, workdir = self.get_argument("cmd", ""), self.get_argument("user", None), self.get_argument("workdir", None)
        if mode not in MODES:
            raise InvalidSpec(f"Unknown terminal mode '{mode}'.", hint="Use mode=exec (a new shell) or mode=attach (the container's own terminal).")
        if mode == "attach":
            if command or user or workdir:
                raise InvalidSpec("cmd, user and workdir only go with mode=exec: an attach shows the container's own process.")
            return await labservice.aio.attach(name)
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise InvalidSpec(f"Cannot read the command `{command}`: {exc}.", hint="Check its quotes.") from None
        return await labservice.aio.terminal(name, argv, user=user or None, workdir=workdir or None)

    async def _forward_output(self, session: TtySession) -> None:
        """The terminal's bytes as ``stdout`` messages until it ends, then ``disconnect``."""
        # A character can be split across two reads: decode incrementally, never per read.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            while data := await session.read():
                # Awaiting each write is the back-pressure: a flood of output waits for the
                # browser instead of piling up in the server's memory.
                if (text := decoder.decode(data)) and not await self._send(["stdout", text]):
                    return
            if rest := decoder.decode(b"", final=True):
                await self._send(["stdout", rest])
            code = await session.exit_code()
        except LabContainerError as exc:  # the service went away while the terminal was open
            await self._send(["stdout", failure_text(exc)])
            code = None
        await self._send(["disconnect", 1 if code is None else code])
        self.close()

    async def on_message(self, message: str | bytes) -> None:
        session = self.session
        try:
            command: Any = json.loads(message)
            kind = command[0]
        except (ValueError, TypeError, IndexError, KeyError):
            return  # not terminado's format: nothing to do with it
        if session is None:
            return
        if kind == "stdin" and len(command) > 1 and isinstance(command[1], str):
            await session.write(command[1].encode("utf-8", errors="replace"))
        elif kind == "set_size":
            try:
                await session.resize(int(command[1]), int(command[2]))
            except (ValueError, TypeError, IndexError, LabContainerError) as exc:
                self.log.debug("labcontainer: resize of a terminal into %s ignored: %s", session.container, exc)

    def on_close(self) -> None:
        self._gone = True
        session, self.session = self.session, None
        if self._pump is not None:
            self._pump.cancel()
        if session is not None:
            _closing.add(task := asyncio.ensure_future(self._end(session)))
            task.add_done_callback(_closing.discard)

    async def _end(self, session: TtySession) -> None:
        try:
            await session.close()
        except LabContainerError as exc:  # e.g. Podman went away meanwhile: say so in the log
            self.log.warning("labcontainer: the terminal into %s may have left its shell running: %s", session.container, exc)
            return
        self.log.info("labcontainer: terminal (%s) into %s closed", session.kind, session.container)

    async def _send(self, message: list[Any]) -> bool:
        """Send one message; False once the socket is closed."""
        try:
            await self.write_message(json.dumps(message))
            return True
        except WebSocketClosedError:
            return False


#: Terminals being closed after their socket went away (kept so the tasks are not collected).
_closing: set[asyncio.Task] = set()
