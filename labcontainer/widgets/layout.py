"""Layouts that survive a narrow notebook (a JupyterLab sidebar open at 1500 px).

ipywidgets gives a button a fixed width and lets an HBox squeeze its children: labels then
end as "Res…". These keep every label whole and let a row wrap instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets


def fit_layout(**extra: str) -> widgets.Layout:
    """As wide as its label, and never squeezed below that by its row."""
    return widgets.Layout(width="auto", min_width="fit-content", flex="0 0 auto", **extra)


def wrapping_row(children: Sequence[widgets.Widget], **extra: str) -> widgets.HBox:
    """A row whose children go on to a next line when the notebook is too narrow."""
    return widgets.HBox(list(children), layout=widgets.Layout(flex_flow="row wrap", align_items="center", **extra))
