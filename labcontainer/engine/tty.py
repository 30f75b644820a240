"""Terminals into containers: ``podman exec -it`` and ``podman attach`` over the API.

With a TTY, starting an exec (or attaching) upgrades the HTTP connection (``101``) and the
socket then *is* the terminal: raw bytes both ways, no frame headers. podman-py cannot do
this (``exec_run(socket=True)`` is ignored, ``attach`` is not implemented), so this module
speaks HTTP/1.1 itself over an asyncio unix connection to the engine's service socket.
Everything is async: a terminal lives on the server's event loop, never in a thread.

Closing a terminal must not leave its shell behind, and Podman keeps an exec session
running when its connection closes (measured on 4.3.1). So :meth:`TtySession.close` hangs
up the session's process inside the container (SIGHUP, what closing a terminal window
does: the shell passes it on to its jobs), and kills it if it is still there after
:data:`HANGUP_GRACE` seconds. Work started with ``nohup`` or ``setsid`` survives, as after
an ssh logout. An attach session detaches instead: the container keeps running (see
:meth:`PodmanTerminals.attach` for containers started without a TTY).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote, urlencode

from ..core.errors import (
    ContainerNotFound,
    ContainerStateError,
    InvalidSpec,
    NotSupportedHere,
)
from .connection import socket_path
from .translate import ServiceText, translate, translated

API = "/v4.0.0/libpod"
#: Seconds a hung-up shell gets to end before it is killed.
HANGUP_GRACE = 2.0
#: bash when the container has it, else sh: decided inside the container in the same exec
#: (one round trip less than asking first, and the check cannot disagree with the start).
DEFAULT_SHELL = ("/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi")


class _Reply:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None

    @property
    def text(self) -> str:
        """Podman's own words for a failure (its JSON ``message``, else the body)."""
        try:
            return str(json.loads(self.body).get("message") or self.body.decode(errors="replace"))
        except (ValueError, AttributeError):
            return self.body.decode(errors="replace").strip()


async def _send(path: str, method: str, target: str, body: Any = None, *, upgrade: bool = False):
    """Open a connection, send one request, read the status line and headers."""
    reader, writer = await asyncio.open_unix_connection(path)
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {API}{target} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    head += "Connection: Upgrade\r\nUpgrade: tcp\r\n" if upgrade else "Connection: close\r\n"
    writer.write(head.encode() + b"\r\n" + data)
    await writer.drain()
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        writer.close()
        raise ConnectionError(f"the service closed the connection: {exc}") from exc
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    return status, headers, reader, writer


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        return b"".join(parts)
    return await reader.read()


async def _call(path: str, method: str, target: str, body: Any = None) -> _Reply:
    """One plain REST call on the service socket."""
    with translated():
        status, headers, reader, writer = await _send(path, method, target, body)
    try:
        return _Reply(status, await _read_body(reader, headers))
    finally:
        writer.close()


