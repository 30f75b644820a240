"""Terminal tabs into containers in JupyterLab: from the side panel's row, from a container
kernel's notebook (Kernel menu and toolbar button), from the "Open terminal" button of
`%container exec -it` in a notebook; and a tab that survives a page reload with its shell.
Typed into like a user would.

xterm.js draws on a canvas; with the user's terminal setting ``screenReaderMode`` on (written
here like a user would in Settings) it also keeps each terminal row as text in
``.xterm-accessibility-tree``, which is what these tests read.
"""

from __future__ import annotations

import json

import pytest

from ..conftest import wait_until
from .test_side_panel import lab, page, shot, wait_notebook_connected  # noqa: F401 (lab and page are fixtures)

pytestmark = pytest.mark.browser

TERMINAL_SETTINGS = {"screenReaderMode": True}


def readable_terminals(lab) -> None:  # noqa: F811
    folder = lab.base / "settings" / "@jupyterlab" / "terminal-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.jupyterlab-settings").write_text(json.dumps(TERMINAL_SETTINGS))


def rows(tab) -> list[str]:
    """The terminal's visible rows, as text."""
    return [text.rstrip() for text in tab.locator(".xterm-accessibility-tree > div").all_inner_texts()]


def wait_row(tab, wanted, timeout: float = 30) -> list[str]:
    """Wait until some row satisfies `wanted` (a string: that exact row); answer the rows."""
    check = wanted if callable(wanted) else (lambda row: row == wanted)

    def found() -> list[str] | None:
        now = rows(tab)
        return now if any(check(row) for row in now) else None

    return wait_until(found, timeout=timeout, message=f"a terminal row {wanted!r}")


def type_line(page, tab, text: str) -> None:  # noqa: F811
    tab.locator(".xterm").click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def click_terminal_button_of(browser_page, server, name: str):
    """Open JupyterLab afresh, then the side panel, and click the container's Terminal
    button; returns the container's row."""
    browser_page.goto(f"{server.url}/lab?reset&token={server.token}")
    browser_page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    row = browser_page.locator(f"#labcontainer-panel .lc-Row[data-name='{name}']")
    row.locator("button[data-action='terminal']:not([disabled])").wait_for(timeout=30000)
    row.locator("button[data-action='terminal']").click()
    return row


def test_terminal_from_the_side_panel(lab, page, test_image, unique_name, podman_cli):  # noqa: F811
    name = unique_name("term")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")
    readable_terminals(lab)

    row = click_terminal_button_of(page, lab, name)
    tabs = page.locator(f".lc-TerminalTab[data-container='{name}']")
    tabs.first.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    tab = page.locator(f"[id='{tabs.first.get_attribute('id')}']")
    wait_row(tab, lambda row: row.endswith(("#", "$")))  # bash's prompt

    type_line(page, tab, "echo $((6*7))")
    found = wait_row(tab, "42")
    assert any(row.endswith("echo $((6*7))") for row in found), found
    shot(page, "21-terminal-42")

    # the tab's size reached the process (set_size): the pty has as many rows as xterm shows
    type_line(page, tab, "python3 -c 'import os; print(\"size\", *os.get_terminal_size())'")
    size = next(row for row in wait_row(tab, lambda row: row.startswith("size ")) if row.startswith("size "))
    columns, lines = map(int, size.split()[1:])
    assert lines == len(rows(tab)) and columns > 40, (size, len(rows(tab)))

    # Ctrl-C reaches the foreground process: the sleep ends and the shell answers again
    type_line(page, tab, "sleep 600")
    wait_until(lambda: "sleep 600" in podman_cli("top", name, "args").stdout, message="the sleep to run")
    page.keyboard.press("Control+c")
    wait_until(lambda: "sleep 600" not in podman_cli("top", name, "args").stdout, timeout=15,
               message="Ctrl-C to end the sleep")
    type_line(page, tab, "echo after-$((1+1))")
    wait_row(tab, "after-2")

    # a second terminal on the same container: its own tab and its own shell
    row.locator("button[data-action='terminal']").click()
    wait_until(lambda: tabs.count() == 2, message="a second terminal tab")
    ids = [tabs.nth(i).get_attribute("id") for i in range(2)]
    assert len(set(ids)) == 2, ids
    second = page.locator(f"[id='{next(i for i in ids if i != tab.get_attribute('id'))}']")
    second.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(second, lambda row: row.endswith(("#", "$")))

    # the process ends: the tab says how and stays readable; the first shell lives on
    type_line(page, second, "exit 3")
    wait_row(second, "[process exited with code 3]")
    assert second.is_visible()
    shot(page, "22-terminal-exited")
    first = tab.get_attribute("id")
    page.locator(f".lm-TabBar-tab[data-id='{first}']").click()
    type_line(page, tab, "echo still-$((2*3))")
    wait_row(tab, "still-6")

    # the command palette's "Open Terminal in Container…" asks which running container
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette").first
    palette.locator(".lm-CommandPalette-input").fill("Open Terminal in Container")
    palette.locator(".lm-CommandPalette-item", has_text="Open Terminal in Container…").click()
    page.locator(".jp-Dialog select").select_option(name)
    page.locator(".jp-Dialog button", has_text="Open").click()
    wait_until(lambda: tabs.count() == 3, message="a third terminal tab, from the palette")
    third = page.locator(f"[id='{tabs.nth(2).get_attribute('id')}']")
    third.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(third, lambda row: row.endswith(("#", "$")))
    page.locator(f".lm-TabBar-tab[data-id='{third.get_attribute('id')}'] .lm-TabBar-tabCloseIcon").click()

    # closing the tabs hangs the shells up: no bash is left in the container
    page.locator(f".lm-TabBar-tab[data-id='{first}'] .lm-TabBar-tabCloseIcon").click()
    wait_until(lambda: "bash" not in podman_cli("top", name, "args").stdout, timeout=15,
               message="the closed terminal's shell to end")


