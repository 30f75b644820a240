"""A container stopped with the podman CLI → its notice on the side panel's events websocket.

One Jupyter server (labcontainer, as installed) in a subprocess; one client on
`/labcontainer/api/events`, as the side panel opens it. Each sample: start a container with the
CLI, then time from launching `podman stop -t 0` to the `{"kind": "containers", "status":
"died"}` notice for it. This is the server's part of `side_panel_update_latency_s`, which
bench_side_panel.py measures in Chromium (the browser then asks the REST API again, after a
100 ms coalescing pause, and redraws the row).
The median is reported against the issue's 1 s budget, so the ratio is in seconds.

``panel_widget_update_latency_s``: the same CLI stop, until the displayed ipywidgets panel
(which follows Podman's events itself, in the notebook's kernel) shows the row as Exited.
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


def _widget_latencies(count: int) -> tuple[list[float], dict[str, int]]:
    """The ipywidgets panel, displayed (it then follows Podman's events itself): CLI stop → its row says Exited."""
    from labcontainer.gpus import RecordedReader
    from labcontainer.service import LabService
    from labcontainer.widgets import ContainerPanel

    panel = ContainerPanel(LabService(nvml=RecordedReader({"gpus": []})))
    panel._repr_mimebundle_()  # what the notebook does when it shows the panel

    def until(predicate, what: str) -> None:
        deadline = time.monotonic() + 30
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the panel never showed {what}")
            time.sleep(0.005)

    def status(name: str) -> str:
        return next((row.status for row in panel.rows if row.name == name), "")

    samples = []
    try:
        until(lambda: panel.refresh_reasons["reconnected"] >= 1, "that it follows Podman's events")
        for _ in range(count):
            name = f"lcbench-widget-{uuid.uuid4().hex[:6]}"
            podman("run", "-d", "--init", "--name", name, IMAGE, "sleep", "infinity")
            try:
                until(lambda name=name: status(name).startswith("Up"), f"{name} running")
                started = time.perf_counter()
                stop = subprocess.Popen(["podman", "stop", "-t", "0", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                until(lambda name=name: status(name).startswith("Exited"), f"{name} exited")
                samples.append(time.perf_counter() - started)
                stop.wait(60)
            finally:
                podman("rm", "-f", "-t", "0", name, check=False)
    finally:
        panel.close()
    return samples, dict(panel.refresh_reasons)


def run(quick: bool = False) -> list[dict]:
    count = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="lcbench-") as scratch:
        server = _Server(Path(scratch))
        try:
            samples = asyncio.run(_latencies(server.ws_url("/labcontainer/api/events"), count))
        finally:
            server.stop()
    median = statistics.median(samples)
    widget, reasons = _widget_latencies(count)
    widget_median = statistics.median(widget)
    return [
        result("events_notice_latency_s", median, BUDGET_S, "the issue's budget (1 s), so ratio = seconds",
               target="<= 1.0", samples=len(samples), median_ms=round(median * 1000, 1),
               max_ms=round(max(samples) * 1000, 1), measured="podman CLI stop -> notice on the events websocket (no browser)"),
        result("panel_widget_update_latency_s", widget_median, BUDGET_S, "the issue's budget (1 s), so ratio = seconds",
               target="<= 1.0", samples=len(widget), median_ms=round(widget_median * 1000, 1),
               max_ms=round(max(widget) * 1000, 1), refreshes=reasons,
               measured="podman CLI stop -> the ipywidgets panel's row says Exited (its own event follower)"),
    ]


if __name__ == "__main__":
    print_results(run("--quick" in sys.argv))
