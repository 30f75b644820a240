"""The ipywidgets panel as a lab member meets it: in a notebook on the server's Python kernel,
in Chromium, at JupyterLab's default width (#24 item 8). Its image box starts empty and
fits; no row pushes the notebook sideways; Stop on a container that takes its time answers at
once with "stopping…" while the notebook goes on running cells; the podman CLI is the witness
that the container stopped in the end."""

from __future__ import annotations

import pytest

from ..conftest import wait_until
from .test_side_panel import lab, page, shot, wait_notebook_connected  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

#: Ignores SIGTERM: a stop waits its whole timeout (10 s) before Podman kills it.
SLOW_TO_STOP = "trap '' TERM; while true; do sleep 1; done"


def run_cell(page, code: str) -> None:
    """Type ``code`` into the notebook's last cell and run it (a new cell opens below)."""
    page.locator(".jp-Notebook .jp-Cell .cm-content").last.click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")


def test_the_panel_in_a_notebook_fits_starts_empty_and_stops_without_blocking(lab, page, test_image, unique_name, podman_cli):
    name = unique_name("slow")
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".jp-LauncherCard", has_text="Python 3").first.click()
    wait_notebook_connected(page)
    run_cell(page, f"%load_ext labcontainer\n%container run -d --name {name} {test_image} sh -c \"{SLOW_TO_STOP}\"")
    wait_until(lambda: podman_cli.state(name) == "running", timeout=60, message="the container to run")
    run_cell(page, "import labcontainer\npanel = labcontainer.panel()\npanel")

    output = page.locator(".jp-OutputArea-output", has=page.locator("button.jupyter-button", has_text="Stop"))
    stop = output.locator(".widget-hbox", has_text=name).locator("button.jupyter-button", has_text="Stop").last
    stop.wait_for(timeout=60000)
    shot(page, "40-ipywidgets-panel")

    # The image box starts empty (not the last image pulled) and is wide enough to read.
    image_box = output.locator("input[placeholder^='a local image']")
    assert image_box.input_value() == ""
    assert image_box.bounding_box()["width"] >= 300, image_box.bounding_box()
    # Nothing is wider than the notebook: no horizontal scrollbar at the default width.
    assert output.evaluate("node => node.scrollWidth <= node.clientWidth + 1"), output.evaluate(
        "node => [node.scrollWidth, node.clientWidth]")

    # Stop: the row says so at once, and the kernel is free for the next cell meanwhile.
    stop.click()
    output.locator(".widget-hbox", has_text=name).filter(has_text="stopping…").first.wait_for(timeout=5000)
    run_cell(page, "print(6 * 7)")
    page.locator(".jp-OutputArea-output", has_text="42").first.wait_for(timeout=8000)
    assert podman_cli.state(name) != "exited", "the stop was still under way: the cell ran beside it"
    shot(page, "41-ipywidgets-panel-stopping")
    wait_until(lambda: podman_cli.state(name) == "exited", timeout=60, message="the container to stop")
