"""A Jupyter server killed with SIGKILL leaves no orphaned kernel container behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labcontainer.kernels.kernelspecs import install_kernelspec

from ..conftest import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.token = "lct-token"
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
                   f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={self.root}"]
        if os.getuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, env=self.env, stdout=open(self.root / "server.log", "ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: self._answers(), timeout=60, message="jupyter server to answer")

    def _answers(self) -> bool:
        try:
            self.request("GET", "/api/status")
            return True
        except OSError:
            return False

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def sigkill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@pytest.fixture
def server_env(tmp_path):
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    return env


def test_sigkilled_server_leaves_no_orphan(tmp_path, server_env, test_image, podman_cli, unlabelled_container, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", server_env["JUPYTER_DATA_DIR"])
    install_kernelspec(test_image, name="lc-crash")
    server = JupyterServer(tmp_path, server_env)
    server.start()
    try:
        kernel_id = server.request("POST", "/api/kernels", {"name": "lc-crash"})["id"]
        name = f"lc-kernel-{kernel_id}"
        assert podman_cli.state(name) == "running"

        server.sigkill()
        # The crash itself orphans the container: nothing inside it can notice.
        time.sleep(1)
        assert podman_cli.state(name) == "running"

        server.start()  # the extension finds the crashed server's kernel and removes it
        wait_until(lambda: not podman_cli.exists(name), timeout=30, message="the orphaned kernel container to be removed")
        assert server.request("GET", "/api/kernels") == []
        assert podman_cli.state(unlabelled_container) == "running"
        assert not list((tmp_path / "runtime" / "labcontainer-kernels").glob("*.json"))
    finally:
        server.stop()
