"""Three lab members' first container kernels, started at once through a real JupyterHub.

``hub_three_members_first_kernel_s``: from three spawn requests at once (hub REST API) to each
member's first container kernel started (their kernelspec written through labcontainer's REST,
then POST /api/kernels through the hub's proxy with the member's own token), when nothing runs
for the members and labcontainer starts each one's Podman service; against the same with each
member's Podman service already running (as a lingering systemd socket would give). Both
interleaved, median of the rounds. Runs as root (the hub spawns as each member), with
jupyter-config/hub/jupyterhub_config.py and the members of scripts/setup-hub.sh.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import IMAGE, print_results, result

REPO = Path(__file__).resolve().parent.parent
SPEC = "lcbench-hub-kernel"


def _answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(path)
        except OSError:
            return False
    return True


def _first_kernel(hub, member_class, name: str) -> None:
    member = member_class(hub, name, hub.spawn(name))
    made = member.call("POST", "labcontainer/api/kernelspecs", body={"image": IMAGE, "name": SPEC})
    assert made.status_code == 201, made.text
    kernel = member.call("POST", "api/kernels", body={"name": SPEC})
    assert kernel.status_code == 201, kernel.text
    member.call("DELETE", f"labcontainer/api/kernelspecs/{SPEC}")


def _round(hub, prestarted: bool) -> float:
    from tests.hub.hubdriver import Member, wait_for
    from tests.hub.members import MEMBERS, end_processes_of, member_env, processes_of, uid

    services = []
    if prestarted:
        for name in MEMBERS:
            runtime = f"/tmp/podman-run-{uid(name)}"
            services.append(subprocess.Popen(
                ["runuser", "-u", name, "--", *member_env(name, XDG_RUNTIME_DIR=runtime), "podman", "system", "service",
                 "--time=0"], cwd="/tmp", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            wait_for(lambda: _answers(f"{runtime}/podman/podman.sock"), f"{name}'s own service")
    started = time.perf_counter()
    with ThreadPoolExecutor(len(MEMBERS)) as pool:
        list(pool.map(lambda name: _first_kernel(hub, Member, name), MEMBERS))
    elapsed = time.perf_counter() - started
    for name in MEMBERS:
        hub.stop_server(name)  # its kernel goes; a service labcontainer started goes too
    for service in services:
        os.killpg(service.pid, signal.SIGTERM)
        service.wait()
    for name in MEMBERS:  # the next round starts with nothing running for anyone
        end_processes_of(name)
        wait_for(lambda: not processes_of(name), f"{name}'s processes to end")
    return elapsed


def run(quick: bool = False) -> list[dict]:
    subprocess.run(["bash", str(REPO / "scripts" / "setup-hub.sh"), sys.prefix], check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(REPO))
    from tests.hub.hubdriver import Hub
    from tests.hub.members import MEMBERS, end_processes_of

    rounds = 1 if quick else 3
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as folder:
        hub = Hub(Path(folder))
        try:
            for _ in range(rounds):
                cold.append(_round(hub, prestarted=False))
                warm.append(_round(hub, prestarted=True))
        finally:
            hub.stop()
            for name in MEMBERS:
                end_processes_of(name)
    return [result("hub_three_members_first_kernel_s", statistics.median(cold), statistics.median(warm),
                   "the same three, each member's Podman service already running",
                   members=len(MEMBERS), rounds=rounds, cold_s=cold, warm_s=warm)]


if __name__ == "__main__":
    print_results(run(quick="--quick" in sys.argv))
