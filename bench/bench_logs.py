"""Following 100,000 log lines: `%container logs -f` and the panel against `podman logs -f`.

Reports time and Python peak memory (tracemalloc) and checks the panel keeps its bounded
buffer; the baseline is the podman CLI writing the same lines to /dev/null.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import tracemalloc
import uuid

from common import IMAGE, median_seconds, podman, print_results, result


class _Sink(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def run(quick: bool = False) -> list[dict]:
    from IPython.core.interactiveshell import InteractiveShell

    from labcontainer.widgets import ContainerPanel
    from labcontainer.engine import PodmanEngine
    from labcontainer.gpus import RecordedReader
    from labcontainer.magics import ContainerMagics
    from labcontainer.service import LabService

    lines = 10_000 if quick else 100_000
    repeat = 1 if quick else 3
    name = f"lcbench-logs-{uuid.uuid4().hex[:6]}"
    podman("run", "--name", name, IMAGE, "seq", "1", str(lines))
    try:
        engine = PodmanEngine()
        service = LabService(engine, nvml=RecordedReader({"gpus": []}))
        magics = ContainerMagics(InteractiveShell.instance(), service=service)

        def magic_follow() -> None:
            with contextlib.redirect_stdout(_Sink()):
                magics.container(f"logs -f {name}")

        cli = median_seconds(lambda: podman("logs", "-f", name), repeat)
        tracemalloc.start()
        ours = median_seconds(magic_follow, repeat)
        _, magic_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        panel = ContainerPanel(service, auto_refresh=False, log_limit=500)
        tracemalloc.start()
        started = time.perf_counter()
        panel.show_logs(name, tail=None).join()  # every line, as `logs -f` reads them
        panel_seconds = time.perf_counter() - started
        _, panel_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        kept = len(panel.log_buffer)
        seen = panel.log_buffer.total
        panel.close()
        return [
            result(f"logs_follow_magic_{lines}", ours, cli, "podman logs -f (CLI) to /dev/null", lines=lines,
                   python_peak_mib=round(magic_peak / 2**20, 2)),
            result(f"logs_follow_panel_{lines}", panel_seconds, cli, "podman logs -f (CLI) to /dev/null", lines=lines,
                   python_peak_mib=round(panel_peak / 2**20, 2), buffer_kept=kept, buffer_limit=500, lines_seen=seen,
                   text_sent_to_browser_chars=len(panel.log_text)),
        ]
    finally:
        podman("rm", "-f", name, check=False)


if __name__ == "__main__":
    print_results(run("--quick" in sys.argv))
