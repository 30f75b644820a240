"""Following 100,000 log lines: `%container logs -f` and the panel against `podman logs -f`.

The baseline is the podman CLI writing the same lines to /dev/null. Times are medians of
untraced runs; Python's peak memory (tracemalloc, which slows Python down) comes from one
more run of each. Every run checks that every line arrived: the magic's output is counted,
the panel's buffer keeps its bound. Also measured: the magic in a real ipykernel (what a
notebook sees: each flushed write is an iopub message), the same magic through the service
(the path taken when the log file is not readable here, e.g. a remote Podman), and a live
follow of a container that writes its 100,000 lines while being followed.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from unittest import mock

from common import IMAGE, median_seconds, podman, print_results, result


class _Sink(io.TextIOBase):
    """Stands for the notebook's stdout: counts what was written and in how many writes."""

    def __init__(self) -> None:
        self.writes = 0
        self.flushes = 0
        self.lines = 0

    def write(self, text: str) -> int:
        self.writes += 1
        self.lines += text.count("\n")
        return len(text)

    def flush(self) -> None:
        self.flushes += 1


def _peak_mib(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        action()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    finally:
        tracemalloc.stop()


def _in_a_kernel(command: str, repeat: int) -> tuple[float, int, int]:
    """``command`` run in a real ipykernel: median seconds, stream messages, lines received."""
    from jupyter_client.manager import start_new_kernel

    import labcontainer

    # The kernel imports the same labcontainer as this process.
    root = os.path.dirname(os.path.dirname(labcontainer.__file__))
    manager, client = start_new_kernel(env={**os.environ, "PYTHONPATH": root})
    counts = [0, 0]

    def execute(code: str) -> None:
        # Our own loop: execute_interactive gave up early ("Timeout waiting for output")
        # under 100,000 messages.
        msg_id = client.execute(code)
        while True:
            message = client.get_iopub_msg(timeout=600)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                counts[0] += 1
                counts[1] += message["content"]["text"].count("\n")
            elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return

    try:
        execute("%load_ext labcontainer")
        counts[:] = [0, 0]
        seconds = median_seconds(lambda: execute(command), repeat)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return seconds, counts[0] // repeat, counts[1] // repeat


def run(quick: bool = False) -> list[dict]:
    from IPython.core.interactiveshell import InteractiveShell

    from labcontainer.engine import PodmanEngine
    from labcontainer.engine.logfile import local_log_path
    from labcontainer.gpus import RecordedReader
    from labcontainer.magics import ContainerMagics
    from labcontainer.service import LabService
    from labcontainer.widgets import ContainerPanel

    lines = 10_000 if quick else 100_000
    repeat = 1 if quick else 3
    name = f"lcbench-logs-{uuid.uuid4().hex[:6]}"
    podman("run", "--name", name, IMAGE, "seq", "1", str(lines))
    live = f"{name}-live"
    try:
        engine = PodmanEngine()
        service = LabService(engine, nvml=RecordedReader({"gpus": []}))
        magics = ContainerMagics(InteractiveShell.instance(), service=service)
        source = "log file" if local_log_path(engine.inspect(name), engine.url) else "service"
        sinks: list[_Sink] = []

        def magic_follow(container: str = name) -> None:
            sinks.append(_Sink())
            with contextlib.redirect_stdout(sinks[-1]):
                magics.container(f"logs -f {container}")

        def complete(count: int = lines) -> bool:
            return all(s.lines == count for s in sinks)

        cli = median_seconds(lambda: podman("logs", "-f", name), repeat)
        ours = median_seconds(magic_follow, repeat)
        magic_peak = _peak_mib(magic_follow)
        magic_ok, writes, flushes = complete(), sinks[-1].writes, sinks[-1].flushes

        in_kernel, messages, kernel_lines = _in_a_kernel(f"%container logs -f {name}", repeat)

        sinks.clear()
        with mock.patch("labcontainer.engine.logs.local_log_path", return_value=None):
            through_service = median_seconds(magic_follow, repeat)
            service_peak = _peak_mib(magic_follow)
        service_ok = complete()

        panel = ContainerPanel(service, auto_refresh=False, log_limit=500)
        seen: list[int] = []

        def panel_follow() -> None:
            panel.show_logs(name, tail=None).join()  # every line, as `logs -f` reads them
            seen.append(panel.logs.buffer.total)

        panel_seconds = median_seconds(panel_follow, repeat)
        panel_peak = _peak_mib(panel_follow)
        kept = len(panel.logs.buffer)
        panel_text = len(panel.logs.shown_text)
        panel.close()

        # Live: both followers start before the container writes; the time is from the
        # container's start to the follower's end (the writer's own time is in both).
        script = f"sleep 1; seq 1 {lines}"
        live_cli, live_ours = [], []
        sinks.clear()
        for _ in range(repeat):
            for samples, follow in ((live_cli, lambda: podman("logs", "-f", live)), (live_ours, lambda: magic_follow(live))):
                podman("rm", "-f", live, check=False)
                podman("run", "-d", "--name", live, IMAGE, "sh", "-c", script)
                started = time.perf_counter()
                follow()
                samples.append(time.perf_counter() - started)
        live_ok = complete()

        return [
            result(f"logs_follow_magic_{lines}", ours, cli, "podman logs -f (CLI) to /dev/null", lines=lines,
                   read_from=source, every_line_delivered=magic_ok, stdout_writes=writes, stdout_flushes=flushes,
                   python_peak_mib=magic_peak),
            result(f"logs_follow_panel_{lines}", panel_seconds, cli, "podman logs -f (CLI) to /dev/null", lines=lines,
                   read_from=source, python_peak_mib=panel_peak, buffer_kept=kept, buffer_limit=500,
                   lines_seen=min(seen), text_sent_to_browser_chars=panel_text),
            result(f"logs_follow_magic_in_kernel_{lines}", in_kernel, cli, "podman logs -f (CLI) to /dev/null", lines=lines,
                   read_from=source, iopub_stream_messages=messages, lines_received=kernel_lines),
            result(f"logs_follow_magic_{lines}_through_service", through_service, cli,
                   "podman logs -f (CLI) to /dev/null", lines=lines, read_from="service (forced: file not readable)",
                   every_line_delivered=service_ok, python_peak_mib=service_peak),
            result(f"logs_follow_live_magic_{lines}", statistics.median(live_ours), statistics.median(live_cli),
                   f"podman logs -f (CLI) of the same live writer ({script!r})", lines=lines, read_from=source,
                   every_line_delivered=live_ok),
        ]
    finally:
        for container in (name, live):
            podman("rm", "-f", container, check=False)


if __name__ == "__main__":
    print_results(run("--quick" in sys.argv))