def test_terminal_in_a_container_kernels_container(lab, page, test_image, podman_cli):  # noqa: F811
    readable_terminals(lab)
    display_name = "Terminal test kernel"
    lab.api("/labcontainer/api/kernelspecs", "POST", {"image": test_image, "display_name": display_name})

    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(f".jp-LauncherCard[title='{display_name}']").first.click()

    def kernel_idle():
        ours = [k for k in lab.api("/api/kernels") or [] if k["name"].startswith("lc-") and k["execution_state"] == "idle"]
        return ours[0] if ours else None

    kernel = wait_until(kernel_idle, timeout=90, message="the container kernel to be idle")
    wait_notebook_connected(page)
    page.locator(".jp-Notebook").first.click()

    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    page.locator(".lm-Menu-itemLabel", has_text="Open Terminal in This Kernel’s Container").click()
    container = f"lc-kernel-{kernel['id']}"
    tab = page.locator(f".lc-TerminalTab[data-container='{container}']")
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(tab, lambda row: row.endswith(("#", "$")))

    type_line(page, tab, "echo $((6*7)); echo host-$(cat /etc/hostname)")
    found = wait_row(tab, lambda row: row.startswith("host-"))
    assert "42" in found, found
    # the shell is in the kernel's container: Podman names it, and its hostname is its short id
    witness = json.loads(podman_cli("ps", "--filter", f"label=org.labcontainer.kernel-id={kernel['id']}",
                                    "--format", "json").stdout)
    assert witness and witness[0]["Names"] == [container], witness
    assert f"host-{witness[0]['Id'][:12]}" in found, (found, witness)
    shot(page, "23-terminal-in-kernel-container")

    # the notebook's toolbar has the same thing as a button (shown: the kernel is a container kernel)
    page.locator(".lm-TabBar-tab", has_text="Untitled").first.click()  # back to the notebook
    button = page.locator(".jp-NotebookPanel-toolbar .lc-KernelTerminalButton:visible")
    button.click()
    wait_until(lambda: tab.count() == 2, message="a second terminal tab in the kernel's container, from the toolbar")
    second = page.locator(f"[id='{tab.nth(1).get_attribute('id')}']")
    second.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(second, lambda row: row.endswith(("#", "$")))
    type_line(page, second, "echo toolbar-$(cat /etc/hostname)")
    wait_row(second, f"toolbar-{witness[0]['Id'][:12]}")
    shot(page, "24-terminal-from-notebook-toolbar")


def open_python_notebook(lab, page):  # noqa: F811
    """A notebook on the server's own Python kernel, idle and connected."""
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".jp-LauncherCard[data-category='Notebook'][title^='Python 3']").first.click()

    def idle():
        kernels = [k for k in lab.api("/api/kernels") or [] if k["execution_state"] == "idle" and k["connections"] > 0]
        return kernels[0] if kernels else None

    kernel = wait_until(idle, timeout=90, message="the notebook's kernel to be idle")
    wait_notebook_connected(page)
    return kernel


