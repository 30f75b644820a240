"""The ipywidgets panel over several servers (issue #21): a lab member who added servers with
`podman system connection add` picks one in the panel's *Server* dropdown, and the panel's
tables, buttons, Logs box and live updates all go to that server.

The servers are added exactly as a user adds them, into a containers.conf of this test
(``CONTAINERS_CONF``): ``twin`` is the user's own rootless Podman served on a socket of its
own (a unix:// connection is served like any other), whose log records every request it
answers (the witness of which server the panel asked); ``down`` is an ssh:// server on a port
nobody answers on. The podman CLI is the witness of the connections and of the containers.
"""

from __future__ import annotations

import getpass
import html
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.core.errors import ServiceUnavailable
from labcontainer.magics import ContainerMagics
from labcontainer.service import ConnectionState, Services, open_service
from labcontainer.widgets import ContainerPanel
from labcontainer.widgets.servers import LABEL_LIMIT, server_label

from ..conftest import start_private_service, wait_until
from .conftest import settled

AN_HOUR = 3600.0


@pytest.fixture
def twin():
    """The user's own rootless Podman on a socket of its own, logging every request it answers."""
    service = start_private_service(log_level="debug")
    yield service
    service.stop()
    shutil.rmtree(service.directory, ignore_errors=True)


@pytest.fixture
def added(twin, tmp_path: Path, monkeypatch) -> None:
    """`twin` and `down` added with `podman system connection add`, into this test's own
    containers.conf (a copy of the suite's: runtime and ulimits stay as set up)."""
    conf = tmp_path / "containers.conf"
    suite_conf = os.environ.get("CONTAINERS_CONF")
    conf.write_text(Path(suite_conf).read_text() if suite_conf else "")
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    podman("system", "connection", "add", "twin", twin.url)
    with socket.socket() as s:  # a port nobody answers on
        s.bind(("127.0.0.1", 0))
        down = f"ssh://{getpass.getuser()}@127.0.0.1:{s.getsockname()[1]}/run/user/{os.getuid()}/podman/podman.sock"
    podman("system", "connection", "add", "down", down)


@pytest.fixture
def servers(added, service):
    """Every server the user has, as the magics build them: this machine's service first."""
    made = Services(open_service, service)
    yield made
    made.close()


def podman(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """The podman CLI with the test's connections (and the suite's CONTAINER_HOST, if any)."""
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True, timeout=timeout)


def cli_connections() -> dict[str, bool]:
    """`podman system connection ls`: each connection and whether it is the default."""
    out = podman("system", "connection", "ls", "--format", "{{.Name}} {{.Default}}").stdout
    return {name: default == "true" for name, default in (line.split() for line in out.splitlines() if line.strip())}


def entries(panel: ContainerPanel) -> dict[str, str]:
    """The Server dropdown's entries: connection name → what the user reads."""
    return {value: label for label, value in panel.server_picker.options}


def asked(twin, path: str, since: int = 0) -> bool:
    """Whether twin's Podman answered a request to PATH (its debug log names each one),
    after the log's first ``since`` characters."""
    return path in twin.log.read_text(errors="replace")[since:]


def log_mark(twin) -> int:
    return len(twin.log.read_text(errors="replace"))


def test_the_dropdown_lists_every_connection_and_says_which_do_not_answer(servers):
    panel = ContainerPanel(servers=servers, auto_refresh=False)
    try:
        assert panel.server_picker.layout.display != "none"
        listed = list(entries(panel))  # this machine first, then the connections, as Services orders them
        assert listed[0] == "local" and set(listed[1:]) == set(cli_connections()) == {"twin", "down"}
        # The suite sets CONTAINER_HOST (this machine's service): the podman CLI would use it.
        assert panel.server == panel.server_picker.value == "local"
        assert panel.title == "Containers on local"
        wait_until(lambda: "unreachable" in entries(panel)["down"], timeout=20, message="the dropdown to say down does not answer")
        assert entries(panel)["down"].startswith("down — unreachable since ")
        assert entries(panel)["twin"] == "twin" and entries(panel)["local"] == "local"
        assert panel.server_picker.value == "local", "relabelling is not a choice"
    finally:
        panel.close()


def test_without_container_host_it_opens_on_the_default_connection_as_the_cli_does(added, service, monkeypatch):
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    monkeypatch.delenv("CONTAINER_CONNECTION", raising=False)
    (default,) = [name for name, is_default in cli_connections().items() if is_default]  # Podman 4.3: the first added
    servers = Services(open_service, service)
    panel = ContainerPanel(servers=servers, auto_refresh=False)
    try:
        assert panel.server == panel.server_picker.value == default
        assert panel.title == f"Containers on {default}"
    finally:
        panel.close()
        servers.close()


def test_with_one_server_there_is_no_dropdown(service, tmp_path, monkeypatch):
    conf = tmp_path / "containers.conf"
    conf.write_text(Path(os.environ["CONTAINERS_CONF"]).read_text() if os.environ.get("CONTAINERS_CONF") else "")
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    servers = Services(open_service, service)
    panel = ContainerPanel(servers=servers, auto_refresh=False)
    try:
        assert panel.server_picker.layout.display == "none" and panel.title == "Containers"
        assert "A100" in panel.gpus_text  # this machine's service, as before
    finally:
        panel.close()
        servers.close()


