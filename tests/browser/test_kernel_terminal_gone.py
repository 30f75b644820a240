"""A container kernel's terminal tab in Chromium (#24 items 3 and 6): titled for the kernel's
notebook, not ``lc-kernel-<uuid>``; after the kernel is shut down and the page reloads, the
restored tab says the kernel was shut down and offers nothing (Enter starts nothing)."""

from __future__ import annotations

import json

import pytest

from ..conftest import wait_until
from .test_side_panel import lab, page, shot  # noqa: F401 (lab and page are fixtures)
from .test_terminal import readable_terminals, wait_row

pytestmark = pytest.mark.browser


def title_of(page, tab) -> str:  # noqa: F811
    return page.locator(f".lm-TabBar-tab[data-id='{tab.get_attribute('id')}'] .lm-TabBar-tabLabel").inner_text()


def test_a_kernels_terminal_is_named_for_its_notebook_and_says_when_the_kernel_is_gone(lab, page, test_image, podman_cli):  # noqa: F811
    readable_terminals(lab)
    lab.api("/labcontainer/api/kernelspecs", "POST", {"image": test_image, "name": "lc-terminal-gone"})
    session = lab.api("/api/sessions", "POST", {"path": "train.ipynb", "type": "notebook", "kernel": {"name": "lc-terminal-gone"}})
    container = f"lc-kernel-{session['kernel']['id']}"
    wait_until(lambda: podman_cli("container", "exists", container, check=False).returncode == 0, timeout=90,
               message="the kernel's container")

    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    row = page.locator(f"#labcontainer-panel .lc-Row[data-name='{container}']")
    row.locator("button[data-action='terminal']:not([disabled])").wait_for(timeout=60000)
    row.locator("button[data-action='terminal']").click()
    tab = page.locator(f".lc-TerminalTab[data-container='{container}']")
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(tab, lambda line: line.endswith(("#", "$")))
    assert title_of(page, tab) == "Terminal kernel of train.ipynb"
    shot(page, "28-kernel-terminal-named-for-its-notebook")

    # The layout (with the tab and its session id) is saved before the kernel goes.
    wait_until(lambda: tab.get_attribute("data-session"), message="the tab to know its terminal's session id")
    terminal = tab.get_attribute("data-session")

    def saved():
        data = lab.api("/lab/api/workspaces/default")["data"]
        ours = [key for key, value in data.items() if key.startswith("labcontainer-terminal:") and value["data"]["session"] == terminal]
        return ours and ours[0] in json.dumps(data["layout-restorer:data"]["main"])

    wait_until(saved, timeout=30, message="the workspace to hold the terminal tab")

    lab.api(f"/api/sessions/{session['id']}", "DELETE")  # the notebook's kernel is shut down
    wait_row(tab, lambda line: line.startswith("[process exited with code"))
    wait_until(lambda: podman_cli("container", "exists", container, check=False).returncode != 0, timeout=60,
               message="the kernel's container to go")

    page.goto(f"{lab.url}/lab?token={lab.token}")  # a reload: the tab comes back, asks for its terminal
    tab = page.locator(f".lc-TerminalTab[data-container='{container}']")
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    shown = wait_row(tab, "[Nothing more can run in this tab: close it.]")
    text = " ".join(shown)
    assert "The kernel this terminal was in has been shut down" in text, shown
    assert "Press Enter" not in text and "no longer there" not in text, shown
    shot(page, "29-kernel-terminal-after-shutdown")

    # (Enter then starts nothing: the jest test of the connection counts its sockets.)
    assert title_of(page, tab) == "Terminal kernel of train.ipynb"  # restored with its name
