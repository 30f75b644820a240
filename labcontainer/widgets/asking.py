"""The panel's question before something that cannot be undone (a removal, a kernel's stop)."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from .handles import Question, plain_text
from .layout import fit_layout


class AskBox(widgets.HBox):
    """One question at a time, with a Yes and a Cancel button; hidden when it asks nothing."""

    def __init__(self, run: Callable[[Callable[[], None]], None]) -> None:
        """``run(action)``: how an answer's action runs (the panel's, errors to its status line)."""
        super().__init__(layout=widgets.Layout(display="none", flex_flow="row wrap", align_items="center"))
        self._run = run
        self._question: Question | None = None

    def ask(self, question: str, yes_label: str, on_yes: Callable[[], None], on_no: Callable[[], None]) -> None:
        yes = widgets.Button(description=yes_label, button_style="danger", layout=fit_layout())
        no = widgets.Button(description="Cancel", layout=fit_layout())
        yes.on_click(lambda _b: self._run(self._answered(on_yes)))
        no.on_click(lambda _b: self._run(self._answered(on_no)))
        self.children = [widgets.HTML(question), yes, no]
        self.layout.display = "flex"
        self._question = Question(plain_text([question]), yes, no, self)

    @property
    def question(self) -> Question | None:
        return None if self.layout.display == "none" else self._question

    def _answered(self, action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            self.layout.display = "none"
            action()

        return run
