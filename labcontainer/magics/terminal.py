"""Terminals from the magics: ``exec -it``, ``attach`` and ``run -it``.

In terminal IPython the magic *is* the terminal: IPython's own TTY goes raw and is wired to
the service's TtySession (keystrokes in, output out, the size sent on SIGWINCH) until the
program ends or the user detaches with Ctrl-P Ctrl-Q, as podman does. A notebook has no TTY
to give: the magic shows a TerminalOffer instead (the labextension renders a button that
opens the terminal in a tab; elsewhere one line says how to get one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import termios
import threading
import time
import tty
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from IPython.display import display

from ..core.errors import ContainerStateError, LabContainerError
from ..service import LabService, TtySession
from .commands import subcommand
from .render import ExitStatus, TerminalOffer

#: podman's default detach keys: Ctrl-P then Ctrl-Q.
DETACH_FIRST, DETACH_SECOND = 0x10, 0x11
#: Programs that read their input when run with no arguments: without -it they end at once.
READS_STDIN = {"python", "python3", "ipython", "bash", "sh", "zsh", "ash", "dash", "fish", "node", "irb", "R", "julia"}


def on_a_terminal() -> bool:
    """Whether the magic runs in terminal IPython with a real TTY (not in a kernel)."""
    try:
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is not None:  # ipykernel: a notebook's cell
            return False
        return os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # captured or replaced streams have no fd
        return False


def reads_stdin(command: Sequence[str]) -> bool:
    """``python3``, ``bash``, ``sh`` alone (no script, no -c): they wait for input."""
    if len(command) != 1:
        return False
    program = os.path.basename(command[0])
    return program in READS_STDIN or (program.startswith("python3.") and program[8:].isdigit())


class DetachKeys:
    """Finds Ctrl-P Ctrl-Q in what is typed; any other key after Ctrl-P sends both."""

    def __init__(self) -> None:
        self._held = False

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """(the bytes to send on, whether the user detached)."""
        out = bytearray()
        for byte in data:
            if self._held:
                self._held = False
                if byte == DETACH_SECOND:
                    return bytes(out), True
                out.append(DETACH_FIRST)
            if byte == DETACH_FIRST:
                self._held = True
            else:
                out.append(byte)
        return bytes(out), False


@dataclass(frozen=True)
class TerminalEnd:
    detached: bool
    exit_code: int | None = None


def run_on_this_terminal(open_session: Callable[[], Awaitable[TtySession]]) -> TerminalEnd:
    """Wire this process's TTY to a terminal in a container until it ends or Ctrl-P Ctrl-Q."""
    return asyncio.run(_pump(open_session))


async def _pump(open_session: Callable[[], Awaitable[TtySession]]) -> TerminalEnd:
    session = await open_session()
    sys.stdout.flush()
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    loop = asyncio.get_running_loop()
    keys: asyncio.Queue[bytes | None] = asyncio.Queue()
    detach = DetachKeys()

    def typed() -> None:
        try:
            data = os.read(fd_in, 4096)
        except OSError:
            data = b""
        send, detached = detach.feed(data)
        if send:
            keys.put_nowait(send)
        if detached or not data:  # Ctrl-P Ctrl-Q, or our own stdin closed
            keys.put_nowait(None)

    async def copy_in() -> None:
        while (data := await keys.get()) is not None:
            await session.write(data)

    async def copy_out() -> None:
        while chunk := await session.read():
            while chunk:
                chunk = chunk[os.write(fd_out, chunk) :]

    if not session.accepts_input:
        print(f"{session.container} was started without -it: showing its output only; Ctrl-P Ctrl-Q stops watching.", flush=True)
    saved = termios.tcgetattr(fd_in)
    previous_winch = signal.getsignal(signal.SIGWINCH)  # prompt_toolkit's, between prompts
    tasks: list[asyncio.Task] = []
    try:
        tty.setraw(fd_in, termios.TCSANOW)  # not TCSAFLUSH: keys typed ahead still count
        loop.add_reader(fd_in, typed)
        loop.add_signal_handler(signal.SIGWINCH, lambda: tasks.append(loop.create_task(_send_size(session, fd_out))))
        await _send_size(session, fd_out)
        output, typing = loop.create_task(copy_out()), loop.create_task(copy_in())
        tasks += [output, typing]
        await asyncio.wait({output, typing}, return_when=asyncio.FIRST_COMPLETED)
        if typing.done():  # the user detached: an attach leaves the container running
            await session.close()
            return TerminalEnd(detached=True)
        return TerminalEnd(detached=False, exit_code=await _exit_code(session))
    finally:
        loop.remove_reader(fd_in)
        loop.remove_signal_handler(signal.SIGWINCH)
        if previous_winch is not None:
            signal.signal(signal.SIGWINCH, previous_winch)
        termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
        for task in tasks:
            task.cancel()
        await session.close()


