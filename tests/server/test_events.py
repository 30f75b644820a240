"""Pushed change notices (the events websocket) against a real Jupyter server and real Podman.

The podman CLI does the changing, as a user in a terminal would, so the notice can only come
from Podman's own event stream; no timing is asserted beyond a generous bound on waiting.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import urllib.parse

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from labcontainer.server.events import THREAD_NAME
from labcontainer.service import LabService, set_default_service

from ..conftest import start_private_service

#: A bound on waiting for a notice, so a broken follower fails the test instead of hanging it.
PATIENCE = 30.0


class EventsClient:
    """What the side panel does with the socket: read notices."""

    def __init__(self, connection: WebSocketClientConnection) -> None:
        self.connection = connection
        self.seen: list[dict] = []

    async def next(self) -> dict:
        raw = await asyncio.wait_for(self.connection.read_message(), PATIENCE)
        assert raw is not None, f"the server closed the events socket; it had sent {self.seen}"
        message = json.loads(raw)
        self.seen.append(message)
        return message

    async def wait_for(self, **fields: object) -> dict:
        """Read until a message with these fields comes (others may come before it)."""
        try:
            while True:
                message = await self.next()
                if all(message.get(key) == value for key, value in fields.items()):
                    return message
        except asyncio.TimeoutError:
            raise AssertionError(f"no message with {fields} after {PATIENCE} s; got {self.seen}") from None


@pytest.fixture
def events_url(http_server_client, jp_http_port, jp_base_url):
    return f"ws://localhost:{jp_http_port}{jp_base_url}labcontainer/api/events"


@pytest.fixture
def connect_events(jp_serverapp, events_url):
    """Connect as the logged-in user (token); the first message is the hello."""
    opened: list[WebSocketClientConnection] = []

    async def connect() -> EventsClient:
        request = HTTPRequest(events_url, headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"})
        connection = await websocket_connect(request)
        opened.append(connection)
        client = EventsClient(connection)
        assert (await client.next())["kind"] == "hello"
        return client

    yield connect
    for connection in opened:
        connection.close()


def follower_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME) and t.is_alive()]


async def until(predicate, message: str) -> None:
    """Wait (without blocking the server, which runs on this loop) until ``predicate()``."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        await asyncio.sleep(0.05)


async def started(podman_cli, test_image, name: str) -> None:
    await asyncio.to_thread(podman_cli, "run", "-d", "--init", "--name", name, test_image, "sleep", "infinity")


async def test_a_container_stopped_with_the_cli_is_announced_to_every_open_panel(connect_events, podman_cli, test_image, unique_name):
    first, second = await connect_events(), await connect_events()
    await until(lambda: len(follower_threads()) == 1, "one follower for both sockets")
    name = unique_name()
    await started(podman_cli, test_image, name)
    await asyncio.to_thread(podman_cli, "stop", "-t", "0", name)
    for client in (first, second):
        notice = await client.wait_for(kind="containers", name=name, status="died")
        assert set(notice) == {"kind", "name", "status"}
    assert len(follower_threads()) == 1, "two sockets share one follower"


async def test_no_follower_while_nobody_listens(connect_events):
    await until(lambda: not follower_threads(), "no follower before any socket")
    client = await connect_events()
    await until(lambda: len(follower_threads()) == 1, "a follower once a socket is open")
    client.connection.close()
    await until(lambda: not follower_threads(), "the follower to end with the last socket")


async def test_a_panel_reopened_at_once_still_hears_of_changes(connect_events, podman_cli, test_image, unique_name):
    """The last socket closes (its follower is told to stop) and a new one opens straight away:
    the new socket must not be left with the follower that is ending."""
    (await connect_events()).connection.close()
    client = await connect_events()
    name = unique_name()
    await started(podman_cli, test_image, name)
    await asyncio.to_thread(podman_cli, "stop", "-t", "0", name)
    await client.wait_for(kind="containers", name=name, status="died")


async def test_an_unauthenticated_socket_is_refused(events_url, jp_serverapp):
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(HTTPRequest(events_url))
    assert refused.value.code == 403
    assert not follower_threads()


async def test_a_page_from_another_site_is_refused(events_url, jp_serverapp, jp_http_port):
    """Another site's page sends the user's login cookie (not the token): Jupyter's origin check
    refuses it, and the same cookie from JupyterLab's own page is let in."""
    cookie = await login_cookie(jp_serverapp, events_url.replace("ws://", "http://").split("labcontainer/")[0])
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(HTTPRequest(events_url, headers={"Cookie": cookie, "Origin": "http://evil.example"}))
    assert refused.value.code == 403
    assert not follower_threads()
    own = await websocket_connect(HTTPRequest(events_url, headers={"Cookie": cookie, "Origin": f"http://localhost:{jp_http_port}"}))
    assert json.loads(await own.read_message())["kind"] == "hello"
    own.close()


async def login_cookie(jp_serverapp, base: str) -> str:
    """Log in with the token on Jupyter's login page, as a user does; the cookies it sets."""
    client = AsyncHTTPClient()
    page = await client.fetch(base + "login", raise_error=False)
    xsrf = next(c.split(";")[0] for c in page.headers.get_list("Set-Cookie") if c.startswith("_xsrf="))
    body = urllib.parse.urlencode({"password": jp_serverapp.identity_provider.token, "_xsrf": xsrf.split("=", 1)[1]})
    answer = await client.fetch(base + "login", method="POST", body=body, headers={"Cookie": xsrf}, follow_redirects=False, raise_error=False)
    cookies = [c.split(";")[0] for c in answer.headers.get_list("Set-Cookie") if c.startswith("username-")]
    assert answer.code == 302 and cookies, f"login failed: {answer.code}"
    return "; ".join([xsrf, *cookies])


async def test_no_follower_thread_is_left_after_the_server_stops(jp_serverapp, connect_events):
    await connect_events()
    await until(lambda: len(follower_threads()) == 1, "a follower once a socket is open")
    await jp_serverapp._cleanup()  # what the server's stop runs (extensions' unload hooks among it)
    assert not follower_threads(), "the server stopped but the events follower thread runs on"


class TestPodmanRestart:
    """The follower loses Podman when its service stops and finds it again when it is back."""

    @pytest.fixture
    def private(self):
        service = start_private_service()
        yield service
        service.stop()
        shutil.rmtree(service.directory, ignore_errors=True)

    @pytest.fixture
    def jp_server_config(self, private):
        yield {
            "ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False},
            "LabContainer": {"podman_url": private.url, "recover_kernels": False},
        }
        set_default_service(LabService())  # the extension made the private service the default

    async def test_a_restarted_podman_service_is_announced_and_followed_again(self, private, connect_events, podman_cli, test_image, unique_name):
        client = await connect_events()
        await until(lambda: len(follower_threads()) == 1, "a follower")
        await asyncio.to_thread(private.stop)
        await client.wait_for(kind="podman", connected=False)
        await asyncio.to_thread(private.start)
        await client.wait_for(kind="podman", connected=True)
        name = unique_name()  # and events flow again, through the restarted service
        await started(podman_cli, test_image, name)
        await asyncio.to_thread(podman_cli, "stop", "-t", "0", name)
        await client.wait_for(kind="containers", name=name, status="died")
