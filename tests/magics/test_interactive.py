"""Terminals from the magics: ``%container exec -it``, ``attach`` and ``run -it``.

In a notebook (no TTY) they display an offer of a terminal (a MIME bundle the labextension
renders as a button, with one-line fallbacks); in terminal IPython they run on its TTY,
driven here through a real pseudo-terminal (pexpect) around a real ``python -m IPython``.
"""

from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest
from IPython.utils.capture import capture_output


from ..conftest import wait_until
from .conftest import line

MIME = "application/vnd.labcontainer.terminal+json"


def offered(shell, text: str) -> dict:
    """Run a magic as a notebook cell would and return the one bundle it displayed."""
    with capture_output() as captured:
        result = line(shell, text)
    assert result is None
    [output] = captured.outputs
    return output.data


@pytest.fixture
def sleeper(podman_cli, test_image, unique_name):
    def make() -> str:
        name = unique_name()
        podman_cli("run", "-d", "--init", "--name", name, test_image, "sleep", "infinity")
        return name

    return make


@pytest.mark.parametrize("flags", ["-it", "-ti", "-i", "-t", "--interactive --tty"])
def test_exec_it_in_a_notebook_offers_a_terminal(shell, sleeper, flags):
    name = sleeper()
    data = offered(shell, f"exec {flags} {name} python3 -q")
    assert data[MIME] == {"container": name, "mode": "exec", "cmd": ["python3", "-q"], "connection": "local"}
    for fallback in (data["text/plain"], data["text/html"]):
        assert "\n" not in fallback and name in fallback and "Terminal" in fallback
    assert f"podman exec -it {name} python3 -q" in data["text/plain"]
    assert f"<code>podman exec -it {name} python3 -q</code>" in data["text/html"]


def test_exec_it_without_a_command_offers_the_default_shell(shell, sleeper):
    name = sleeper()
    data = offered(shell, f"exec -it {name}")
    assert data[MIME] == {"container": name, "mode": "exec", "cmd": [], "connection": "local"}
    assert f"podman exec -it {name} bash" in data["text/plain"]


def test_attach_in_a_notebook_offers_the_containers_own_terminal(shell, sleeper):
    name = sleeper()
    data = offered(shell, f"attach {name}")
    assert data[MIME] == {"container": name, "mode": "attach", "cmd": [], "connection": "local"}
    assert f"podman attach {name}" in data["text/plain"]


def test_a_terminal_into_a_missing_or_stopped_container_says_so_at_once(shell, sleeper, podman_cli):
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="No container named"):
        line(shell, "exec -it labcontainer-test-no-such-box")
    name = sleeper()
    podman_cli("stop", "-t", "0", name)
    with pytest.raises(UsageError, match=f"'{name}' is not running.*%container start {name}"):
        line(shell, f"attach {name}")


def test_run_it_in_a_notebook_creates_a_running_container_with_a_terminal(shell, test_image, unique_name, podman_cli):
    name = unique_name()
    data = offered(shell, f"run -it --name {name} {test_image} sh")
    assert data[MIME] == {"container": name, "mode": "attach", "cmd": [], "connection": "local"}
    assert podman_cli.state(name) == "running"
    config = json.loads(podman_cli("inspect", name).stdout)[0]["Config"]
    assert config["Tty"] is True and config["OpenStdin"] is True


def test_exec_of_a_program_that_reads_stdin_says_to_use_it(shell, sleeper, capsys):
    name = sleeper()
    result = line(shell, f"exec {name} python3")
    out = capsys.readouterr().out
    assert result.exit_code == 0
    [note] = [text for text in out.splitlines() if "stdin is closed" in text]
    assert f"%container exec -it {name} python3" in note
    line(shell, f"exec {name} python3 -c 'print(6*7)'")  # a script: no note
    assert capsys.readouterr().out == "42\n"


# --- terminal IPython, through a pseudo-terminal ---------------------------------------------