async def _send_size(session: TtySession, fd: int) -> None:
    try:
        size = os.get_terminal_size(fd)
        await session.resize(size.lines, size.columns)
    except (OSError, LabContainerError):
        pass  # a size the container cannot take, or a session just ending: keep typing


async def _exit_code(session: TtySession) -> int | None:
    for _ in range(40):  # an attached container is marked exited a moment after its stream ends
        code = await session.exit_code()
        if code is not None or session.kind == "exec":
            return code
        await asyncio.sleep(0.05)
    return None


def interactive(
    service: LabService,
    name: str,
    mode: str,
    command: Sequence[str] = (),
    *,
    user: str | None = None,
    workdir: str | None = None,
    env: Sequence[str] = (),
) -> ExitStatus | None:
    """``exec -it`` / ``attach``: on this TTY in terminal IPython, else a TerminalOffer."""
    if not on_a_terminal():
        if not service.get(name).running:  # say it now, not when the button is pressed
            raise ContainerStateError(
                f"Container '{name}' is not running, so there is nothing to open a terminal in.",
                hint=f"Start it first (`%container start {name}`), then run this again.",
            )
        # The server's terminal websocket opens it on the same server (?connection=).
        display(TerminalOffer(name, "attach" if mode == "attach" else "exec", tuple(command), connection=service.server))
        return None
    waited: dict[str, int] = {}
    if mode == "attach":
        opener = lambda: service.terminals.attach(name)
        # A wait begun while the container runs gets its exit code even when --rm removes
        # it at once (measured on 4.3.1); asked afterwards, the container may be gone.
        # A daemon: after a detach it just waits on with the container.
        threading.Thread(target=_wait_for, args=(service, name, waited), daemon=True).start()
    else:
        opener = lambda: service.terminals.open_exec(name, command, user=user, workdir=workdir, env=env)
    end = run_on_this_terminal(opener)
    if end.detached:
        if mode == "attach":
            print(f"\r\nDetached from {name}; it is still running. `%container attach {name}` to come back.")
        else:
            print(f"\r\nClosed the terminal in {name} (Ctrl-P Ctrl-Q); what ran in it was hung up.")
        return None
    code = end.exit_code
    if mode == "attach":
        for _ in range(100):  # the wait answers a moment after the stream ends
            if "code" in waited:
                break
            time.sleep(0.05)
        code = waited.get("code", code)
    return ExitStatus(exit_code=-1 if code is None else code, container=name)


def _wait_for(service: LabService, name: str, into: dict[str, int]) -> None:
    try:
        into["code"] = service.wait(name)
    except LabContainerError:
        pass  # gone or unreachable: the session's own answer stands


attach = subcommand("attach", "Type into a container's own terminal (its main process); Ctrl-P Ctrl-Q detaches.")
attach.add_argument("name", help="container name or id")


@attach.runs
def do_attach(service: LabService, args: argparse.Namespace) -> ExitStatus | None:
    return interactive(service, args.name, "attach")
