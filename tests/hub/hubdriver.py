"""Drive a real JupyterHub started from the repo's jupyter-config/hub/jupyterhub_config.py
(as root), and each member through the hub's proxy with their own token. Used by tests/hub
and bench/bench_hub.py."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from .members import MEMBERS, processes_of, require_root

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "jupyter-config" / "hub" / "jupyterhub_config.py"
STATE = Path(os.environ.get("LABCONTAINER_STATE", "/var/lib/labcontainer-dev"))
IMAGE = os.environ.get("LABCONTAINER_TEST_IMAGE", "localhost/labcontainer-kernel:latest")
PATIENCE = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, what: str, patience: float = PATIENCE):
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {patience} s waiting for {what}")


class Hub:
    def __init__(self, folder: Path, **settings: str) -> None:
        """``settings``: more of the config's environment variables (LABCONTAINER_HUB_...)."""
        require_root()
        for member in MEMBERS:
            assert not processes_of(member), f"{member} runs something already; scripts/setup-hub.sh leaves nothing"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin = {"Authorization": f"token {secrets.token_hex(16)}"}
        proxy = (STATE / "hub" / "chp-path").read_text().strip()
        env = {k: v for k, v in os.environ.items() if k not in ("CONTAINER_HOST", "XDG_RUNTIME_DIR", "JUPYTER_CONFIG_DIR")}
        env.update(LABCONTAINER_HUB_STATE=str(folder), LABCONTAINER_HUB_PORT=str(self.port),
                   LABCONTAINER_HUB_API_PORT=str(free_port()), LABCONTAINER_HUB_PROXY_API_PORT=str(free_port()),
                   LABCONTAINER_HUB_PROXY=proxy, LABCONTAINER_HUB_AUTHENTICATOR="dummy",
                   LABCONTAINER_HUB_MEMBERS=" ".join(MEMBERS), LABCONTAINER_HUB_ADMIN_TOKEN=self.admin["Authorization"][6:],
                   **settings)
        self.log = open(folder / "hub.log", "wb")
        self.process = subprocess.Popen([f"{sys.prefix}/bin/jupyterhub", "-f", str(CONFIG)], cwd=folder, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = folder / "hub.log"
        try:
            wait_for(lambda: self._answers() or self._died(), "the hub")
        except AssertionError:
            self.stop()
            raise
        assert self.process.poll() is None, f"the hub did not start:\n{self.log_tail()}"

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def _died(self) -> bool:
        return self.process.poll() is not None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self) -> str:
        return self.log_text()[-4000:]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}/hub/api/{path}", headers=self.admin, timeout=PATIENCE, **kwargs)

    def spawn(self, user: str) -> str:
        """The member's server, started through the hub's REST API; returns their own token."""
        assert self.api("POST", f"users/{user}/server").status_code in (201, 202), self.log_tail()
        wait_for(lambda: self.api("GET", f"users/{user}").json()["servers"].get("", {}).get("ready"), f"{user}'s server")
        answer = self.api("POST", f"users/{user}/tokens", json={"note": "tests/hub"})
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def stop_server(self, user: str) -> None:
        assert self.api("DELETE", f"users/{user}/server").status_code in (202, 204)
        wait_for(lambda: not self.api("GET", f"users/{user}").json()["servers"], f"{user}'s server to stop")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # cleanup_servers: the members' servers stop too
            try:
                self.process.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Member:
    def __init__(self, hub: Hub, name: str, token: str) -> None:
        self.hub, self.name = hub, name
        self.headers = {"Authorization": f"token {token}"}

    def url(self, server: str, path: str) -> str:
        return f"{self.hub.url}/user/{server}/{path}"

    def call(self, method: str, path: str, server: str | None = None, body=None) -> requests.Response:
        return requests.request(method, self.url(server or self.name, path), headers=self.headers, json=body,
                                timeout=PATIENCE, allow_redirects=False)

    def websocket(self, path: str, server: str | None = None):
        url = self.url(server or self.name, path).replace("http://", "ws://")
        return websocket_connect(HTTPRequest(url, headers=self.headers, request_timeout=PATIENCE))
