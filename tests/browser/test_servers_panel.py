"""Several servers in the side panel, in Chromium (#21, panels): a lab member who added a
second Podman connection sees one section per server, the default one open and the other
closed (and not asked) until opened; a row's action goes to its own server, its terminal too
(the terminal socket's ?connection=); the kernel form's *Server* select puts the server in
the kernelspec.

Without sshd, the second server is this user's own rootless socket under another name,
added with `podman system connection add` exactly as a user adds one: a unix:// connection
is served like any other.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ..conftest import wait_until
from .test_side_panel import Lab, page, shot  # noqa: F401 (page is a fixture)
from .test_terminal import readable_terminals, type_line, wait_row

pytestmark = pytest.mark.browser


@pytest.fixture
def twin_lab(tmp_path, monkeypatch, podman_url):
    """A jupyter lab whose user has a second connection, `twin`, to the same Podman service."""
    conf = tmp_path / "containers.conf"
    current = os.environ.get("CONTAINERS_CONF")
    conf.write_text(Path(current).read_text() if current and Path(current).is_file() else "")
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))  # before the server starts: it reads the connections then
    subprocess.run(["podman", "system", "connection", "add", "twin", podman_url], check=True, capture_output=True)
    base = tmp_path / "lab"
    base.mkdir()
    lab = Lab(base)
    yield lab
    lab.stop()


def test_each_server_has_its_section_and_its_rows_act_on_it(twin_lab, page, test_image, unique_name, podman_cli):  # noqa: F811
    lab = twin_lab
    servers = lab.api("/labcontainer/api/connections")
    assert [c["name"] for c in servers["connections"]] == ["local", "twin"], servers
    assert servers["default"] == "local", servers  # CONTAINER_HOST is set: it wins over the default connection
    name = unique_name("twin")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")

    readable_terminals(lab)
    asked: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    panel = page.locator("#labcontainer-panel")
    local = panel.locator(".lc-Server[data-connection='local']")
    twin = panel.locator(".lc-Server[data-connection='twin']")
    local.locator(".lc-Status.lc-ok").wait_for(timeout=30000)
    local.locator(f".lc-Row[data-name='{name}']").wait_for(timeout=30000)
    assert local.locator(".lc-ServerHeader").get_attribute("aria-expanded") == "true"
    assert twin.locator(".lc-ServerHeader").get_attribute("aria-expanded") == "false"
    assert twin.locator(".lc-ServerBody").is_hidden()
    assert not [url for url in asked if "connection=twin" in url], "a closed section asks nothing"
    assert local.locator(f".lc-Row[data-name='{name}'] button[data-action='terminal']").is_enabled()
    shot(page, "40-servers-two-sections")

    # Open the other server's section: its rows come from it, and act on it.
    twin.locator(".lc-ServerHeader").click()
    row = twin.locator(f".lc-Row[data-name='{name}']")
    row.wait_for(timeout=30000)
    shot(page, "41-servers-twin-open")
    # Its change notices come on its own events socket (the server follows twin's Podman).
    wait_until(lambda: any("/labcontainer/api/events" in url and "connection=twin" in url for url in sockets), timeout=30,
               message="twin's events socket")
    # Its Terminal opens a shell through the terminal socket, on twin.
    row.locator("button[data-action='terminal']:not([disabled])").click()
    tab = page.locator(f".lc-TerminalTab[data-container='{name}']").first
    tab.locator(".xterm-accessibility-tree").wait_for(timeout=30000)
    wait_row(tab, lambda line: line.endswith(("#", "$")))
    type_line(page, tab, "echo $((6*7))")
    wait_row(tab, "42")
    assert sockets and all("connection=twin" in url for url in sockets if f"/containers/{name}/terminal" in url), sockets
    row.locator("button[data-action='stop']").click()
    wait_until(lambda: podman_cli.state(name) == "exited", timeout=30, message="the container to stop")
    stops = [url for url in asked if f"/containers/{name}/stop" in url]
    assert stops and all("connection=twin" in url for url in stops), stops
    row.locator("button[data-action='logs']").click()
    page.locator(".lm-TabBar-tab", has_text=f"Logs: {name} on twin").wait_for(timeout=30000)
    wait_until(lambda: [url for url in asked if f"/containers/{name}/logs" in url], timeout=30, message="the log to be asked for")
    logs = [url for url in asked if f"/containers/{name}/logs" in url]
    assert all("connection=twin" in url for url in logs), logs

    # The kernel form's Server select: the default chosen, the choice sent as `connection`.
    select = panel.locator(".lc-ServerSelect")
    assert select.is_visible()
    assert select.evaluate("node => Array.from(node.options, option => option.value)") == ["local", "twin"]
    assert select.input_value() == "local"
    select.select_option("twin")
    panel.locator(f".lc-Image option[value='{test_image}']").wait_for(state="attached", timeout=30000)
    panel.locator(".lc-Image").select_option(test_image)
    panel.locator(".lc-DisplayName").fill("On the twin server")
    panel.locator(".lc-CreateKernel").click()
    panel.locator(".lc-FormMessage.lc-ok").wait_for(timeout=30000)
    panel.locator(".lc-Kernelspec .lc-KernelServer", has_text="on twin").wait_for(timeout=30000)
    shot(page, "42-servers-kernel-form")
    specs = {spec["display_name"]: spec for spec in lab.api("/labcontainer/api/kernelspecs")["kernelspecs"]}
    assert specs["On the twin server"]["connection"] == ["twin"], specs
