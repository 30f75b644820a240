"""The REST API on several servers: ``?connection=NAME`` on every endpoint, ``GET connections``,
and each listing naming the server that answered (a real in-process Jupyter server)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from labcontainer.core.connection import Connection

from ..server.test_terminal import TerminalClient, open_terminal, terminal_url  # noqa: F401 - fixtures
from .conftest import ssh_processes_of


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False}}


@pytest.fixture
def gpu2_added(tmp_path: Path, monkeypatch, gpu2: Connection) -> None:
    """The user added gpu2 with podman before starting the server (its start reads them)."""
    conf = tmp_path / "containers.conf"
    conf.write_text("")
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    subprocess.run(["podman", "system", "connection", "add", "gpu2", gpu2.url or ""], check=True, capture_output=True, timeout=30)
    with socket.socket() as s:  # a port nobody answers on
        s.bind(("127.0.0.1", 0))
        down = f"ssh://gpu2@127.0.0.1:{s.getsockname()[1]}{gpu2.remote_socket}"
    subprocess.run(["podman", "system", "connection", "add", "down", down], check=True, capture_output=True, timeout=30)


@pytest.fixture
def api(gpu2_added, jp_fetch):
    async def call(path: str, **params):
        response = await jp_fetch("labcontainer", "api", *path.split("/"), method="GET", raise_error=False, params=params)
        return response.code, json.loads(response.body.decode())

    return call


async def test_every_listing_names_the_server_that_answered(api, gpu2_cli, gpu2_name, test_image_on_gpu2):
    name = gpu2_name("rest")
    gpu2_cli("run", "-d", "--name", name, test_image_on_gpu2, "sleep", "300")
    status, answer = await api("containers", connection="gpu2")
    assert status == 200 and answer["connection"] == "gpu2"
    assert name in [c["name"] for c in answer["containers"]]
    status, answer = await api("containers")  # absent: the default (CONTAINER_HOST: this machine)
    assert answer["connection"] == "local" and name not in [c["name"] for c in answer["containers"]]
    for path in ("images", "pulls", "status", "gpus"):
        status, answer = await api(path, connection="gpu2")
        assert status == 200 and answer["connection"] == "gpu2", (path, answer)
    _, gpus = await api("gpus", connection="gpu2")
    assert [g["free"] for g in gpus["gpus"]] == [False, True]  # gpu2's nvidia-smi, not this machine's


async def test_an_unknown_connection_is_a_404_naming_the_known_ones(api):
    status, answer = await api("containers", connection="nosuch")
    assert status == 404
    assert "nosuch" in answer["error"]["message"] and "local" in answer["error"]["message"] and "gpu2" in answer["error"]["message"]


async def test_an_unreachable_server_answers_503_naming_it_within_10_s(api):
    started = time.monotonic()
    status, answer = await api("containers", connection="down")
    assert status == 503 and "down" in answer["error"]["message"]
    assert time.monotonic() - started < 10


async def test_get_connections_lists_each_with_its_state(api):
    status, answer = await api("connections")
    assert status == 200
    rows = {c["name"]: c for c in answer["connections"]}
    assert list(rows)[0] == "local" and set(rows) == {"local", "gpu2", "down"}
    assert rows["gpu2"]["state"] == "reachable" and rows["gpu2"]["uri"].startswith("ssh://gpu2@")
    assert rows["down"]["state"].startswith("unreachable since ") and "cannot be reached" in rows["down"]["state"]
    assert answer["default"] == "local" and rows["local"]["default"] and not rows["gpu2"]["default"]


async def test_the_server_stop_closes_every_link(api, jp_serverapp):
    await api("containers", connection="gpu2")
    app = jp_serverapp.web_app.settings["labcontainer_app"]
    folder = app.connections["gpu2"]._podman.link.folder  # noqa: SLF001 - the test looks for its ssh master
    assert ssh_processes_of(folder)
    await app.stop_extension()
    assert not ssh_processes_of(folder)


async def post(jp_fetch, path: str, body: dict):
    response = await jp_fetch("labcontainer", "api", path, method="POST", body=json.dumps(body), raise_error=False)
    return response.code, json.loads(response.body.decode())


async def test_a_kernelspec_for_gpu2_is_checked_there_and_listed_with_its_server(gpu2_added, jp_fetch, jp_data_dir, test_image_on_gpu2):
    status, answer = await post(jp_fetch, "kernelspecs", {"image": test_image_on_gpu2, "connection": "gpu2"})
    assert status == 201, answer
    spec = answer["kernelspec"]
    assert spec["connection"] == ["gpu2"] and spec["name"].endswith("-gpu2") and spec["display_name"].endswith(" on gpu2")
    written = json.loads((jp_data_dir / "kernels" / spec["name"] / "kernel.json").read_text())
    assert written["metadata"]["kernel_provisioner"]["config"]["connection"] == ["gpu2"]
    status, listed = await post(jp_fetch, "kernelspecs", {"image": test_image_on_gpu2})  # the same image here: another kernelspec
    assert status == 201 and listed["kernelspec"]["name"] != spec["name"] and listed["kernelspec"]["connection"] == []


async def test_a_kernelspec_naming_an_unknown_server_or_a_pool_there_is_refused_before_anything_is_written(gpu2_added, jp_fetch, jp_data_dir, test_image_on_gpu2):
    status, answer = await post(jp_fetch, "kernelspecs", {"image": test_image_on_gpu2, "connection": ["gpu2", "nosuch"]})
    assert status == 404 and "nosuch" in answer["error"]["message"] and "gpu2" in answer["error"]["message"]
    status, answer = await post(jp_fetch, "kernelspecs", {"image": test_image_on_gpu2, "connection": "gpu2", "pool": 2})
    assert status == 400 and "this machine only" in answer["error"]["message"]
    assert not list((jp_data_dir / "kernels").glob("lc-*"))  # (pytest-jupyter's own "echo" kernel is there)


async def test_a_terminal_on_gpu2_opens_through_this_servers_websocket(gpu2_added, jp_serverapp, gpu2_cli, gpu2_name, test_image_on_gpu2,
                                                                        open_terminal):
    name = gpu2_name("term")
    gpu2_cli("run", "-d", "--init", "--name", name, test_image_on_gpu2, "sleep", "300")
    term = await open_terminal(name, connection="gpu2")
    await term.type("echo host=$(cat /etc/hostname) sum=$((6*7))\r")
    hostname = gpu2_cli("inspect", "--format", "{{.Config.Hostname}}", name).stdout.strip()
    await term.wait_for(f"host={hostname} sum=42\r\n")  # gpu2's container, through gpu2's link
    await term.type("exit\r")
    assert (await term.until_closed())[-1] == ["disconnect", 0]

    # This machine's server has no such container: the tab says so.
    elsewhere = await open_terminal(name, connection="local")
    said = "".join(m[1] for m in await elsewhere.until_closed() if m[0] == "stdout")
    assert name in said and "42" not in said


async def test_gpu2s_changes_are_pushed_on_its_own_events_socket(gpu2_added, jp_serverapp, http_server_client, jp_http_port, jp_base_url, gpu2_cli, gpu2_name,
                                                                 test_image_on_gpu2):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    from ..server.test_events import EventsClient

    url = f"ws://localhost:{jp_http_port}{jp_base_url}labcontainer/api/events?connection=gpu2"
    connection = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"}))
    client = EventsClient(connection)
    hello = await client.next()
    assert hello["kind"] == "hello" and hello["connection"] == "gpu2"
    name = gpu2_name("ev")
    await asyncio.to_thread(gpu2_cli, "run", "-d", "--init", "--name", name, test_image_on_gpu2, "sleep", "300")
    await asyncio.to_thread(gpu2_cli, "stop", "-t", "0", name)  # gpu2's own CLI: only gpu2's stream can tell
    assert (await client.wait_for(kind="containers", name=name, status="died"))["name"] == name
    connection.close()
