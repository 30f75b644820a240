"""Another server, from a notebook: `%container -c gpu2 ps` against `podman -c gpu2 ps`, and
`%gpus --all` against asking each server's nvidia-smi over ssh one after another.

Needs the test world's gpu2 (scripts/setup-remote.sh: LABCONTAINER_REMOTE_URI). Both sides
use the same connection, added with `podman system connection add` into a throw-away
CONTAINERS_CONF. Ours is measured warm (the SSH master made by a first call, as in a
notebook after its first -c line); the first call's time is in the details.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import environ_set, median_seconds, print_results, result


def run(quick: bool = False) -> list[dict]:
    from IPython.core.interactiveshell import InteractiveShell

    from labcontainer.core.connection import Connection
    from labcontainer.gpus import RecordedReader
    from labcontainer.gpus.smi import GPU_COMMAND
    from labcontainer.magics import ContainerMagics
    from labcontainer.magics.servers import gpus_everywhere
    from labcontainer.service import LabService

    uri = os.environ.get("LABCONTAINER_REMOTE_URI")
    if not uri:
        print("    no gpu2 (LABCONTAINER_REMOTE_URI unset: run scripts/setup-remote.sh): skipped")
        return []
    gpu2 = Connection(name="gpu2", url=uri)
    identity = str(Path("~/.ssh/id_ed25519").expanduser())
    repeat = 5 if quick else 15
    with tempfile.TemporaryDirectory() as home:
        conf = Path(home) / "containers.conf"
        conf.write_text("")
        with environ_set(CONTAINERS_CONF=str(conf), XDG_CONFIG_HOME=str(Path(home) / "config")):
            podman = shutil.which("podman") or "podman"
            subprocess.run([podman, "system", "connection", "add", "--identity", identity, "gpu2", uri], check=True, capture_output=True)
            cli_env = {k: v for k, v in os.environ.items() if k not in ("CONTAINER_HOST", "CONTAINER_CONNECTION")}
            magics = ContainerMagics(InteractiveShell.instance(), service=LabService(nvml=RecordedReader({"gpus": []})))
            started = time.perf_counter()
            repr(magics.container("-c gpu2 ps"))
            first = time.perf_counter() - started
            ours = median_seconds(lambda: repr(magics.container("-c gpu2 ps")), repeat)
            cli = median_seconds(lambda: subprocess.run([podman, "-c", "gpu2", "ps"], env=cli_env, check=True, capture_output=True), repeat)
            results = [result("remote_ps_magic_vs_podman_cli", ours, cli, "podman -c gpu2 ps (CLI, its own ssh each time)",
                              first_call_s=round(first, 3), target_ratio=0.5)]

            servers = magics.servers()
            gpus_everywhere(servers, free_only=False)  # links up
            ours_all = median_seconds(lambda: gpus_everywhere(servers, free_only=False), repeat)
            remote = [servers.get(name) for name in servers.names() if name != "local"]
            ssh = ["ssh", "-p", str(gpu2.ssh_port), "-o", "BatchMode=yes", "-o", "ControlPath=none", gpu2.ssh_destination, " ".join(GPU_COMMAND)]

            def one_after_another() -> None:
                for _ in remote:  # one `ssh HOST nvidia-smi` per server with GPUs over SSH
                    subprocess.run(ssh, check=True, capture_output=True)

            base_all = median_seconds(one_after_another, repeat)
            results.append(result("gpus_all_three_servers_s", ours_all, base_all, "one `ssh HOST nvidia-smi` per server, one after another",
                                  servers_measured=len(servers.names()), servers_over_ssh=len(remote),
                                  note="only local (no GPUs) and gpu2 exist here, not three servers"))
            servers.close()
            return results


if __name__ == "__main__":
    print_results(run(quick="--quick" in sys.argv))
