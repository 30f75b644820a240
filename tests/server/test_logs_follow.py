"""GET containers/{name}/logs?follow=1: the side panel's Logs view, against real containers.

The stream is read the way a browser reads it, record by record while the container runs,
and the client hangs up the way a closed logs tab does; the server's follower threads are
the witness that nothing keeps polling Podman afterwards.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse

import pytest

from labcontainer.server import logstream
from labcontainer.server.logstream import THREAD_PREFIX


def followers(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"{THREAD_PREFIX}:{name}" and t.is_alive()]


async def eventually(predicate, *, timeout: float = 20.0, message: str) -> None:
    """Poll without blocking the event loop (the server under test runs on it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {message}")


class LogStream:
    """A raw HTTP/1.0 client of the follow endpoint: the body arrives as the records
    themselves (no chunked framing), and close() hangs up mid-stream like a closed tab."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.status = 0
        self.headers: dict[str, str] = {}

    @classmethod
    async def open(cls, port: int, base_url: str, auth: dict[str, str], name: str, tail: int) -> LogStream:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        path = f"{base_url}labcontainer/api/containers/{urllib.parse.quote(name)}/logs?tail={tail}&follow=1"
        head = [f"GET {path} HTTP/1.0", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in auth.items()), "", ""]
        writer.write("\r\n".join(head).encode())
        await writer.drain()
        stream = cls(reader, writer)
        status_line = await stream._line()
        stream.status = int(status_line.split()[1])
        while line := await stream._line():
            key, _, value = line.partition(":")
            stream.headers[key.strip().lower()] = value.strip()
        return stream

    async def record(self) -> dict | None:
        """The next JSON record (keep-alive blank lines skipped); None at the end of the body."""
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), 60)
            if not raw:
                return None
            if raw.strip():
                return json.loads(raw)

    async def lines_until(self, wanted: str) -> list[str]:
        """The log lines received until (and including) the record holding ``wanted``."""
        seen: list[str] = []
        while wanted not in seen:
            record = await self.record()
            assert record is not None and "lines" in record, f"stream ended or failed before {wanted!r}: {record}"
            seen.extend(record["lines"])
        return seen

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def _line(self) -> str:
        return (await asyncio.wait_for(self.reader.readline(), 60)).decode().rstrip("\r\n")


@pytest.fixture
def follow(jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header):
    # http_server_client: the fixture that makes the test server listen on jp_http_port.
    opened: list[LogStream] = []

    async def open_stream(name: str, tail: int = 200) -> LogStream:
        stream = await LogStream.open(jp_http_port, jp_base_url, jp_auth_header, name, tail)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.writer.close()


async def test_follow_sends_the_tail_then_new_lines_then_the_end(follow, test_image, unique_name, podman_cli):
    name = unique_name()
    podman_cli("run", "-d", "--name", name, test_image, "sh", "-c", "echo one; echo two; exec sleep infinity")
    stream = await follow(name, tail=1)
    assert stream.status == 200 and stream.headers["content-type"].startswith("application/x-ndjson")
    assert (await stream.lines_until("two")) == ["two"], "tail=1: only the last line of what was there"
    assert followers(name), "a follower thread reads the log while the stream is open"

    # A line written while the stream is open arrives on it (PID 1's stdout is the container's log).
    podman_cli("exec", name, "sh", "-c", "echo three > /proc/1/fd/1")
    assert (await stream.lines_until("three")) == ["three"]

    podman_cli("kill", name)
    rest: list[dict] = []
    while (record := await stream.record()) is not None:
        rest.append(record)
    assert rest and rest[-1] == {"end": True}, rest
    assert all("lines" in r for r in rest[:-1])
    await eventually(lambda: not followers(name), message="the follower thread to end with the log")


async def test_closing_the_request_stops_the_follower_thread(follow, test_image, unique_name, podman_cli, monkeypatch):
    # No keep-alive write during the test: the hang-up itself must stop the follower.
    monkeypatch.setattr(logstream, "KEEPALIVE", 3600.0)
    name = unique_name()
    podman_cli("run", "-d", "--name", name, test_image, "sh", "-c", "echo ready; exec sleep infinity")
    stream = await follow(name)
    await stream.lines_until("ready")
    assert len(followers(name)) == 1

    await stream.close()  # the user closed the logs view; the container goes on quietly
    await eventually(lambda: not followers(name), message="the follower thread to stop after the client left")
    assert podman_cli.state(name) == "running", "closing the logs touches nothing but the follower"


async def test_follow_a_stopped_container_gives_its_whole_log_and_ends(api, jp_fetch, test_image, unique_name, podman_cli):
    name = unique_name()
    podman_cli("run", "--name", name, test_image, "sh", "-c", "echo a; echo b")
    assert podman_cli.state(name) == "exited"
    response = await jp_fetch("labcontainer", "api", "containers", name, "logs", params={"follow": "1", "tail": "10"})
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in response.body.decode().splitlines() if line.strip()]
    assert [line for r in records[:-1] for line in r["lines"]] == ["a", "b"]
    assert records[-1] == {"end": True}
    await eventually(lambda: not followers(name), message="no follower left")


async def test_follow_a_missing_container_is_a_plain_404(api, unique_name):
    name = unique_name("never-made")
    status, body = await api("GET", f"containers/{name}/logs", follow="1")
    assert status == 404 and body["error"]["kind"] == "ContainerNotFound"
    assert not followers(name)
    status, body = await api("GET", f"containers/{name}/logs", follow="1", tail="0")
    assert status == 400 and body["error"]["kind"] == "InvalidSpec"
