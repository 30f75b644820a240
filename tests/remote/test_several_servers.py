"""Several servers from one notebook: ``%container -c gpu2 ...`` and ``%gpus -c gpu2`` against
the test world's gpu2 (its own sshd, its own rootless Podman, a stand-in nvidia-smi on its
PATH only), the connections added with the real ``podman system connection add``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from labcontainer.core.connection import LOCAL, Connection
from labcontainer.core.connections import PodmanConnections
from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerFailure, ContainerMagics, FreeGpus
from labcontainer.service import LabService, Services

from .conftest import ssh_processes_of

NO_DRIVER = {"unavailable": "no driver here (recorded)"}
#: The recording the stand-in nvidia-smi answers from (tests/data/handmade-2gpu-smi-*).
GPU0 = "GPU-5b3ad9c4-8e21-4f0a-9c77-2d61e0f4a1b3"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def connections(tmp_path: Path, monkeypatch, gpu2: Connection) -> dict[str, str]:
    """The user's connections, as they add them: gpu2, and `down` (nobody answers there)."""
    conf = tmp_path / "containers.conf"
    conf.write_text("")
    monkeypatch.setenv("CONTAINERS_CONF", str(conf))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("CONTAINER_CONNECTION", raising=False)
    down = f"ssh://gpu2@127.0.0.1:{closed_port()}{gpu2.remote_socket}"
    added = {"gpu2": gpu2.url or "", "down": down}
    for name, url in added.items():
        subprocess.run(["podman", "system", "connection", "add", name, url], check=True, capture_output=True, timeout=30)
    return added


@pytest.fixture
def magics(engine, connections) -> ContainerMagics:
    ip = InteractiveShell.instance()
    made = ContainerMagics(ip, service=LabService(engine, nvml=RecordedReader(NO_DRIVER)))
    ip.register_magics(made)
    yield made
    if made._servers is not None:
        made._servers.close()


def container(magics: ContainerMagics, text: str):
    return magics.shell.run_line_magic("container", text)


def gpus(magics: ContainerMagics, text: str):
    return magics.shell.run_line_magic("gpus", text)