async def _upgrade(path: str, target: str, body: Any, container: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A request answered by ``101``: the connection becomes the raw stream."""
    with translated():
        status, headers, reader, writer = await _send(path, "POST", target, body, upgrade=True)
    if status in (101, 200):
        return reader, writer
    try:
        reply = _Reply(status, await _read_body(reader, headers))
    finally:
        writer.close()
    raise _refused(reply, container)


def _refused(reply: _Reply, container: str) -> Exception:
    """Podman's refusal as a labcontainer error saying what to do."""
    text = reply.text
    lower = text.lower()
    if reply.status == 404 and "no such exec" not in lower:
        return ContainerNotFound(container, detail=text)
    if "not running" in lower or "state improper" in lower or "is paused" in lower:
        return _not_running(container, text)
    return translate(ServiceText(text), container=container)


def _not_running(container: str, detail: str = "") -> ContainerStateError:
    return ContainerStateError(
        f"Container '{container}' is not running, so there is nothing to open a terminal in.",
        hint=f"Start it first (`%container start {container}` or the side panel), then open the terminal again.",
        detail=detail,
    )


class TtySession:
    """A terminal in a container: :meth:`read` its output, :meth:`write` keystrokes,
    :meth:`resize` it, :meth:`close` it. Made by :class:`PodmanTerminals`."""

    def __init__(
        self,
        socket: str,
        container: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        exec_id: str | None = None,
        framed: bool = False,
        accepts_input: bool = True,
    ) -> None:
        self._socket = socket
        self.container = container
        self.exec_id = exec_id
        self._reader, self._writer = reader, writer
        self._framed = framed  # attach to a container without a TTY: multiplexed frames
        #: False when what is typed does not reach the container (attach without -it).
        self.accepts_input = accepts_input
        self._closed = False

    @property
    def kind(self) -> Literal["exec", "attach"]:
        return "exec" if self.exec_id else "attach"

    async def read(self) -> bytes:
        """The next output bytes as they come; ``b""`` once the terminal has ended."""
        try:
            if not self._framed:
                return await self._reader.read(65536)
            header = await self._reader.readexactly(8)
            return await self._reader.readexactly(int.from_bytes(header[4:8], "big"))
        except (asyncio.IncompleteReadError, ConnectionError):
            return b""

    async def write(self, data: bytes) -> None:
        """Keystrokes (or pasted text) for the terminal."""
        if self._closed or not self.accepts_input:
            return
        self._writer.write(data)
        try:
            await self._writer.drain()
        except ConnectionError:
            pass  # the terminal ended; read() says so

    async def resize(self, rows: int, cols: int) -> bool:
        """The terminal is now ``rows`` x ``cols`` (the program in it gets SIGWINCH). False
        when Podman did not take it because the session is not running: not yet (an exec
        just started is marked running a moment after its stream opens), or no more."""
        if not (0 < rows <= 10_000 and 0 < cols <= 10_000):
            raise InvalidSpec(f"A terminal of {rows} x {cols} characters is not possible.")
        size = urlencode({"h": rows, "w": cols})
        where = f"/exec/{self.exec_id}" if self.exec_id else f"/containers/{quote(self.container, safe='')}"
        reply = await _call(self._socket, "POST", f"{where}/resize?{size}")
        if reply.status < 400:
            return True
        # Not running (yet, or no more) is not worth an error: the caller may try again.
        if reply.status == 404 or "not running" in reply.text.lower():
            return False
        raise _refused(reply, self.container)

    async def exit_code(self) -> int | None:
        """How the exec ended (None while it runs, and for an attach to a running container)."""
        if self.exec_id is None:
            reply = await _call(self._socket, "GET", f"/containers/{quote(self.container, safe='')}/json")
            state = (reply.json() or {}).get("State", {}) if reply.status == 200 else {}
            return None if state.get("Running", True) else int(state.get("ExitCode", 0))
        for _ in range(40):  # Podman records the exit a moment after the stream ends
            info = await self._exec_info()
            if not info.get("Running"):
                code = info.get("ExitCode")
                return int(code) if code is not None else None
            await asyncio.sleep(0.05)
        return None

    async def close(self) -> None:
        """End the terminal: hang up an exec's process (killed if it lingers), or detach
        from an attached container, which keeps running. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        # An attach just closes its connection: Podman leaves the container and its stdin as
        # they were (measured: its shell answers the next attach). (Podman 4.3 ignores the
        # attach's detachKeys over the API: typed, they would only reach the shell.)
        self._writer.close()
        if self.exec_id is not None:
            await self._hang_up()

    async def _exec_info(self) -> dict[str, Any]:
        reply = await _call(self._socket, "GET", f"/exec/{self.exec_id}/json")
        return (reply.json() or {}) if reply.status == 200 else {}

    async def _hang_up(self) -> None:
        info = await self._exec_info()
        if not info.get("Running") or not info.get("Pid"):
            return
        pid = await self._pid_in_container(int(info["Pid"]))
        if pid is None:
            return
        for signal in ("HUP", "KILL"):
            await self._signal(pid, signal)
            for _ in range(int(HANGUP_GRACE / 0.05)):
                if not (await self._exec_info()).get("Running"):
                    return
                await asyncio.sleep(0.05)

    async def _pid_in_container(self, host_pid: int) -> int | None:
        """The exec's PID as the container sees it (Podman reports the host's), from `top`."""
        reply = await _call(self._socket, "GET", f"/containers/{quote(self.container, safe='')}/top?ps_args=pid,hpid")
        for row in ((reply.json() or {}).get("Processes") or []) if reply.status == 200 else []:
            if len(row) >= 2 and row[1].strip() == str(host_pid):
                return int(row[0])
        return None

    async def _signal(self, pid: int, signal: str) -> None:
        """Signal a process from inside the container, as its root: the only place that
        may signal any of its processes, rootless or not (a host kill can lack the right)."""
        for command in (["sh", "-c", f"kill -{signal} {pid}"], ["kill", f"-{signal}", str(pid)]):
            if await run_quietly(self._socket, self.container, command, user="0") == 0:
                return


async def run_quietly(socket: str, container: str, command: Sequence[str], *, user: str | None = None) -> int:
    """Run ``command`` in the container without a terminal, output discarded; its exit code."""
    payload: dict[str, Any] = {"Cmd": list(command), "AttachStdout": True, "AttachStderr": True}
    if user:
        payload["User"] = user
    reply = await _call(socket, "POST", f"/containers/{quote(container, safe='')}/exec", payload)
    if reply.status != 201:
        return -1
    exec_id = reply.json()["Id"]
    # Until the command ends, the answer streams its (multiplexed) output: read to the end.
    await _call(socket, "POST", f"/exec/{exec_id}/start", {"Detach": False, "Tty": False})
    info = await _call(socket, "GET", f"/exec/{exec_id}/json")
    code = (info.json() or {}).get("ExitCode") if info.status == 200 else None
    return int(code) if code is not None else -1


def _socket_of(url: str) -> str:
    path = socket_path(url)
    if path is None:
        raise NotSupportedHere(
            f"Terminals into containers need Podman on a unix socket of this machine, not {url}.",
            hint="Point labcontainer at the local socket (c.LabContainer.podman_url or CONTAINER_HOST).",
        )
    return path


class PodmanTerminals:
    """Terminals into the containers of one service, reached at ``url`` (a unix socket of
    this machine; any other URL is refused when a terminal is asked for)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def open_exec(
        self,
        container: str,
        command: Sequence[str] = (),
        *,
        user: str | None = None,
        workdir: str | None = None,
        env: Sequence[str] = ("TERM=xterm-256color",),
    ) -> TtySession:
        """``podman exec -it CONTAINER COMMAND`` (default: bash if the container has it, else sh).

        Raises ContainerNotFound, ContainerStateError (not running), InvalidSpec, PodmanError.
        """
        socket = _socket_of(self.url)
        if workdir and not workdir.startswith("/"):
            raise InvalidSpec(f"The working directory '{workdir}' must be an absolute path inside the container.")
        payload: dict[str, Any] = {
            "Cmd": list(command or DEFAULT_SHELL),
            "AttachStdin": True,
            "AttachStdout": True,
            "AttachStderr": True,
            "Tty": True,
            "Env": list(env),
        }
        if user:
            payload["User"] = user
        if workdir:
            payload["WorkingDir"] = workdir
        reply = await _call(socket, "POST", f"/containers/{quote(container, safe='')}/exec", payload)
        if reply.status != 201:
            raise _refused(reply, container)
        exec_id = reply.json()["Id"]
        reader, writer = await _upgrade(socket, f"/exec/{exec_id}/start", {"Detach": False, "Tty": True}, container)
        return TtySession(socket, container, reader, writer, exec_id=exec_id)

    async def attach(self, container: str) -> TtySession:
        """``podman attach CONTAINER``: its own terminal (its main process). Closing detaches.

        A container started without ``-it`` is only watched (``accepts_input`` is False).
        Raises ContainerNotFound, ContainerStateError (not running).
        """
        socket = _socket_of(self.url)
        name = quote(container, safe="")
        reply = await _call(socket, "GET", f"/containers/{name}/json")
        if reply.status != 200:
            raise _refused(reply, container)
        raw = reply.json() or {}
        if not raw.get("State", {}).get("Running"):
            raise _not_running(container)
        config = raw.get("Config") or {}
        tty = bool(config.get("Tty"))
        # Without a TTY, the end of an attach closes the container's stdin (measured on 4.3.1,
        # detach keys or not), which ends a shell reading it: such containers are watched only.
        typing = tty and bool(config.get("OpenStdin"))
        query = urlencode({"stream": "true", "stdout": "true", "stderr": "true", "stdin": "true" if typing else "false"})
        reader, writer = await _upgrade(socket, f"/containers/{name}/attach?{query}", None, container)
        return TtySession(socket, container, reader, writer, framed=not tty, accepts_input=typing)
