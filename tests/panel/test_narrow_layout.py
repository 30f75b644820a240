"""Buttons keep their whole labels when the notebook is narrow (a sidebar open at 1500 px).

What the browser does with these layouts is checked by hand in JupyterLab (see the branch's
report); here the layouts themselves are read from the widget models, as the browser gets them.
"""

from __future__ import annotations

import re

from labcontainer.core.models import ContainerSpec

from ..conftest import wait_until
from .conftest import settled

FIXED_WIDTH = re.compile(r"^\d+(\.\d+)?(px|em|rem)$")


def assert_label_fits(button) -> None:
    layout = button.layout.get_state()
    assert not FIXED_WIDTH.match(layout["width"] or ""), f"{button.description!r} has a fixed width {layout['width']}"
    assert layout["min_width"] == "fit-content", f"{button.description!r} may be squeezed below its label"
    assert layout["flex"] == "0 0 auto", f"{button.description!r} shrinks with its row"


def assert_wraps(box) -> None:
    assert "wrap" in (box.layout.get_state()["flex_flow"] or ""), "a row that cannot wrap squeezes its children"


def test_row_buttons_keep_their_labels_and_the_row_wraps(panel, engine, test_image, unique_name, podman_cli):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
    panel.refresh()
    row = panel.row(name)
    assert_wraps(row.widget)
    buttons = row.buttons
    assert set(buttons) == {"Start", "Stop", "Restart", "Remove", "Logs"}
    groups = [child for child in row.widget.children if set(getattr(child, "children", ())) >= set(buttons.values())]
    assert len(groups) == 1, "the buttons go on to a next line together"
    assert_wraps(groups[0])
    for button in buttons.values():
        assert_label_fits(button)

    # The buttons so laid out still do their work.
    buttons["Restart"].click()
    settled(panel)  # Restart runs in the background (the kernel stays free)
    assert podman_cli.state(name) == "running" and "restart" in panel.status
    panel.row(name).button("Stop").click()
    wait_until(lambda: podman_cli.state(name) == "exited")
    settled(panel)
    panel.row(name).button("Remove").click()
    assert_wraps(panel.question.widget)
    for button in (panel.question.yes, panel.question.no):
        assert_label_fits(button)
    panel.question.yes.click()
    settled(panel)
    assert not podman_cli.exists(name)


def test_form_and_toolbar_buttons_keep_their_labels(panel):
    for button in (panel.refresh_button, panel.run_form.run_button):
        assert_label_fits(button)
