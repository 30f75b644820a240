"""Terminals that outlive their websocket for a while, so a page reload finds its shell again.

A browser page that reloads (or a laptop that sleeps a moment) closes the terminal's
websocket without meaning "end this shell". So the server keeps each terminal under an
unguessable id, reads its output all along (the last :data:`SCROLLBACK` characters are kept
and replayed to whoever reconnects), and ends it only when

- a client says so (``["close"]``: the user closed the tab), at once;
- no client has been connected for ``keep_alive`` seconds (``c.LabContainer.terminal_keep_alive``):
  the page never came back, so the shell is hung up as before (no process left behind);
- the process ends by itself (clients get ``["disconnect", code]``).

Several clients may share one terminal (the same layout open in two windows), as with
Jupyter's own terminals: each gets the output, each may type.
"""

from __future__ import annotations

import asyncio
import codecs
import secrets
from collections import deque
from typing import Any, Protocol

from ..core.errors import LabContainerError
from ..service import TtySession

#: Characters of recent output replayed to a client that reconnects (about a screenful of
#: scrollback many times over; a full-screen program redraws on the resize that follows).
SCROLLBACK = 64 * 1024
#: A size Podman did not take yet (the exec not yet running) is tried again this often, this
#: many times (2 s in all).
RESIZE_RETRY = 0.05
RESIZE_TRIES = 40


def terminal_text(text: str) -> str:
    """Plain text for a terminal: every line break a carriage return + line feed."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"


def failure_text(exc: LabContainerError) -> str:
    """Our paragraph, then Podman's own words (if any) on their own line."""
    return terminal_text(str(exc) + (f"\n{exc.detail.strip()}" if exc.detail.strip() else ""))


class Client(Protocol):
    """One websocket showing a terminal."""

    async def send(self, message: list[Any]) -> bool:
        """Send one terminado message; False once the socket is closed."""

    def close(self) -> None:
        """Close the socket."""


class KeptTerminal:
    """One terminal, its clients, and the output they may have missed."""

    def __init__(self, registry: TerminalSessions, tty: TtySession) -> None:
        self.id = secrets.token_urlsafe(18)
        self.tty = tty
        self._registry = registry
        self._clients: set[Client] = set()
        # One lock orders output and (re)joins: a joining client gets the replay, then every
        # later chunk exactly once, never a chunk twice or out of order.
        self._lock = asyncio.Lock()
        self._scrollback: deque[str] = deque()
        self._kept = 0
        self._exit: int | None = None
        self._ended = False
        self._expiry: asyncio.TimerHandle | None = None
        self._pump: asyncio.Task | None = None
        self._wanted_size: tuple[int, int] | None = None
        self._size_retry: asyncio.Future | None = None

    @property
    def container(self) -> str:
        return self.tty.container

    def remember(self, text: str) -> None:
        """Keep ``text`` for replay (oldest output dropped beyond :data:`SCROLLBACK`)."""
        self._scrollback.append(text)
        self._kept += len(text)
        while self._kept > SCROLLBACK and len(self._scrollback) > 1:
            self._kept -= len(self._scrollback.popleft())
        if self._kept > SCROLLBACK:  # one chunk larger than the whole scrollback
            self._scrollback[0] = self._scrollback[0][-SCROLLBACK:]
            self._kept = len(self._scrollback[0])

    async def join(self, client: Client) -> None:
        """``client`` shows this terminal from now on: setup (with the id), what it missed, then live output."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        async with self._lock:
            await client.send(["setup", {"session": self.id}])
            if replay := "".join(self._scrollback):
                await client.send(["stdout", replay])
            ended = self._ended
            if not ended:
                self._clients.add(client)
        if self._pump is None:
            self._pump = asyncio.ensure_future(self._forward_output())
        if ended:  # the process ended while nobody watched: say how, then it is gone
            await self._say_ended([client])
            await self._registry.end(self)

    def leave(self, client: Client) -> None:
        """``client``'s socket closed without ``close``: the terminal waits ``keep_alive`` for a return."""
        self._clients.discard(client)
        if self._clients or self._expiry is not None or self not in self._registry:
            return
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(self._registry.keep_alive, lambda: _in_background(self._registry.end(self)))

    async def write(self, data: bytes) -> None:
        await self.tty.write(data)

    async def resize(self, rows: int, cols: int) -> None:
        """Give the process the tab's size. A tab sends its size once, as it opens, which
        can be before Podman counts the exec as running: then the size is tried again
        until it is taken (the latest size wins), else the shell would stay 80 x 24."""
        self._wanted_size = (rows, cols)
        if await self.tty.resize(rows, cols) or self._ended:
            self._wanted_size = None
            return
        if self._size_retry is None or self._size_retry.done():
            self._size_retry = asyncio.ensure_future(self._resize_until_taken())

    async def _resize_until_taken(self) -> None:
        for _ in range(RESIZE_TRIES):
            await asyncio.sleep(RESIZE_RETRY)
            wanted = self._wanted_size
            if wanted is None or self._ended:
                return
            try:
                if await self.tty.resize(*wanted):
                    if self._wanted_size == wanted:
                        self._wanted_size = None
                    return
            except LabContainerError:
                return  # Podman refused this size outright: the tab keeps working at its old one

    async def _forward_output(self) -> None:
        """The terminal's bytes to every client until it ends, then ``disconnect``."""
        # A character can be split across two reads: decode incrementally, never per read.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        code: int | None = None
        try:
            while data := await self.tty.read():
                await self._output(decoder.decode(data))
            await self._output(decoder.decode(b"", final=True))
            code = await self.tty.exit_code()
        except LabContainerError as exc:  # the service went away while the terminal was open
            await self._output(failure_text(exc))
        async with self._lock:
            self._exit, self._ended = code, True
            clients, self._clients = list(self._clients), set()
        if clients:  # else kept until keep_alive runs out: a reload still shows how it ended
            await self._say_ended(clients)
            await self._registry.end(self)

    async def _output(self, text: str) -> None:
        if not text:
            return
        async with self._lock:
            self.remember(text)
            # Awaiting each write is the back-pressure: a flood of output waits for the
            # browser instead of piling up in the server's memory.
            for client in list(self._clients):
                if not await client.send(["stdout", text]):
                    self._clients.discard(client)

    async def _say_ended(self, clients: list[Client]) -> None:
        for client in clients:
            await client.send(["disconnect", 1 if self._exit is None else self._exit])
            client.close()

    async def close(self) -> None:
        """End the process now (an exec is hung up; an attach detaches); clients are told."""
        if self._expiry is not None:
            self._expiry.cancel()
        pump, self._pump = self._pump, None
        # (Not when the pump itself ends the terminal: it would cancel its own last steps.)
        if pump is not None and pump is not asyncio.current_task() and not pump.done():
            pump.cancel()
            await asyncio.wait([pump])  # ended, not only told to: no task outlives its terminal
        retry, self._size_retry = self._size_retry, None
        if retry is not None and not retry.done():
            retry.cancel()
        await self.tty.close()
        async with self._lock:
            clients, self._clients = list(self._clients), set()
        if clients:
            self._exit = await self.tty.exit_code()
            await self._say_ended(clients)