def test_run_and_ps_on_gpu2_with_c_and_connection(magics, gpu2_cli, gpu2_name, test_image_on_gpu2, podman_cli):
    name = gpu2_name("c")
    container(magics, f"-c gpu2 run -d --name {name} {test_image_on_gpu2} sleep 300")

    assert name in gpu2_cli.names()  # gpu2's own podman sees it...
    assert not podman_cli.exists(name)  # ...and this machine's does not
    listed = container(magics, "--connection gpu2 ps")
    assert name in [c.name for c in listed]
    assert repr(listed).splitlines()[0] == "on gpu2:"  # which server answered
    assert name not in [c.name for c in container(magics, "ps -a")]  # no -c: this kernel's Podman

    container(magics, f"--connection=gpu2 stop -t 0 {name}")
    assert gpu2_cli("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "exited"
    container(magics, f"-c gpu2 rm {name}")
    assert name not in gpu2_cli.names()


def test_an_error_on_gpu2_names_gpu2(magics):
    with pytest.raises(UsageError, match=r"On gpu2: .*no-such-container"):
        container(magics, f"-c gpu2 logs no-such-container-{uuid.uuid4().hex[:6]}")


def test_an_unknown_connection_is_refused_naming_the_known_ones(magics):
    with pytest.raises(UsageError) as refused:
        container(magics, "-c nosuch ps")
    said = str(refused.value)
    assert "nosuch" in said and "local" in said and "gpu2" in said and "down" in said


def test_an_unreachable_server_is_named_within_10_s(magics):
    started = time.monotonic()
    with pytest.raises(ContainerFailure, match=r"down") as failed:
        container(magics, "-c down ps")
    assert time.monotonic() - started < 10
    assert "127.0.0.1" in str(failed.value)


def test_system_connection_ls_shows_each_server_and_its_state(magics):
    table = container(magics, "system connection ls")
    rows = {row[0]: row for row in table.rows}
    assert list(rows)[0] == LOCAL and set(rows) == {LOCAL, "gpu2", "down"}  # then podman's order
    assert rows["gpu2"][3] == "reachable" and rows[LOCAL][3] == "reachable"
    assert rows["down"][3].startswith("unreachable since ") and "down" in rows["down"][3]
    assert rows[LOCAL][2] == "yes"  # the test world sets CONTAINER_HOST: it beats podman's default connection


def test_gpus_of_gpu2_come_from_its_nvidia_smi(magics):
    report = gpus(magics, "-c gpu2")
    assert [g.uuid for g in report.view.gpus][0] == GPU0
    assert [g.free for g in report.view.gpus] == [False, True]
    assert repr(report).splitlines()[0] == "on gpu2:"
    free = gpus(magics, "--free -c gpu2")
    assert isinstance(free, FreeGpus) and free == "1"  # exactly what --gpus takes there
    assert "no driver here" in repr(gpus(magics, "--free"))  # no -c: this kernel's machine (recorded: none)


def test_gpus_all_groups_every_server_and_names_the_unreachable(magics):
    everything = gpus(magics, "--all")
    assert sorted(name for name, _ in everything.parts) == sorted([LOCAL, "gpu2", "down"])
    text = repr(everything)
    assert "== gpu2 ==" in text and "NVIDIA H100" in text
    assert "== down ==" in text and "cannot be reached" in text


def test_a_gpu_process_is_attributed_to_its_container_and_user_on_gpu2(magics, gpu2, gpu2_cli, gpu2_name, test_image_on_gpu2):
    name = gpu2_name("gpu")
    gpu2_cli("run", "-d", "--name", name, test_image_on_gpu2, "sleep", "300")
    pid = gpu2_cli("inspect", "--format", "{{.State.Pid}}", name).stdout.strip()
    extra = f"lib/labcontainer-smi/apps.d/{name}.csv"
    gpu2_ssh(gpu2, f"echo '{GPU0}, {pid}, 1024' > {extra}")
    try:
        view = gpus(magics, "-c gpu2").view
    finally:
        gpu2_ssh(gpu2, f"rm -f {extra}")
    held = [p for p in view.gpus[0].processes if p.pid == int(pid)]
    assert held and held[0].container_name == name and held[0].user == "gpu2"


def gpu2_ssh(gpu2: Connection, command: str) -> None:
    subprocess.run(["ssh", "-p", str(gpu2.ssh_port), "-o", "BatchMode=yes", "-o", "ControlPath=none", gpu2.ssh_destination, command],
                   check=True, capture_output=True, timeout=30)


def test_closing_the_servers_leaves_no_ssh_process(magics):
    container(magics, "-c gpu2 ps")
    link = magics.servers().get("gpu2")._podman.link  # noqa: SLF001 - the test looks for its ssh master
    assert ssh_processes_of(link.folder)
    magics.servers().close()
    assert not ssh_processes_of(link.folder)


def test_the_default_is_the_podman_clis(connections):
    local = LabService()
    env = {k: v for k, v in os.environ.items() if k not in ("CONTAINER_HOST",)}
    assert Services(lambda c: c.name, local, environ=env).default == "gpu2"  # podman's default connection
    assert Services(lambda c: c.name, local, environ={**env, "CONTAINER_CONNECTION": "down"}).default == "down"
    assert Services(lambda c: c.name, local, environ={**env, "CONTAINER_HOST": "unix:///x.sock"}).default == LOCAL
    assert Services(lambda c: c.name, local, explicit="down", environ=env).default == "down"
    assert Services(lambda c: c.name, local, environ=env, known=PodmanConnections()).default == LOCAL


def test_a_terminal_on_gpu2_is_offered_for_gpu2(magics, gpu2_cli, gpu2_name, test_image_on_gpu2):
    name = gpu2_name("tty")
    gpu2_cli("run", "-d", "--name", name, test_image_on_gpu2, "sleep", "300")
    with capture_output() as captured:
        assert container(magics, f"-c gpu2 exec -it {name} bash") is None
    [offer] = captured.outputs
    assert offer.data["application/vnd.labcontainer.terminal+json"] == {"container": name, "mode": "exec", "cmd": ["bash"], "connection": "gpu2"}
    assert f"podman -c gpu2 exec -it {name} bash" in offer.data["text/plain"]