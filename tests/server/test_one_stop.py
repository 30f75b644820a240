"""The server's one stop ends everything labcontainer began while it ran.

A real Jupyter server (in-process) with the extension: a side panel listens to events, a
kernelspec keeps a kernel waiting in its pool, a terminal into a container is kept for its
page, the tender runs. Then the server's stop runs its extensions' stop (what SIGTERM, a
confirmed Ctrl-C or a clean stop run) and no labcontainer thread or asyncio task is left.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

import labcontainer
from labcontainer.kernels import pool, records
from labcontainer.kernels.kernelspecs import install_kernelspec, remove_kernelspec

#: A bound on waiting, so a broken start fails the test instead of hanging it.
PATIENCE = 60.0
POOLED = "lc-stop-pooled"
PACKAGE = str(Path(labcontainer.__file__).parent)


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False},
        "LabContainer": {"terminal_keep_alive": 600.0},  # kept for its page all through the test
    }


@pytest.fixture
def pooled_kernelspec(jp_environ, jp_data_dir, test_image):
    """A kernelspec with a pool, there before the server starts (request it before jp_serverapp)."""
    install_kernelspec(test_image, name=POOLED, pool=1)
    yield POOLED
    remove_kernelspec(POOLED)


def labcontainer_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("labcontainer") and t.is_alive())


def labcontainer_tasks() -> list[str]:
    """Unfinished asyncio tasks running labcontainer's own code."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and code.co_filename.startswith(PACKAGE) and not task.done():
            found.append(code.co_qualname)
    return sorted(found)


async def until(predicate, message: str) -> None:
    for _ in range(int(PATIENCE * 10)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {PATIENCE} s waiting for {message}")


async def test_the_servers_stop_leaves_no_labcontainer_thread_or_task(
    pooled_kernelspec, jp_serverapp, http_server_client, jp_http_port, jp_base_url, podman_cli, test_image, unique_name
):
    app = jp_serverapp.web_app.settings["labcontainer_app"]
    token = {"Authorization": f"token {jp_serverapp.identity_provider.token}"}
    base = f"ws://localhost:{jp_http_port}{jp_base_url}labcontainer/api"

    # A side panel listens to events: the follower thread runs.
    events = await websocket_connect(HTTPRequest(f"{base}/events", headers=token))
    assert json.loads(await events.read_message())["kind"] == "hello"
    await until(lambda: any(n.startswith("labcontainer-events") for n in labcontainer_threads()), "the events follower")

    # The kernelspec's pool has its kernel waiting.
    state_dir = records.default_state_dir()
    await until(lambda: [m for m in pool.load_members(state_dir) if m.waiting], "a kernel waiting in the pool")

    # A terminal into a container, whose page went away: kept (its output read all along).
    name = unique_name()
    await asyncio.to_thread(podman_cli, "run", "-d", "--init", "--name", name, test_image, "sleep", "infinity")
    terminal = await websocket_connect(HTTPRequest(f"{base}/containers/{name}/terminal", headers=token))
    assert json.loads(await terminal.read_message())[0] == "setup"
    terminal.close()
    assert labcontainer_tasks(), "a kept terminal reads its output in a task"
    assert "labcontainer-tender" in labcontainer_threads()

    await jp_serverapp.cleanup_extensions()  # the server's stop: every extension app's stop_extension

    assert labcontainer_threads() == []
    assert labcontainer_tasks() == []
    assert app.pools is not None and pool.load_members(state_dir) == []  # the waiting kernel went too
    processes = (await asyncio.to_thread(podman_cli, "top", name, "comm")).stdout.split()[1:]
    assert [p for p in processes if p not in ("catatonit", "podman-init", "sleep")] == [], "the terminal's shell outlived the stop"
