"""A kernel on another server: ours (a container kernel on gpu2, its ipc sockets forwarded
over our SSH link) against sshpyk from PyPI (a plain ipykernel started on gpu2 through its
own OpenSSH ControlMaster), over the same sshd, measured in the same run.

- remote_kernel_cold_start_vs_sshpyk: start_kernel to the first kernel_info reply.
- remote_execute_roundtrip_vs_sshpyk: one `execute_request` ("pass") to its reply, on a
  kernel that is ready (median of many).

Needs the test world's gpu2 (scripts/setup-remote.sh) and sshpyk (scripts/bench.sh installs
it). The sshpyk kernel runs this venv's Python on gpu2 (a plain ipykernel, no container), as
a lab member would run it; its ssh config is a throw-away file with what sshpyk asks for.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import IMAGE, environ_set, print_results, ready_kernel, result


def _sshpyk_spec(data: Path, config: Path) -> None:
    folder = data / "kernels" / "sshpyk-gpu2"
    folder.mkdir(parents=True)
    spec = {
        "argv": [], "display_name": "sshpyk gpu2", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": "sshpyk-provisioner", "config": {
            "ssh_host_alias": "gpu2-sshpyk", "ssh_config": str(config), "remote_python": sys.executable,
            "remote_kernel_name": "python3"}}},
    }
    (folder / "kernel.json").write_text(json.dumps(spec))


def _ssh_config(folder: Path, port: int, user: str) -> Path:
    config = folder / "ssh_config"
    config.write_text(
        "Host gpu2-sshpyk\n"
        f"  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  BatchMode yes\n"
        f"  IdentityFile {Path('~/.ssh/id_ed25519').expanduser()}\n  StrictHostKeyChecking yes\n"
        f"  ControlMaster auto\n  ControlPersist 10m\n  ControlPath {folder}/cm-%C\n"
    )
    return config


async def _one(kernel_name: str, roundtrips: int) -> tuple[float, list[float]]:
    from jupyter_client.manager import AsyncKernelManager

    async with ready_kernel(AsyncKernelManager(kernel_name=kernel_name)) as (client, cold):
        trips = []
        for _ in range(roundtrips):
            begun = time.perf_counter()
            await client.execute_interactive("pass", timeout=30)
            trips.append(time.perf_counter() - begun)
        return cold, trips


def run(quick: bool = False) -> list[dict]:
    uri = os.environ.get("LABCONTAINER_REMOTE_URI")
    if not uri:
        print("    no gpu2 (LABCONTAINER_REMOTE_URI unset: run scripts/setup-remote.sh): skipped")
        return []
    try:
        import sshpyk  # noqa: F401
    except ImportError:
        print("    sshpyk is not installed (scripts/bench.sh installs it): skipped")
        return []
    from labcontainer.core.connection import Connection
    from labcontainer.kernels.kernelspecs import install_kernelspec

    gpu2 = Connection(name="gpu2", url=uri)
    repeat, roundtrips = (3, 20) if quick else (7, 100)
    with tempfile.TemporaryDirectory(prefix="lcbench-remote-", dir="/tmp") as scratch:
        base = Path(scratch)
        conf = base / "containers.conf"
        conf.write_text("")
        with environ_set(JUPYTER_DATA_DIR=str(base / "data"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
                         CONTAINERS_CONF=str(conf), XDG_CONFIG_HOME=str(base / "xdg")):
            subprocess.run(["podman", "system", "connection", "add", "gpu2", uri], check=True, capture_output=True)
            install_kernelspec(IMAGE, name="lc-bench-gpu2", connection=["gpu2"])
            _sshpyk_spec(base / "data", _ssh_config(base, gpu2.ssh_port or 22, gpu2.ssh_user or ""))
            ours_cold, ours_trips, theirs_cold, theirs_trips = [], [], [], []
            for _ in range(repeat):  # alternated, so that a slow moment of the machine hits both
                cold, trips = asyncio.run(_one("lc-bench-gpu2", roundtrips))
                ours_cold.append(cold)
                ours_trips += trips
                cold, trips = asyncio.run(_one("sshpyk-gpu2", roundtrips))
                theirs_cold.append(cold)
                theirs_trips += trips
    return [
        result("remote_kernel_cold_start_vs_sshpyk", statistics.median(ours_cold), statistics.median(theirs_cold),
               "sshpyk 1.25 (PyPI): a plain ipykernel on gpu2 over the same sshd", target="<= 1.3",
               samples=[round(s, 3) for s in ours_cold], sshpyk_samples=[round(s, 3) for s in theirs_cold],
               note="ours makes a container there (image, CDI, mounts); sshpyk starts a process"),
        result("remote_execute_roundtrip_vs_sshpyk", statistics.median(ours_trips), statistics.median(theirs_trips),
               "sshpyk 1.25: execute 'pass' to its reply, same sshd", target="<= 1.0", roundtrips=len(ours_trips)),
    ]


if __name__ == "__main__":
    print_results(run(quick="--quick" in sys.argv))
