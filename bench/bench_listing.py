"""Listing 200 containers: `%container ps -a` and a panel refresh against the podman CLI.

Also counts the REST calls one panel refresh makes at 20 and at 200 containers: it must
not grow with the number of containers.
"""

from __future__ import annotations

import sys

from common import bench_containers, median_seconds, podman, print_results, result


def count_requests(engine, action) -> int:
    """REST calls made by ``action`` (counted on podman-py's HTTP session)."""
    session = engine._client.api
    calls = [0]
    original = session.request

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    session.request = counting
    try:
        action()
    finally:
        session.request = original
    return calls[0]


def run(quick: bool = False) -> list[dict]:
    from IPython.core.interactiveshell import InteractiveShell

    from labcontainer.widgets import ContainerPanel
    from labcontainer.engine import PodmanEngine
    from labcontainer.gpus import RecordedReader
    from labcontainer.magics import ContainerMagics
    from labcontainer.service import LabService

    repeat = 3 if quick else 7
    engine = PodmanEngine()
    service = LabService(engine, nvml=RecordedReader({"gpus": []}))
    magics = ContainerMagics(InteractiveShell.instance(), service=service)
    panel = ContainerPanel(service, auto_refresh=False)
    results = []
    calls = {}
    counts = (10, 40) if quick else (20, 200)
    for count in counts:
        with bench_containers(count, f"list{count}"):
            first = median_seconds(panel.refresh, 1)  # builds every row's widgets
            calls[count] = count_requests(engine, panel.refresh)
            if count == max(counts):
                ps_ours = median_seconds(lambda: repr(magics.container("ps -a")), repeat)
                ps_cli = median_seconds(lambda: podman("ps", "-a"), repeat)
                results.append(result(f"container_ps_a_{count}", ps_ours, ps_cli, "podman ps -a (CLI)", containers=count))
                refresh = median_seconds(panel.refresh, repeat)
                json_cli = median_seconds(lambda: podman("ps", "-a", "--format", "json"), repeat)
                results.append(result(f"panel_refresh_{count}", refresh, json_cli, "podman ps -a --format json (CLI)",
                                      containers=count, rest_calls_per_refresh=calls, first_refresh_building_rows_s=round(first, 3),
                                      note="steady state: rows already built, as on every event-driven refresh"))
    panel.close()
    small, large = sorted(calls)
    results.append({"name": "panel_refresh_calls_growth", "ratio": calls[large] / calls[small], "ours_s": None, "baseline_s": None,
                    "baseline": f"REST calls at {small} containers", "details": {"calls": calls}})
    return results


if __name__ == "__main__":
    print_results([r for r in run("--quick" in sys.argv) if r["ours_s"] is not None])