class TerminalSessions:
    """Every kept terminal of this server, by id."""

    def __init__(self, keep_alive: float, log: Any = None) -> None:
        #: Seconds a terminal without a client waits for one before its process is ended.
        self.keep_alive = keep_alive
        self.log = log
        self._terminals: dict[str, KeptTerminal] = {}

    def __contains__(self, terminal: KeptTerminal) -> bool:
        return self._terminals.get(terminal.id) is terminal

    def keep(self, tty: TtySession) -> KeptTerminal:
        terminal = KeptTerminal(self, tty)
        self._terminals[terminal.id] = terminal
        return terminal

    async def end_all(self) -> None:
        """End every kept terminal (the server stops: no shell is left in a container), and
        wait for endings already under way."""
        await asyncio.gather(*(self.end(terminal) for terminal in list(self._terminals.values())))
        if _running:
            await asyncio.wait(list(_running))

    def find(self, session_id: str, container: str) -> KeptTerminal | None:
        """The terminal with this id into this container (another container's id is no key here)."""
        terminal = self._terminals.get(session_id)
        return terminal if terminal is not None and terminal.container == container else None

    async def end(self, terminal: KeptTerminal) -> None:
        """Forget ``terminal`` and end its process (safe to call more than once)."""
        if self._terminals.get(terminal.id) is not terminal:
            return
        del self._terminals[terminal.id]
        try:
            await terminal.close()
        except LabContainerError as exc:  # e.g. Podman went away meanwhile: say so in the log
            if self.log:
                self.log.warning("labcontainer: the terminal into %s may have left its shell running: %s", terminal.container, exc)
            return
        if self.log:
            self.log.info("labcontainer: terminal (%s) into %s closed", terminal.tty.kind, terminal.container)


def _in_background(work: Any) -> None:
    task = asyncio.ensure_future(work)
    _running.add(task)
    task.add_done_callback(_running.discard)


#: Background endings in progress (kept so the tasks are not garbage-collected).
_running: set[asyncio.Task] = set()
