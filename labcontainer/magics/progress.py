"""Progress of long operations: a bar in notebooks, text lines in a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from ..core.models import PullProgress


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


@contextmanager
def pull_progress(image: str) -> Iterator[Callable[[PullProgress], None]]:
    """Yield a callback for engine.pull's progress events."""
    if in_notebook():
        import ipywidgets as widgets
        from IPython.display import display

        bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="pull", layout={"width": "50%"})
        label = widgets.Label(value=f"Pulling {image}")
        display(widgets.HBox([bar, label]))

        def report(event: PullProgress) -> None:
            if event.fraction is not None:
                bar.value = event.fraction
            label.value = event.message[:120]
            if event.done:
                bar.bar_style = "success" if event.fraction == 1.0 else "danger"

        yield report
    else:
        last = [""]

        def report(event: PullProgress) -> None:
            if event.message != last[0]:
                percent = f"{event.fraction * 100:3.0f}% " if event.fraction is not None else ""
                print(f"{percent}{event.message}", file=sys.stderr, flush=True)
                last[0] = event.message

        yield report