def test_choosing_twin_moves_tables_actions_logs_and_live_updates_there(servers, twin, test_image, unique_name, podman_cli):
    panel = ContainerPanel(servers=servers, heartbeat=AN_HOUR)
    panel._repr_mimebundle_()  # displayed, as in a notebook: it follows the shown server's events
    try:
        wait_until(lambda: panel.refresh_reasons["reconnected"] >= 1, message="the follower to reach this machine's Podman")
        assert "A100" in panel.gpus_text  # this machine's recorded GPUs
        local_followers = panel.follower_threads
        assert not asked(twin, "/events"), "nothing asked twin before it was chosen"

        panel.server_picker.value = "twin"
        assert panel.server == "twin" and panel.title == "Containers on twin"
        assert "A100" not in panel.gpus_text, "the GPU strip is twin's own reading"
        wait_until(lambda: not any(t.is_alive() for t in local_followers), message="the first server's follower to end")
        wait_until(lambda: panel.refresh_reasons["reconnected"] >= 2, message="the follower to reach twin")
        assert asked(twin, "/events") and asked(twin, "/containers/json") and asked(twin, "/images/json")

        # Live: a container started in a terminal shows up without Refresh, through twin's events.
        name = unique_name()
        podman_cli("run", "-d", "--init", "--name", name, test_image, "sleep", "infinity")
        wait_until(lambda: name in [r.name for r in panel.rows], message="twin's event to bring the new row")

        # Logs and Stop go to twin (a log on this machine is read from its file, once twin said where).
        mark = log_mark(twin)
        panel.row(name).button("Logs").click()
        wait_until(lambda: asked(twin, f"/containers/{name}/json", since=mark), message="twin to be asked for the logs")
        mark = log_mark(twin)
        panel.row(name).button("Stop").click()
        settled(panel)
        assert podman_cli.state(name) == "exited" and asked(twin, f"/containers/{name}/stop", since=mark)
        mark, made = log_mark(twin), unique_name("form")
        panel.set_form(image=test_image, name=made, command="sleep infinity")
        panel.run_form.run_button.click()
        assert podman_cli.state(made) == "running" and asked(twin, "/containers/create", since=mark), panel.status

        # twin goes away: the panel says so by itself (its follower reads twin), naming twin.
        twin.stop()
        wait_until(lambda: "The server twin is not reachable." in panel.banner, timeout=20, message="the banner to name twin")
        twin.start()
        wait_until(lambda: panel.banner == "", timeout=20, message="the banner to go once twin is back")

        panel.server_picker.value = "local"
        assert panel.title == "Containers on local" and "A100" in panel.gpus_text
        wait_until(lambda: panel.refresh_reasons["reconnected"] >= 4, message="the follower to reach this machine again")
        assert len(panel.follower_threads) == 2, "one follower: the shown server's"
    finally:
        panel.close()


def test_an_unreachable_server_is_one_paragraph_and_switching_back_works(servers, test_image, unique_name, podman_cli):
    name = unique_name()
    podman_cli("run", "-d", "--init", "--name", name, test_image, "sleep", "infinity")
    panel = ContainerPanel(servers=servers, auto_refresh=False)
    try:
        assert name in [r.name for r in panel.rows]
        started = time.monotonic()
        panel.server_picker.value = "down"
        assert time.monotonic() - started < 10, "an unreachable server fails within 10 s"
        assert panel.title == "Containers on down"

        banner = panel.banner
        with pytest.raises(ServiceUnavailable) as caught:  # what down's service says, asked again
            servers.get("down").containers(all=True)
        words = html.escape(str(caught.value))
        assert "down" in words and "cannot be reached over SSH" in words
        # One paragraph: ours, then the error's own words on their own line, then what to do.
        assert "<b>The server down is not reachable.</b><br>" + words + "<br>" in banner, banner
        assert "Traceback" not in banner and panel.status == "", "said once, in the banner"
        assert panel.rows == [] and panel.gpus_text == "", "nothing of the other server's stays on screen"
        cli_env = {k: v for k, v in os.environ.items() if k != "CONTAINER_HOST"}  # it would win over -c
        assert subprocess.run(["podman", "-c", "down", "ps"], capture_output=True, timeout=30, env=cli_env).returncode != 0  # the CLI agrees

        panel.server_picker.value = "local"
        assert panel.banner == "" and panel.title == "Containers on local"
        assert name in [r.name for r in panel.rows] and "A100" in panel.gpus_text
        panel.row(name).button("Stop").click()
        settled(panel)
        assert podman_cli.state(name) == "exited"
    finally:
        panel.close()


def test_percent_container_panel_opens_on_the_default_and_dash_c_on_that_server(added, service):
    magics = ContainerMagics(InteractiveShell.instance(), service=service)
    shown = magics.container("panel")
    on_twin = magics.container("-c twin panel")
    try:
        assert isinstance(shown, ContainerPanel) and shown.server == "local" and set(entries(shown)) == {"local", "twin", "down"}
        assert on_twin.server == "twin" and on_twin.title == "Containers on twin" and "A100" not in on_twin.gpus_text
        with pytest.raises(UsageError, match="no Podman connection named 'nosuch' \\(known here: local, .*twin"):
            magics.container("-c nosuch panel")
        with pytest.raises(UsageError, match="unrecognized arguments: extra"):
            magics.container("panel extra")
    finally:
        shown.close()
        on_twin.close()
        magics.servers().close()


def test_a_long_reason_is_cut_to_fit_the_dropdown():
    why = "unreachable since 12:03: The server gpu3 (gpu3.lab:22) cannot be reached over SSH: " + "no route to host " * 8
    label = server_label(ConnectionState("gpu3", "ssh://ada@gpu3.lab/run/user/1000/podman/podman.sock", False, why))
    assert label.startswith("gpu3 — unreachable since 12:03: The server gpu3") and label.endswith("…")
    assert len(label) <= LABEL_LIMIT
    assert server_label(ConnectionState("gpu2", "ssh://ada@gpu2.lab/x.sock", True, "reachable")) == "gpu2"