def run_cell(page, code: str) -> None:  # noqa: F811
    page.locator(".jp-Notebook .jp-Cell .cm-content").last.click()
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


def test_open_terminal_button_of_exec_it_in_a_notebook(lab, page, test_image, unique_name, podman_cli):  # noqa: F811
    name = unique_name("offer")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")
    hostname = podman_cli("inspect", "--format", "{{.Config.Hostname}}", name).stdout.strip()
    readable_terminals(lab)
    display_name = "Offer test kernel"  # a container kernel to change to, later
    lab.api("/labcontainer/api/kernelspecs", "POST", {"image": test_image, "display_name": display_name})
    open_python_notebook(lab, page)

    # not a container kernel: the notebook's toolbar has no terminal button
    page.locator(".jp-NotebookPanel-toolbar").first.wait_for(timeout=30000)
    assert page.locator(".jp-NotebookPanel-toolbar .lc-KernelTerminalButton:visible").count() == 0

    run_cell(page, f"%load_ext labcontainer\n%container exec -it {name} bash")
    offer = page.locator(".jp-OutputArea-output .lc-OpenTerminal")
    try:
        offer.wait_for(timeout=60000)
    finally:
        shot(page, "25-open-terminal-offer")
    offer.click()

    tab = page.locator(f".lc-TerminalTab[data-container='{name}']")
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(tab, lambda row: row.endswith(("#", "$")))
    type_line(page, tab, "hostname")
    wait_row(tab, hostname)
    assert "bash" in podman_cli("top", name, "args").stdout  # the command of the offer: bash

    # the notebook changes to a container kernel: its toolbar gets the terminal button
    page.locator(".lm-TabBar-tab", has_text="Untitled").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    page.locator(".lm-Menu-itemLabel", has_text="Change Kernel").click()
    page.locator(".jp-Dialog select").select_option(label=display_name)
    page.locator(".jp-Dialog button", has_text="Select").click()
    page.locator(".jp-NotebookPanel-toolbar .lc-KernelTerminalButton:visible").wait_for(timeout=90000)
    shot(page, "27-toolbar-button-after-kernel-change")


def test_a_terminal_tab_comes_back_after_a_page_reload_with_its_shell(lab, page, test_image, unique_name, podman_cli):  # noqa: F811
    name = unique_name("reload")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")
    readable_terminals(lab)

    click_terminal_button_of(page, lab, name)
    tab = page.locator(f".lc-TerminalTab[data-container='{name}']")
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(tab, lambda row: row.endswith(("#", "$")))
    type_line(page, tab, "export X=42")
    wait_until(lambda: tab.get_attribute("data-session"), message="the tab to know its terminal's session id")
    session = tab.get_attribute("data-session")
    shell = podman_cli("top", name, "pid,args").stdout

    # the layout (with the tab, its session id) is saved on the server before the reload
    def saved():
        data = lab.api("/lab/api/workspaces/default")["data"]
        ours = [key for key, value in data.items() if key.startswith("labcontainer-terminal:") and value["data"]["session"] == session]
        return ours and ours[0] in json.dumps(data["layout-restorer:data"]["main"])

    wait_until(saved, timeout=30, message="the workspace to hold the terminal tab")
    page.goto(f"{lab.url}/lab?token={lab.token}")  # a reload, without ?reset

    tab = page.locator(f".lc-TerminalTab[data-container='{name}']")
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    assert tab.get_attribute("data-session") == session
    wait_row(tab, lambda row: row.endswith("export X=42"))  # what it showed came back too
    type_line(page, tab, "echo x-$X")
    wait_row(tab, "x-42")
    shot(page, "26-terminal-after-reload")
    assert podman_cli("top", name, "pid,args").stdout == shell  # the same shell, no second one

    # closing the restored tab ends the shell at once (the grace period is a minute)
    page.locator(f".lm-TabBar-tab[data-id='{tab.get_attribute('id')}'] .lm-TabBar-tabCloseIcon").click()
    wait_until(lambda: "bash" not in podman_cli("top", name, "args").stdout, timeout=15,
               message="the closed terminal's shell to end")
