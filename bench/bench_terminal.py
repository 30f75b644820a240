"""Keystroke echo through a container terminal against JupyterLab's own terminal.

One Jupyter server (labcontainer and jupyter_server_terminals, as installed) serves both:
our websocket `/labcontainer/api/containers/NAME/terminal?cmd=sh` into a running container,
and `/terminals/websocket/NAME` with a local `sh` (terminado on a host pty). A keystroke is
one `["stdin", "a"]`; its round trip ends when a `stdout` message brings the echoed `a`
back (the tty's own echo in both cases, so this measures the transport, not the shell).
The median over N keystrokes, after a few for warming up; ratio = ours / JupyterLab's.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from common import IMAGE, podman, print_results, result

WARM_UP = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """`jupyter server` in a subprocess, with terminals that run a plain local `sh`."""

    def __init__(self, base: Path) -> None:
        self.port, self.token = _free_port(), uuid.uuid4().hex
        config = base / "bench_config.py"
        config.write_text('c.ServerApp.terminado_settings = {"shell_command": ["/bin/sh"]}\n')
        env = dict(os.environ, JUPYTER_DATA_DIR=str(base / "data"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
        command = [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
                   f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
                   f"--ServerApp.root_dir={base}", f"--config={config}"]
        if os.getuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                self.call("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the Jupyter server did not answer")

    def call(self, method: str, path: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         data=b"{}" if method == "POST" else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}{'&' if '?' in path else '?'}token={self.token}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


async def _echo_round_trips(url: str, count: int) -> list[float]:
    """Seconds from sending each keystroke to seeing its echo, after WARM_UP unmeasured ones."""
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(url)

    async def until(predicate) -> None:
        while True:
            raw = await asyncio.wait_for(connection.read_message(), 30)
            if raw is None:
                raise RuntimeError(f"the terminal at {url.split('?')[0]} closed")
            message = json.loads(raw)
            if predicate(message):
                return

    try:
        await until(lambda m: m[0] == "setup")
        await connection.write_message(json.dumps(["stdin", "echo ready-$((1+1))\r"]))
        await until(lambda m: m[0] == "stdout" and "ready-2" in m[1])
        await asyncio.sleep(0.2)  # let the prompt arrive: it must not count as an echo
        while True:  # drain what is left
            try:
                await asyncio.wait_for(connection.read_message(), 0.2)
            except asyncio.TimeoutError:
                break
        samples = []
        for i in range(WARM_UP + count):
            if i and i % 100 == 0:
                # Keep the line short (a tty's line buffer is finite): kill it, wait for quiet.
                await connection.write_message(json.dumps(["stdin", "\x15"]))
                await asyncio.sleep(0.1)
                while True:
                    try:
                        await asyncio.wait_for(connection.read_message(), 0.1)
                    except asyncio.TimeoutError:
                        break
            started = time.perf_counter()
            await connection.write_message(json.dumps(["stdin", "a"]))
            await until(lambda m: m[0] == "stdout" and "a" in m[1])
            if i >= WARM_UP:
                samples.append(time.perf_counter() - started)
        return samples
    finally:
        connection.close()


def run(quick: bool = False) -> list[dict]:
    count = 50 if quick else 300
    name = f"lcbench-term-{uuid.uuid4().hex[:6]}"
    podman("run", "-d", "--init", "--name", name, IMAGE, "sleep", "infinity")
    try:
        with tempfile.TemporaryDirectory(prefix="lcbench-") as scratch:
            server = _Server(Path(scratch))
            try:
                ours_url = server.ws_url(f"/labcontainer/api/containers/{name}/terminal?cmd=sh")
                term = server.call("POST", "/api/terminals")["name"]
                lab_url = server.ws_url(f"/terminals/websocket/{term}")
                # Alternate the two, so neither gets a quieter moment of the machine.
                ours, lab = [], []
                for _ in range(2):
                    ours += asyncio.run(_echo_round_trips(ours_url, count // 2))
                    lab += asyncio.run(_echo_round_trips(lab_url, count // 2))
                server.call("DELETE", f"/api/terminals/{term}")
            finally:
                server.stop()
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)
    ours_s, lab_s = statistics.median(ours), statistics.median(lab)
    return [
        result("terminal_keystroke_echo", ours_s, lab_s, "JupyterLab terminal (jupyter_server_terminals, local sh)",
               target="<= 1.5", keystrokes=len(ours), ours_median_ms=round(ours_s * 1000, 3),
               baseline_median_ms=round(lab_s * 1000, 3), ours_p90_ms=round(statistics.quantiles(ours, n=10)[-1] * 1000, 2),
               baseline_p90_ms=round(statistics.quantiles(lab, n=10)[-1] * 1000, 2)),
    ]


if __name__ == "__main__":
    print_results(run("--quick" in sys.argv))
