"""Background work a REST caller can start is bounded (issue #25, item 7), against a real
server and real Podman: log followers (logstream.MAX_FOLLOWERS) and background pulls
(core.pulls.MAX_BACKGROUND) past their caps answer 429 with the usual JSON error, and a
pull's failure does not tell whether a port on some host is open."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import uuid

import pytest

from labcontainer.core.pulls import MAX_BACKGROUND
from labcontainer.server.logstream import MAX_FOLLOWERS, THREAD_PREFIX

from .test_logs_follow import LogStream, follow  # noqa: F401  (follow: the fixture)


async def eventually(predicate, *, timeout: float = 30.0, message: str):
    """The first truthy value of ``predicate()`` (sync or async), polled without blocking the
    event loop the server under test runs on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {message}")


def follower_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX) and t.is_alive())


async def rest_of(stream: LogStream) -> dict:
    """The body of a non-streaming answer (HTTP/1.0: until the server closes)."""
    return json.loads(await asyncio.wait_for(stream.reader.read(), 30))


async def test_one_follower_past_the_cap_gets_429_and_the_others_go_on(follow, test_image, unique_name, podman_cli):
    name = unique_name()
    podman_cli("run", "-d", "--name", name, test_image, "sh", "-c", "echo ready; exec sleep infinity")
    streams = []
    for _ in range(MAX_FOLLOWERS):
        stream = await follow(name)
        assert stream.status == 200
        streams.append(stream)
    await streams[0].lines_until("ready")
    assert follower_threads() == MAX_FOLLOWERS

    refused = await follow(name)
    assert refused.status == 429 and refused.headers["content-type"].startswith("application/json")
    error = (await rest_of(refused))["error"]
    assert error["kind"] == "TooBusy" and f"already following {MAX_FOLLOWERS} container logs" in error["message"]
    assert follower_threads() == MAX_FOLLOWERS, "the refused request started no thread"

    # The first streams still work: a new line reaches them.
    podman_cli("exec", name, "sh", "-c", "echo still-here > /proc/1/fd/1")
    assert (await streams[0].lines_until("still-here"))[-1] == "still-here"
    assert (await streams[-1].lines_until("still-here"))[-1] == "still-here"

    # A closed Logs tab gives its place back.
    await streams.pop().close()
    await eventually(lambda: follower_threads() < MAX_FOLLOWERS, message="the closed stream's follower to end")
    again = await follow(name)
    assert again.status == 200
    streams.append(again)
    for stream in streams:
        await stream.close()
    await eventually(lambda: follower_threads() == 0, message="every follower gone")


@contextlib.asynccontextmanager
async def listener(on_connect):
    """A TCP port on 127.0.0.1 that runs ``on_connect(reader, writer)`` for each connection."""
    held: list[asyncio.StreamWriter] = []

    async def handle(reader, writer):
        held.append(writer)
        await on_connect(reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()


async def silent(reader, writer):
    """Accepts, then never answers: a pull waits on it (Podman's own timeouts are long)."""
    await reader.read()  # until the client gives up or the test closes the port


async def ssh_like(reader, writer):
    """An open port that is not a registry: it greets in another protocol and hangs up."""
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
    await writer.drain()
    writer.close()


async def failed_row(api, image: str) -> dict:
    async def failed():
        _, answer = await api("GET", "pulls")
        return next((p for p in answer["pulls"] if p["image"] == image and "error" in p), None)

    return await eventually(failed, timeout=120, message=f"the failed pull of {image} listed")


async def test_pulls_past_the_cap_get_429(api):
    async with listener(silent) as address:
        images = [f"{address}/lab/x{uuid.uuid4().hex[:6]}:1" for _ in range(MAX_BACKGROUND + 1)]
        for image in images[:MAX_BACKGROUND]:
            status, body = await api("POST", "images", {"image": image})
            assert status == 202, body
        status, body = await api("POST", "images", {"image": images[-1]})
        assert status == 429, body
        assert body["error"]["kind"] == "TooBusy" and f"already pulling {MAX_BACKGROUND} images" in body["error"]["message"]
        status, body = await api("POST", "images", {"image": images[0]})  # one running already: its row, no new pull
        assert status == 202 and body["pull"]["image"] == images[0] and "error" not in body["pull"]
        _, answer = await api("GET", "pulls")
        assert sorted(p["image"] for p in answer["pulls"]) == sorted(images[:MAX_BACKGROUND])
    # The port closed: the pulls end (failed), and a place is free again.
    for image in images[:MAX_BACKGROUND]:
        await failed_row(api, image)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = f"127.0.0.1:{probe.getsockname()[1]}/lab/x:1"
    status, body = await api("POST", "images", {"image": free})
    assert status == 202, body
    await failed_row(api, free)


async def test_a_failed_pull_does_not_tell_an_open_port_from_a_closed_one(api):
    async with listener(ssh_like) as address:
        image = f"{address}/lab/x:1"
        status, _ = await api("POST", "images", {"image": image})
        assert status == 202
        open_port = (await failed_row(api, image))["error"]
    # The same port, closed now: nothing listens there.
    status, _ = await api("POST", "images", {"image": image})
    assert status == 202
    closed_port = (await failed_row(api, image))["error"]
    assert open_port == closed_port
    assert closed_port["kind"] == "PullFailed"
    assert closed_port["message"].startswith(f"Could not pull '{image}': the registry {address} could not be reached from this server.")
    for revealing in ("refused", "Podman said", "SSH", "tls:", "TLS handshake", "EOF"):
        assert revealing not in closed_port["message"]


@pytest.fixture(autouse=True)
def _no_pull_left(jp_serverapp):
    """Every background pull ended with the test (the listeners are closed by then)."""
    yield
    service = jp_serverapp.web_app.settings["labcontainer_app"].service
    assert all("error" in p.to_json() for p in service.pulls.current()), service.pulls.current()
