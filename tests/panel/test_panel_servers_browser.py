"""The Server dropdown as a lab member meets it: `labcontainer.panel()` in a notebook in
Chromium, with the servers they added with `podman system connection add` (test_panel_servers.py:
``twin``, their own Podman on a socket of its own, and ``down``, which does not answer)."""

from __future__ import annotations

import pytest

from ..browser.test_ipywidgets_panel import run_cell
from ..browser.test_side_panel import lab, page, shot, wait_notebook_connected  # noqa: F401  (fixtures)
from ..conftest import wait_until
from .test_panel_servers import added, twin  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_the_server_dropdown_in_a_notebook_switches_and_shows_an_unreachable_one_in_words(added, lab, page, test_image,  # noqa: F811
                                                                                         unique_name, podman_cli):
    # `added` comes before `lab`: the Jupyter server, and so the notebook's kernel, read the test's connections.
    name = unique_name("servers")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")
    wait_until(lambda: podman_cli.state(name) == "running", timeout=60, message="the container to run")
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".jp-LauncherCard", has_text="Python 3").first.click()
    wait_notebook_connected(page)
    run_cell(page, "import labcontainer\npanel = labcontainer.panel()\npanel")

    output = page.locator(".jp-OutputArea-output", has=page.locator(".widget-dropdown"))
    heading = output.locator("h3")
    heading.filter(has_text="Containers on local").wait_for(timeout=60000)
    select = output.locator(".widget-dropdown select")
    # The background check marks down as unreachable, in words, in its entry.
    select.locator("option", has_text="down — unreachable since").wait_for(state="attached", timeout=30000)

    select.select_option(label="twin")
    heading.filter(has_text="Containers on twin").wait_for(timeout=30000)
    output.locator(".widget-hbox", has_text=name).first.wait_for(timeout=30000)  # twin's containers (its own Podman)

    down = select.locator("option", has_text="down — unreachable").text_content()
    select.select_option(label=down)
    heading.filter(has_text="Containers on down").wait_for(timeout=30000)
    banner = output.locator("div", has_text="The server down is not reachable.").last
    banner.wait_for(timeout=30000)
    assert "cannot be reached over SSH" in banner.text_content()
    assert "Traceback" not in output.text_content()
    assert output.locator(".widget-hbox", has_text=name).count() == 0, "nothing of twin's stays on screen"
    # Nothing is wider than the notebook, the long entry included.
    assert output.evaluate("node => node.scrollWidth <= node.clientWidth + 1"), output.evaluate(
        "node => [node.scrollWidth, node.clientWidth]")
    shot(page, "42-ipywidgets-panel-server-down")

    select.select_option(label="local")
    heading.filter(has_text="Containers on local").wait_for(timeout=30000)
    output.locator(".widget-hbox", has_text=name).first.wait_for(timeout=30000)
    banner.wait_for(state="hidden", timeout=10000)  # the banner goes with its server
    run_cell(page, "panel.close()")
