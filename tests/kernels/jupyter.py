"""A real Jupyter Server in a subprocess, and a notebook-like client over its websocket.

What a lab member's browser does, without a browser: REST for kernels and sessions, the
kernel's websocket channels for executing code. The server can be SIGKILLed, stopped
cleanly and started again on the same directories.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tornado.websocket import websocket_connect

from labcontainer.kernels import pool, records, recovery

from ..conftest import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_environment(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
                JUPYTER_CONFIG_DIR=str(tmp_path / "config"))


class JupyterServer:
    def __init__(self, root: Path, env: dict[str, str], *, options: tuple[str, ...] = (), prefix: tuple[str, ...] = ()) -> None:
        self.root, self.env, self.options, self.prefix = root, env, options, prefix
        self.token = "lct-token"
        self.process: subprocess.Popen | None = None
        #: The server's stdin: not a terminal (a script, nohup), or a pty's end (a terminal).
        self.stdin: int = subprocess.DEVNULL
        self.port = 0

    @property
    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, *options: str) -> None:
        self.port = free_port()
        command = [*self.prefix, sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}",
                   "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
                   f"--ServerApp.root_dir={self.root}", *self.options, *options]
        if os.getuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, env=self.env, stdout=open(self.root / "server.log", "ab"),
                                        stderr=subprocess.STDOUT, stdin=self.stdin)
        wait_until(self._answers, timeout=60, message="jupyter server to answer")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log[-3000:]}")
        try:
            self.request("GET", "/api/status")
            return True
        except OSError:
            return False

    def request(self, method: str, path: str, body: dict | None = None) -> dict | list:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=90) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def status_of(self, method: str, path: str, body: dict | None = None) -> int:
        try:
            self.request(method, path, body)
            return 200
        except urllib.error.HTTPError as exc:
            return exc.code

    def kernel_ids(self) -> list[str]:
        return [k["id"] for k in self.request("GET", "/api/kernels")]

    def open_notebook(self, path: str, kernel_name: str) -> dict:
        """What opening a notebook does: a session mapping its path to a new kernel."""
        return self.request("POST", "/api/sessions", {"path": path, "type": "notebook", "name": path,
                                                      "kernel": {"name": kernel_name}})

    def sigkill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """A clean stop, as Ctrl+C (confirmed) or `jupyter server stop` would do."""
        if self.process and self.process.poll() is None:
            os.kill(self._server_pid(), signal.SIGTERM)
            self.process.wait(60)

    def _server_pid(self) -> int:
        """The server's own PID: under unshare --fork, its child (unshare ignores SIGTERM)."""
        assert self.process is not None
        if not self.prefix:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])


def state_dir(server: JupyterServer) -> Path:
    """The server's kernel state directory (records, pool members, server locks)."""
    return Path(server.env["JUPYTER_RUNTIME_DIR"]) / "labcontainer-kernels"


def remove_leftovers(server: JupyterServer, podman_cli) -> None:
    """After a test that failed half-way (a server killed, a stop that timed out): remove
    the kernel containers its records still name, and the kernels waiting in its pools, and
    forget the records with their connection directories (each holds a key; no later
    server reads this test's state directory to do it), so no failure leaks into the next
    test or onto the machine."""
    if server.process and server.process.poll() is None:
        server.process.kill()
        server.process.wait(10)
    state = state_dir(server)
    for record in records.load_records(state):
        if record.container_name:
            podman_cli("rm", "-f", "-t", "0", record.container_name, check=False)
        recovery.forget(record, state)
    for member in pool.load_members(state):
        podman_cli("rm", "-f", "-t", "0", member.container_id or member.container_name, check=False)
        shutil.rmtree(member.connection_dir, ignore_errors=True)
        pool.delete_member(member.kernel_id, state)


async def _execute(server: JupyterServer, kernel_id: str, code: str, timeout: float) -> str:
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?token={server.token}"
    connection = await asyncio.wait_for(websocket_connect(url), timeout)
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type": "execute_request",
              "version": "5.3", "date": ""}
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}
    await connection.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content,
                                               "channel": "shell", "buffers": []}))
    out: list[str] = []
    replied = idle = False
    try:
        # Output comes on iopub, the reply on shell: no order between them, so wait for
        # both the reply and iopub's "idle" for this request.
        while not (replied and idle):
            raw = await asyncio.wait_for(connection.read_message(), timeout)
            if raw is None:
                raise AssertionError("the kernel's websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        return "".join(out)
    finally:
        connection.close()


def execute(server: JupyterServer, kernel_id: str, code: str, timeout: float = 60) -> str:
    """Run code in the kernel through the server's websocket, as a notebook does; return
    what it printed (and any error as "Name: value")."""
    return asyncio.run(_execute(server, kernel_id, code, timeout))