@pytest.fixture
def ipython(podman_url):
    """A real terminal IPython with labcontainer loaded, on a pseudo-terminal."""
    env = {**os.environ, "CONTAINER_HOST": podman_url, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "IPython", "--no-banner", "--quick", "--colors=NoColor", "--simple-prompt"],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 80),
    )
    child.expect(r"In \[1\]: ")
    child.sendline("%load_ext labcontainer")
    child.expect(r"In \[2\]: ")
    yield child
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()


def test_exec_it_in_terminal_ipython_is_a_terminal(ipython, sleeper, podman_cli):
    name = sleeper()
    ipython.sendline(f"%container exec -it {name}")
    ipython.send("echo $((6*7))\r")
    ipython.expect("42\r\n")
    ipython.setwinsize(40, 132)  # the kernel sends IPython SIGWINCH, as a terminal window does
    ipython.send("stty size\r")
    ipython.expect("40 132")
    ipython.send("exit 3\r")
    ipython.expect(r"exit code 3\s+In \[3\]: ")  # IPython's prompt is back
    ipython.sendline("print('typed', 6*7)")  # and its terminal is cooked again: echo, newlines
    ipython.expect(r"typed 42\r\n")
    assert "bash" not in podman_cli("top", name, "comm").stdout  # no shell left behind


def test_attach_detaches_with_ctrl_p_ctrl_q_and_leaves_it_running(ipython, podman_cli, test_image, unique_name):
    name = unique_name()
    podman_cli("run", "-dit", "--name", name, test_image, "sh")
    ipython.sendline(f"%container attach {name}")
    ipython.send("echo attached-$((6*7))\r")
    ipython.expect("attached-42")
    ipython.send("\x10\x11")  # Ctrl-P Ctrl-Q
    ipython.expect(f"Detached from {name}; it is still running")
    ipython.expect(r"In \[3\]: ")
    assert podman_cli.state(name) == "running"
    ipython.sendline(f"%container attach {name}")  # the shell still reads what is typed
    ipython.send("echo again-$((1+2))\r")
    ipython.expect("again-3")
    ipython.send("exit 4\r")  # the container's own shell ends: so does the container
    ipython.expect(r"exit code 4\s+In \[4\]: ")
    wait_until(lambda: podman_cli.state(name) == "exited")


def test_run_it_in_terminal_ipython_creates_and_attaches(ipython, podman_cli, test_image, unique_name):
    name = unique_name()
    ipython.sendline(f"%container run -it --name {name} {test_image} sh")
    ipython.send("echo inside-$((6*7)); stty size\r")
    ipython.expect("inside-42\r\n24 80")
    config = json.loads(podman_cli("inspect", name).stdout)[0]["Config"]
    assert config["Tty"] is True and config["OpenStdin"] is True
    ipython.send("\x10\x11")
    ipython.expect(r"Detached from .*In \[3\]: ")
    assert podman_cli.state(name) == "running"


def test_run_it_rm_is_removed_when_its_shell_exits(ipython, podman_cli, test_image, unique_name):
    name = unique_name()
    ipython.sendline(f"%container run -it --rm --name {name} {test_image} sh")
    ipython.send("echo bye-$((6*7)); exit 5\r")
    ipython.expect(r"bye-42")
    ipython.expect(r"exit code 5\s+In \[3\]: ")
    wait_until(lambda: not podman_cli.exists(name))


def test_attach_to_a_container_without_a_terminal_only_watches_it(ipython, podman_cli, test_image, unique_name):
    name = unique_name()
    podman_cli("run", "-d", "--name", name, test_image, "sh", "-c", "while sleep 0.2; do echo tick; done")
    ipython.sendline(f"%container attach {name}")
    ipython.expect("started without -it: showing its output only")
    ipython.expect("tick")
    ipython.send("\x10\x11")
    ipython.expect(r"Detached from .*In \[3\]: ")
    assert podman_cli.state(name) == "running"
