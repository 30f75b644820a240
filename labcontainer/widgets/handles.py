"""Public handles on the panel's parts, for tests and scripts (no browser needed).

A test or a notebook drives the panel the way a user does, through these and never through
its private children::

    panel.row("web").button("Stop").click()
    panel.row("web").button("Remove").click(); panel.question.yes.click()
    panel.run_form.fill(image="python:3.12", command="sleep infinity"); panel.run_form.run_button.click()
    panel.logs.shown_text          # what the Logs box shows
    panel.gpus_text                # what the GPU strip says
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ipywidgets as widgets

from .model import Row


@dataclass(frozen=True)
class RowHandle:
    """One container's row as drawn: its record, its widget and its buttons by label."""

    record: Row
    widget: widgets.Box
    buttons: Mapping[str, widgets.Button]

    @property
    def name(self) -> str:
        return self.record.name

    def button(self, label: str) -> widgets.Button:
        """The row's button labelled ``label`` (Start, Stop, Restart, Remove, Logs)."""
        try:
            return self.buttons[label]
        except KeyError:
            raise KeyError(f"the row of {self.name} has no {label!r} button (it has {', '.join(self.buttons)})") from None

    @property
    def text(self) -> str:
        """The row's cells as the user reads them (name, kernel, image, status...)."""
        return plain_text(cell.value for cell in self.widget.children if isinstance(cell, widgets.HTML))


@dataclass(frozen=True)
class Question:
    """What the panel asks before a removal or a kernel container's stop, and the answers."""

    text: str
    yes: widgets.Button
    no: widgets.Button
    widget: widgets.Box


def plain_text(fragments: Iterable[str]) -> str:
    """HTML fragments as one line of text: a line break becomes a space, other tags go,
    entities are decoded, spaces collapsed."""
    text = " ".join(re.sub(r"<[^>]*>", "", re.sub(r"<br\s*/?>", " ", fragment)) for fragment in fragments)
    return " ".join(html.unescape(text).split())
