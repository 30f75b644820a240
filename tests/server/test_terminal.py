"""Terminals into containers over the server's websocket, as JupyterLab's terminal widget
speaks to it (terminado's JSON messages), against a real Jupyter server and real Podman.

The podman CLI is the witness: `podman top` says which processes a container has before,
during and after a terminal, `podman inspect` what its hostname is and whether it runs.

A terminal whose socket closes without ``["close"]`` (a page reload) is kept for
``c.LabContainer.terminal_keep_alive`` seconds: 1 s here, so a test that lets a socket go
sees its shell end soon; tests that reconnect or close explicitly set it far longer
(``keep_alive``), so only what they test can explain what they see.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from labcontainer.server.terminal_sessions import SCROLLBACK, TerminalSessions

#: A bound on waiting for output, so a broken terminal fails the test instead of hanging it
#: (not a timing assertion: the things awaited take well under a second here).
PATIENCE = 30.0


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False},
        "LabContainer": {"terminal_keep_alive": 1.0},
    }


@pytest.fixture
def keep_alive(jp_serverapp):
    """Set how long a terminal without a client is kept (the server's registry of terminals)."""

    def set_to(seconds: float) -> None:
        jp_serverapp.web_app.settings["labcontainer_app"].terminals.keep_alive = seconds

    return set_to


class TerminalClient:
    """What JupyterLab's terminal does with the socket: send keys and sizes, collect output."""

    def __init__(self, connection: WebSocketClientConnection) -> None:
        self.connection = connection
        self.output = ""
        self.messages: list[list] = []
        self.closed = False
        #: The terminal's id on the server (from setup), to reconnect with.
        self.session: str | None = None

    async def send(self, *message: object) -> None:
        await self.connection.write_message(json.dumps(list(message)))

    async def type(self, text: str) -> None:
        await self.send("stdin", text)

    async def _next(self) -> list | None:
        raw = await asyncio.wait_for(self.connection.read_message(), PATIENCE)
        if raw is None:
            self.closed = True
            return None
        message = json.loads(raw)
        self.messages.append(message)
        if message[0] == "stdout":
            self.output += message[1]
        return message

    async def wait_for(self, text: str) -> str:
        """Read until ``text`` shows in the output after what was already read; returns the new output."""
        start = len(self.output)
        while text not in self.output[start:]:
            try:
                if self.closed or await self._next() is None:
                    raise AssertionError(f"the terminal closed before showing {text!r}; it showed:\n{self.output[start:]!r}")
            except asyncio.TimeoutError:
                raise AssertionError(f"no {text!r} after {PATIENCE} s; the terminal showed:\n{self.output[start:]!r}") from None
        return self.output[start:]

    async def until_closed(self) -> list[list]:
        """Every message until the server closes the socket."""
        start = len(self.messages)
        while not self.closed:
            await self._next()
        return self.messages[start:]


@pytest.fixture
def terminal_url(http_server_client, jp_http_port, jp_base_url):
    """The endpoint's URL on the test server (``http_server_client`` makes it listen)."""

    def url(name: str, scheme: str = "ws", **params: str) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{scheme}://localhost:{jp_http_port}{jp_base_url}labcontainer/api/containers/{name}/terminal{query}"

    return url


@pytest.fixture
def open_terminal(jp_serverapp, terminal_url):
    """Connect as the logged-in user (token), the way jp_ws_fetch does."""
    clients: list[TerminalClient] = []

    async def connect(name: str, **params: str) -> TerminalClient:
        request = HTTPRequest(terminal_url(name, **params), headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"})
        client = TerminalClient(await websocket_connect(request))
        clients.append(client)
        setup = await client._next()
        assert setup is not None and setup[0] == "setup", setup
        client.session = setup[1].get("session")
        return client

    yield connect
    for client in clients:
        client.connection.close()


@pytest.fixture
def running_container(podman_cli, test_image, unique_name):
    """A running container (with an init that reaps, so `podman top` shows only live processes)."""

    def make(image: str | None = None, *options: str) -> str:
        name = unique_name()
        podman_cli("run", "-d", "--init", "--name", name, *options, image or test_image, "sleep", "infinity")
        return name

    return make


async def processes(podman_cli, name: str) -> dict[str, str]:
    """PID → command line of every process in the container, says `podman top`."""
    result = await asyncio.to_thread(podman_cli, "top", name, "pid,args")
    rows = [line.split(None, 1) for line in result.stdout.splitlines()[1:] if line.strip()]
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows}


async def eventually(check, message: str, timeout: float = PATIENCE):
    """Poll an async ``check`` until it returns something truthy (without blocking the server,
    which runs on this test's event loop)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        await asyncio.sleep(0.1)


async def test_a_shell_in_a_container_answers_resizes_interrupts_and_exits(open_terminal, running_container, podman_cli):
    name = running_container()
    before = await processes(podman_cli, name)
    hostname = podman_cli("inspect", "--format", "{{.Config.Hostname}}", name).stdout.strip()

    term = await open_terminal(name)
    await term.type('echo $((6*7)); echo "host=$(cat /etc/hostname)"\r')
    # Output lines: neither the echoed command line nor the prompt (which has the hostname) has these.
    await term.wait_for(f"42\r\nhost={hostname}\r\n")

    await term.send("set_size", 40, 132, 800, 1200)
    await term.type("stty size\r")
    assert "40 132" in await term.wait_for("40 132\r\n")

    await term.type("sleep 100\r")
    await eventually(lambda: _has(podman_cli, name, "sleep 100"), "sleep 100 to run in the container")
    await term.type("\x03")
    await term.type("echo back-$((1+1))\r")
    await term.wait_for("back-2\r\n")  # the prompt came back: sleep was interrupted
    assert not await _has(podman_cli, name, "sleep 100")

    await term.type("exit\r")
    messages = await term.until_closed()
    assert messages[-1] == ["disconnect", 0]
    await eventually(lambda: _only(podman_cli, name, before), "the terminal's processes to be gone")


async def test_the_size_a_tab_sends_as_it_opens_reaches_the_shell(open_terminal, running_container):
    # A tab sends its size once, right after "setup", before the shell has printed anything
    # (CI saw the browser's terminal stay 80 x 24: Podman had not yet counted the exec as running).
    name = running_container()
    for rows, cols in ((52, 101), (37, 90), (45, 120)):
        term = await open_terminal(name)
        await term.send("set_size", rows, cols, 800, 1200)
        await term.type("stty size\r")
        assert f"{rows} {cols}" in await term.wait_for(f"{rows} {cols}\r\n")
        term.connection.close()


async def test_closing_the_terminal_ends_its_shell_and_what_runs_in_it(open_terminal, running_container, podman_cli):
    name = running_container()
    before = await processes(podman_cli, name)
    term = await open_terminal(name)
    await term.type("sleep 300\r")
    await eventually(lambda: _has(podman_cli, name, "sleep 300"), "sleep 300 to run in the container")

    term.connection.close()  # the user closes the tab

    await eventually(lambda: _only(podman_cli, name, before), "the shell and its sleep to be gone")
    assert podman_cli.state(name) == "running"


async def test_a_reloaded_page_gets_its_shell_back_with_what_it_missed(open_terminal, running_container, podman_cli, keep_alive):
    keep_alive(600)  # far beyond the test: only the reconnect can explain what follows
    name = running_container()
    term = await open_terminal(name)
    assert term.session
    await term.type("export X=42; echo set-$((40+2))\r")
    await term.wait_for("set-42\r\n")
    shell = await processes(podman_cli, name)

    await term.type("sleep 1; echo away-$((20+22))\r")
    term.connection.close()  # the page reloads: no "close" was sent
    await eventually(lambda: _has_not(podman_cli, name, "sleep 1"), "the sleep to end while no page is connected")

    again = await open_terminal(name, session=term.session)
    assert again.messages[0] == ["setup", {"session": term.session}]
    replay = await again._next()  # what the terminal showed, including what came while away
    assert replay[0] == "stdout" and "set-42\r\n" in replay[1] and "away-42\r\n" in replay[1], replay
    await again.type('echo "X=$X"\r')
    await again.wait_for("X=42\r\n")
    assert await processes(podman_cli, name) == shell  # the same shell, no new one


async def test_a_page_that_does_not_come_back_leaves_no_shell_behind(open_terminal, running_container, podman_cli):
    # keep_alive is 1 s here (jp_server_config): were it ignored (60 s), this test would time out
    name = running_container()
    before = await processes(podman_cli, name)
    term = await open_terminal(name)
    await term.type("sleep 300\r")
    await eventually(lambda: _has(podman_cli, name, "sleep 300"), "sleep 300 to run in the container")

    term.connection.close()  # the page went away and stays away

    await eventually(lambda: _only(podman_cli, name, before), "the shell and its sleep to be gone")
    late = await open_terminal(name, session=term.session)
    messages = await late.until_closed()
    assert messages[-1] == ["session_gone", term.session]
    assert f"This terminal's shell in {name} is no longer there" in late.output
    assert await processes(podman_cli, name) == before  # and coming back starts nothing


async def test_closing_the_tab_ends_the_shell_at_once(open_terminal, running_container, podman_cli, keep_alive):
    keep_alive(600)  # the grace period cannot be what ends it within the test's patience
    name = running_container()
    before = await processes(podman_cli, name)
    term = await open_terminal(name)
    await term.type("sleep 300\r")
    await eventually(lambda: _has(podman_cli, name, "sleep 300"), "sleep 300 to run in the container")

    await term.send("close")

    await term.until_closed()
    await eventually(lambda: _only(podman_cli, name, before), "the shell and its sleep to be gone")
    late = await open_terminal(name, session=term.session)
    assert (await late.until_closed())[-1] == ["session_gone", term.session]


async def test_two_pages_share_one_terminal(open_terminal, running_container, keep_alive):
    keep_alive(600)
    name = running_container()
    first = await open_terminal(name)
    second = await open_terminal(name, session=first.session)
    await second.type("echo both-$((3*4))\r")
    await first.wait_for("both-12\r\n")
    await second.wait_for("both-12\r\n")
    await first.type("exit 5\r")
    for page in (first, second):
        assert (await page.until_closed())[-1] == ["disconnect", 5]


def test_the_replay_is_the_last_64_kib_of_output():
    """(No Podman needed: only the scrollback of a kept terminal.)"""
    terminal = TerminalSessions(keep_alive=60).keep(tty=None)  # type: ignore[arg-type]
    for i in range(100):
        terminal.remember(f"line {i:03d} " + "x" * 1000 + "\r\n")
    terminal.remember("y" * (SCROLLBACK // 2))
    replay = "".join(terminal._scrollback)
    assert len(replay) <= SCROLLBACK and replay.endswith("y" * (SCROLLBACK // 2))
    assert "line 099" in replay and "line 000" not in replay  # the oldest output went first
    terminal.remember("z" * (SCROLLBACK + 10))  # one chunk longer than the whole scrollback
    assert "".join(terminal._scrollback) == "z" * SCROLLBACK


async def test_the_default_shell_is_bash_when_there_else_sh(open_terminal, running_container, podman_cli, python_image):
    with_bash = running_container(python_image)
    term = await open_terminal(with_bash)
    await term.type('echo "shell=$0"\r')
    assert "shell=bash\r\n" in await term.wait_for("shell=bash\r\n")

    without_bash = running_container(python_image)
    podman_cli("exec", without_bash, "rm", "/usr/bin/bash")  # this container's own copy only
    term = await open_terminal(without_bash)
    await term.type('echo "shell=$0"\r')
    await term.wait_for("shell=sh\r\n")


async def test_a_command_user_and_workdir_of_ones_choice(open_terminal, running_container):
    name = running_container()
    term = await open_terminal(name, cmd="sh -c 'echo \"I am $(id -un) in $(pwd)\"; exit 3'", user="nobody", workdir="/tmp")
    messages = await term.until_closed()
    assert "I am nobody in /tmp" in term.output
    assert messages[-1] == ["disconnect", 3]


async def test_characters_split_between_reads_arrive_whole(open_terminal, running_container):
    name = running_container()
    term = await open_terminal(name, cmd="python3 -c \"print('€😀' * 20000, 'end', sep='')\"")
    await term.until_closed()
    # 140,000 bytes of 3- and 4-byte characters come in many reads: decoded per read, the
    # characters cut at read boundaries would turn into U+FFFD.
    assert "\ufffd" not in term.output
    assert term.output.count("€😀") == 20000 and "end" in term.output


async def test_attach_shows_the_containers_own_shell_and_leaves_it_running(open_terminal, podman_cli, test_image, unique_name):
    name = unique_name()
    podman_cli("run", "-dit", "--name", name, test_image, "sh")
    term = await open_terminal(name, mode="attach")
    await term.type("echo attach-$((6*7))\r")
    await term.wait_for("attach-42\r\n")

    term.connection.close()
    await asyncio.sleep(1)  # give a wrongly closing attach the time to end the shell
    assert podman_cli.state(name) == "running"
    assert "sh" in (await processes(podman_cli, name)).values()

    again = await open_terminal(name, mode="attach")  # the shell still reads what is typed
    await again.type("echo again-$((1+2))\r")
    await again.wait_for("again-3\r\n")


@pytest.mark.parametrize("case", ["unknown", "stopped"])
async def test_a_container_that_cannot_have_a_terminal_says_why_and_closes(case, open_terminal, podman_cli, test_image, unique_name):
    name = unique_name()
    if case == "stopped":
        podman_cli("create", "--name", name, test_image, "sleep", "infinity")
    term = await open_terminal(name)
    messages = await term.until_closed()
    assert messages[-1] == ["disconnect", 1]
    expected = f"No container named or with id '{name}'" if case == "unknown" else f"Container '{name}' is not running"
    assert expected in term.output and "Traceback" not in term.output
    assert podman_cli.exists(name) == (case == "stopped")


async def test_a_bad_mode_or_command_is_explained(open_terminal, running_container):
    name = running_container()
    term = await open_terminal(name, mode="ssh")
    await term.until_closed()
    assert "Unknown terminal mode 'ssh'" in term.output
    term = await open_terminal(name, cmd="echo 'unclosed")
    await term.until_closed()
    assert "Check its quotes" in term.output


async def test_no_token_no_terminal(terminal_url, running_container, podman_cli):
    name = running_container()
    before = await processes(podman_cli, name)
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(terminal_url(name))
    assert refused.value.code == 403
    assert await processes(podman_cli, name) == before


async def test_another_sites_page_cannot_use_the_users_login(jp_serverapp, jp_http_port, terminal_url, running_container, podman_cli):
    """A page from another site, in the browser where the user is logged in, sends the
    login cookie (not the token): Jupyter's origin check must refuse it."""
    cookie = await _login_cookie(jp_serverapp, jp_http_port, terminal_url)
    name = running_container()
    before = await processes(podman_cli, name)
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(HTTPRequest(terminal_url(name), headers={"Cookie": cookie, "Origin": "http://evil.example"}))
    assert refused.value.code == 403
    assert await processes(podman_cli, name) == before

    # The same cookie from JupyterLab's own page is fine: it was the origin that was refused.
    own = await websocket_connect(
        HTTPRequest(terminal_url(name), headers={"Cookie": cookie, "Origin": f"http://localhost:{jp_http_port}"})
    )
    assert json.loads(await own.read_message())[0] == "setup"
    own.close()


async def _login_cookie(jp_serverapp, port: int, terminal_url) -> str:
    """Log in with the token on Jupyter's login page, as a user does; the cookie it sets."""
    client = AsyncHTTPClient()
    login = terminal_url("x", scheme="http").split("labcontainer/")[0] + "login"
    page = await client.fetch(login, raise_error=False)
    xsrf = next(c.split(";")[0] for c in page.headers.get_list("Set-Cookie") if c.startswith("_xsrf="))
    body = urllib.parse.urlencode({"password": jp_serverapp.identity_provider.token, "_xsrf": xsrf.split("=", 1)[1]})
    answer = await client.fetch(login, method="POST", body=body, headers={"Cookie": xsrf}, follow_redirects=False, raise_error=False)
    cookies = [c.split(";")[0] for c in answer.headers.get_list("Set-Cookie") if c.startswith("username-")]
    assert answer.code == 302 and cookies, f"login failed: {answer.code}"
    return "; ".join([xsrf, *cookies])


async def _has(podman_cli, name: str, command: str) -> bool:
    return command in (await processes(podman_cli, name)).values()


async def _has_not(podman_cli, name: str, command: str) -> bool:
    return not await _has(podman_cli, name, command)


async def _only(podman_cli, name: str, before: dict[str, str]) -> bool:
    return await processes(podman_cli, name) == before
