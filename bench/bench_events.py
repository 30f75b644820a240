"""A container stopped with the podman CLI → its notice on the side panel's events websocket.

One Jupyter server (labcontainer, as installed) in a subprocess; one client on
`/labcontainer/api/events`, as the side panel opens it. Each sample: start a container with the
CLI, then time from launching `podman stop -t 0` to the `{"kind": "containers", "status":
"died"}` notice for it. This is the server's part of `side_panel_update_latency_s`, which
bench_side_panel.py measures in Chromium (the browser then asks the REST API again, after a
100 ms coalescing pause, and redraws the row).
The median is reported against the issue's 1 s budget, so the ratio is in seconds.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_terminal import _Server
from common import IMAGE, podman, print_results, result

BUDGET_S = 1.0


async def _latencies(url: str, count: int) -> list[float]:
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(url)
    try:
        assert json.loads(await asyncio.wait_for(connection.read_message(), 30))["kind"] == "hello"
        samples = []
        for _ in range(count):
            name = f"lcbench-events-{uuid.uuid4().hex[:6]}"
            await asyncio.to_thread(podman, "run", "-d", "--init", "--name", name, IMAGE, "sleep", "infinity")
            try:
                started = time.perf_counter()
                stop = await asyncio.create_subprocess_exec(
                    "podman", "stop", "-t", "0", name, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                while True:
                    raw = await asyncio.wait_for(connection.read_message(), 30)
                    if raw is None:
                        raise RuntimeError("the events socket closed")
                    message = json.loads(raw)
                    if message.get("name") == name and message.get("status") == "died":
                        samples.append(time.perf_counter() - started)
                        break
                await stop.wait()
            finally:
                await asyncio.to_thread(podman, "rm", "-f", "-t", "0", name, check=False)
        return samples
    finally:
        connection.close()


def run(quick: bool = False) -> list[dict]:
    count = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="lcbench-") as scratch:
        server = _Server(Path(scratch))
        try:
            samples = asyncio.run(_latencies(server.ws_url("/labcontainer/api/events"), count))
        finally:
            server.stop()
    median = statistics.median(samples)
    return [
        result("events_notice_latency_s", median, BUDGET_S, "the issue's budget (1 s), so ratio = seconds",
               target="<= 1.0", samples=len(samples), median_ms=round(median * 1000, 1),
               max_ms=round(max(samples) * 1000, 1), measured="podman CLI stop -> notice on the events websocket (no browser)"),
    ]


if __name__ == "__main__":
    print_results(run("--quick" in sys.argv))
