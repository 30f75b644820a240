"""A terminal tab's size when Podman does not take it at once (KeptTerminal, no Podman).

A tab sends its size once, as it opens. Podman refuses a resize of an exec it does not yet
count as running, so that first size must be tried again until it is taken: CI saw a browser
terminal of 52 rows whose shell stayed at 80 x 24.
"""

from __future__ import annotations

import asyncio

from labcontainer.server.terminal_sessions import TerminalSessions


class SlowTty:
    """A TtySession whose exec is counted as running only after ``refusals`` resizes."""

    container = "c1"

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.size: tuple[int, int] | None = None
        self.closed = False

    async def resize(self, rows: int, cols: int) -> bool:
        if self.refusals > 0:
            self.refusals -= 1
            return False
        self.size = (rows, cols)
        return True

    async def close(self) -> None:
        self.closed = True


async def _until(check, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_a_size_refused_while_the_exec_starts_is_taken_later() -> None:
    async def scenario() -> None:
        tty = SlowTty(refusals=3)
        terminal = TerminalSessions(keep_alive=60).keep(tty)  # type: ignore[arg-type]
        await terminal.resize(52, 101)
        await _until(lambda: tty.size is not None)
        assert tty.size == (52, 101)
        await terminal.close()

    asyncio.run(scenario())


def test_the_latest_size_wins_and_nothing_is_left_running() -> None:
    async def scenario() -> None:
        tty = SlowTty(refusals=4)
        terminal = TerminalSessions(keep_alive=60).keep(tty)  # type: ignore[arg-type]
        await terminal.resize(52, 101)
        await terminal.resize(30, 90)  # the tab was resized before the first size was taken
        await _until(lambda: tty.size is not None)
        assert tty.size == (30, 90)
        await terminal.close()
        assert tty.closed
        assert all(task.done() for task in asyncio.all_tasks() if task is not asyncio.current_task())

    asyncio.run(scenario())
