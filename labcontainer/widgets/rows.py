"""The panel's container rows: one line per container, with its buttons.

A row's widgets are kept while its record does not change (building ~10 widgets per row on
every refresh made refreshes with hundreds of containers slow). What a button does is the
panel's (``press``): this module only draws.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from .cells import row_cells
from .handles import RowHandle
from .layout import fit_layout, wrapping_row
from .model import Row

#: A row's buttons: label, icon, and whether the row's state allows it.
BUTTONS: tuple[tuple[str, str, Callable[[Row], bool]], ...] = (
    ("Start", "play", lambda row: row.can_start),
    ("Stop", "stop", lambda row: row.can_stop),
    ("Restart", "repeat", lambda row: row.can_restart),
    ("Remove", "trash", lambda row: row.can_remove),
    ("Logs", "file-text", lambda row: True),
)
NO_CONTAINERS = "<i>No containers. Use the form below or <code>%container run -d IMAGE</code>.</i>"


class RowsBox(widgets.VBox):
    """The rows as drawn now (``rows``), each reachable by name (``row(name)``)."""

    def __init__(self, press: Callable[[str, Row], None]) -> None:
        """``press(label, row)``: called when the user clicks a row's button."""
        super().__init__()
        self._press = press
        self._cache: dict[str, RowHandle] = {}
        self.rows: list[Row] = []

    def draw(self, rows: list[Row]) -> None:
        self.children = [self._cached(row).widget for row in rows] or [widgets.HTML(NO_CONTAINERS)]
        self.rows = rows  # after the widgets: whoever reads rows from another thread finds them drawn

    def clear(self) -> None:
        """Draw nothing (another server is about to be shown: none of this one's rows stay)."""
        self.rows = []
        self.children = []
        for handle in self._cache.values():
            handle.widget.close()
        self._cache.clear()

    def row(self, name: str) -> RowHandle:
        """KeyError when no row has that name (the ones shown are named)."""
        if name not in {row.name for row in self.rows}:
            raise KeyError(f"no row for {name!r} (shown: {', '.join(row.name for row in self.rows) or 'none'})")
        return self._cache[name]

    def _cached(self, row: Row) -> RowHandle:
        cached = self._cache.get(row.name)
        if cached is not None and cached.record == row:
            return cached
        if cached is not None:
            cached.widget.close()
        self._cache[row.name] = handle = self._widget(row)
        return handle

    def _widget(self, row: Row) -> RowHandle:
        buttons = []
        for label, icon, enabled in BUTTONS:
            button = widgets.Button(description=label, icon=icon, disabled=not enabled(row), layout=fit_layout())
            button.on_click(lambda _b, label=label: self._press(label, row))
            buttons.append(button)
        # The buttons go on as one group, to a next line when the notebook is narrow,
        # rather than being squeezed to "Res…" beside the fixed-width cells.
        return RowHandle(row, wrapping_row(row_cells(row) + [wrapping_row(buttons)]), {b.description: b for b in buttons})
