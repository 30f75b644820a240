"""Progress of long operations: a bar in notebooks, text lines in a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from ..core.models import PullProgress
from ..core.timefmt import human_bytes


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def describe(event: PullProgress) -> str:
    """One line for a pull step: the step, then bytes, speed and time left when Podman
    has reported byte counts (``45% Downloading f5ce...: ... · 27.0 MB of 60.0 MB, 9.1 MB/s, 4 s left``)."""
    if event.done or not event.total:
        return event.message
    parts = [f"{human_bytes(event.downloaded)} of {human_bytes(event.total)}"]
    if event.speed:
        parts.append(f"{human_bytes(int(event.speed))}/s")
    if event.eta is not None:
        parts.append(f"{event.eta:.0f} s left")
    percent = f"{event.fraction * 100:3.0f}% " if event.fraction is not None else ""
    return f"{percent}{event.message} · {', '.join(parts)}"


class PullInterrupted(KeyboardInterrupt):
    """The user interrupted a pull (the kernel's interrupt, or Ctrl-C in a terminal).

    Still a KeyboardInterrupt, so the cell stops as any interrupted cell does (a "Run All"
    goes no further); IPython and ipykernel show its ``_render_traceback_``: one line,
    no traceback."""

    def __init__(self, image: str, kept: bool = False) -> None:
        self.image = image
        self.kept = kept
        super().__init__(self.line())

    def line(self) -> str:
        if self.kept:
            # Podman had finished before the interrupt arrived: say so rather than pretend.
            return f"pull of {self.image} interrupted, but it had already finished: the image is here"
        return f"pull of {self.image} interrupted; nothing was kept"

    def _render_traceback_(self) -> list[str]:
        return [self.line()]


@contextmanager
def pull_progress(image: str) -> Iterator[Callable[[PullProgress], None]]:
    """Yield a callback for engine.pull's progress steps; the last one is the summary."""
    if in_notebook():
        import ipywidgets as widgets
        from IPython.display import display

        bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="pull", layout={"width": "50%"})
        label = widgets.Label(value=f"Pulling {image}")
        display(widgets.HBox([bar, label]))

        def report(event: PullProgress) -> None:
            if event.fraction is not None:
                bar.value = event.fraction
            label.value = describe(event)[:160]
            if event.done:
                bar.bar_style = "success" if event.fraction == 1.0 else "danger"

        yield report
    else:
        last = [""]

        def report(event: PullProgress) -> None:
            if event.done and event.fraction != 1.0:
                return  # failed or interrupted: the error that follows says so, in full
            line = describe(event)
            if line != last[0]:
                print(line, file=sys.stderr, flush=True)
                last[0] = line

        yield report
