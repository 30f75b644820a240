"""A container kernel on another server: the kernelspec names gpu2, the kernel runs there.

A real Jupyter Server in a subprocess (the user added gpu2 with `podman system connection
add` before starting it), notebooks' traffic over its websocket, gpu2's own podman CLI as the
witness of what exists there, `ps` as the witness of ssh processes here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from labcontainer.core.models import LABEL_KERNEL_ID
from labcontainer.kernels.kernelspecs import install_kernelspec

from ..conftest import wait_until
from ..kernels.jupyter import JupyterServer, execute, remove_leftovers, server_environment


def _gpu2_containers(gpu2_cli, kernel_id: str) -> list[dict]:
    listed = gpu2_cli("ps", "-a", "--filter", f"label={LABEL_KERNEL_ID}={kernel_id}", "--format", "json").stdout
    return json.loads(listed or "[]")


def _ssh_children(pid: int) -> list[tuple[int, str]]:
    """The ssh processes the server started (its link's master)."""
    rows = subprocess.run(["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    found = []
    for row in rows:
        child, parent, args = row.split(None, 2)
        if int(parent) == pid and args.startswith("ssh "):
            found.append((int(child), args))
    return found


@pytest.fixture
def gpu2_lab(tmp_path: Path, gpu2, gpu2_cli, podman_cli):
    """A Jupyter server (not started) whose user added gpu2 with podman; after the test,
    whatever a failed test left of its kernels on gpu2 is removed there."""
    env = server_environment(tmp_path)
    conf = tmp_path / "containers.conf"
    conf.write_text("")
    env.update(CONTAINERS_CONF=str(conf), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    subprocess.run(["podman", "system", "connection", "add", "gpu2", gpu2.url], env=env, check=True, capture_output=True, timeout=30)
    server = JupyterServer(tmp_path, env, options=("--ServerApp.jpserver_extensions=labcontainer=True",))
    yield server
    kernels = []
    try:
        kernels = server.kernel_ids() if server.process and server.process.poll() is None else []
    except OSError:
        pass
    try:
        server.stop()
    finally:
        remove_leftovers(server, podman_cli)
        for kernel_id in kernels:
            for found in _gpu2_containers(gpu2_cli, kernel_id):
                gpu2_cli("rm", "-f", "-t", "0", found["Id"], check=False)


def _kernelspec(server: JupyterServer, image: str, **settings) -> str:
    return server.request("POST", "/labcontainer/api/kernelspecs", {"image": image, **settings})["kernelspec"]["name"]


def _notebook_on_gpu2(server: JupyterServer, image: str, notebook: str) -> str:
    """Start the server, and a notebook's kernel on gpu2 (its kernelspec made through the
    side panel's API); the kernel's id."""
    server.start()
    name = _kernelspec(server, image, connection="gpu2")
    return server.open_notebook(notebook, name)["kernel"]["id"]


def _answers(server: JupyterServer, kernel_id: str, code: str, expected: str) -> bool:
    """Whether the kernel runs ``code`` and prints ``expected`` now (False while it cannot)."""
    with contextlib.suppress(AssertionError, asyncio.TimeoutError, OSError):
        return execute(server, kernel_id, code, timeout=5).strip() == expected
    return False


def test_a_kernel_on_gpu2_runs_there_keeps_its_variables_through_a_lost_link_and_leaves_nothing(gpu2_lab, gpu2_cli, test_image_on_gpu2, podman_cli):
    server = gpu2_lab
    kernel_id = _notebook_on_gpu2(server, test_image_on_gpu2, "work/a.ipynb")

    # It runs on gpu2 (gpu2's podman says so), not here.
    (container,) = _gpu2_containers(gpu2_cli, kernel_id)
    assert container["State"] == "running"
    assert json.loads(podman_cli("ps", "-a", "--filter", f"label={LABEL_KERNEL_ID}={kernel_id}", "--format", "json").stdout or "[]") == []
    out = execute(server, kernel_id, "import os, socket; print(socket.gethostname(), os.environ['HOME'], os.getcwd())")
    hostname, home, cwd = out.split()
    assert container["Id"].startswith(hostname)
    assert home.endswith("/.local/share/jupyter/labcontainer/home") and home.startswith("/home/gpu2")
    assert cwd == "/home/gpu2"  # no such folder as the notebook's there: gpu2's home, and the log says so
    assert f"has no folder {server.root}" in server.log or "has no folder" in server.log

    # Its connection folder there is private and holds the key; here only the forwarded sockets.
    (record,) = [json.loads(p.read_text()) for p in (Path(server.env["JUPYTER_RUNTIME_DIR"]) / "labcontainer-kernels").glob("*.json")
                 if kernel_id in p.name]
    assert record["connection"] == "gpu2" and record["remote_dir"].startswith("/run/user/")
    assert gpu2_cli.connection and subprocess.run(
        ["ssh", "-p", str(gpu2_cli.connection.ssh_port), "-o", "BatchMode=yes", "-o", "ControlPath=none", gpu2_cli.connection.ssh_destination,
         "stat", "-c", "%a", record["remote_dir"]], capture_output=True, text=True, check=True).stdout.strip() == "700"
    local = Path(record["connection_dir"])
    assert not (local / "kernel.json").exists() and len(list(local.glob("k-*"))) == 5

    # The link's master dies (a network cut): the kernel is not dead, and keeps its variables.
    assert execute(server, kernel_id, "x = 41; print('set')").strip() == "set"
    masters = _ssh_children(server.process.pid)
    assert masters, "the server's SSH link to gpu2"
    for pid, _ in masters:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: _ssh_children(server.process.pid) and _ssh_children(server.process.pid) != masters, timeout=30,
               message="the link to be made again (the kernel's poll)")
    assert execute(server, kernel_id, "print(x + 1)").strip() == "42"
    assert [k["id"] for k in server.request("GET", "/api/kernels")] == [kernel_id]
    assert len(_gpu2_containers(gpu2_cli, kernel_id)) == 1  # the same container: nothing restarted

    # Shut down: nothing left on either machine.
    assert server.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)
    assert _gpu2_containers(gpu2_cli, kernel_id) == []
    assert gpu2_cli.connection and subprocess.run(
        ["ssh", "-p", str(gpu2_cli.connection.ssh_port), "-o", "BatchMode=yes", "-o", "ControlPath=none", gpu2_cli.connection.ssh_destination,
         "test", "-e", record["remote_dir"]], capture_output=True).returncode == 1
    assert not local.exists()
    server.stop()
    assert not _ssh_children(server.process.pid)


def test_a_kernel_whose_container_stopped_on_gpu2_heals_there(gpu2_lab, gpu2_cli, test_image_on_gpu2):
    server = gpu2_lab
    server.start()
    name = _kernelspec(server, test_image_on_gpu2, connection="gpu2")
    kernel_id = server.request("POST", "/api/kernels", {"name": name})["id"]
    (old,) = _gpu2_containers(gpu2_cli, kernel_id)
    gpu2_cli("stop", "-t", "0", old["Id"])

    def healed() -> bool:
        found = _gpu2_containers(gpu2_cli, kernel_id)
        if len(found) != 1 or found[0]["Id"] == old["Id"] or found[0]["State"] != "running":
            return False
        return _answers(server, kernel_id, "print(6 * 7)", "42")

    wait_until(healed, timeout=60, interval=0.5, message="the kernel to run again in a fresh container on gpu2")
    assert server.kernel_ids() == [kernel_id]
    assert server.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)
    assert _gpu2_containers(gpu2_cli, kernel_id) == []


def test_count_n_goes_to_the_first_named_server_with_n_free_gpus_or_is_refused_naming_each(gpu2_lab, gpu2_cli, test_image_on_gpu2):
    server = gpu2_lab
    server.start()
    # gpu2's recorded GPUs: 0 busy, 1 free. This machine in the test world: no GPU driver.
    one = _kernelspec(server, test_image_on_gpu2, connection=["local", "gpu2"], gpus="count=1", name="lc-one")
    kernel_id = server.request("POST", "/api/kernels", {"name": one})["id"]
    (container,) = _gpu2_containers(gpu2_cli, kernel_id)
    assert "runs on gpu2: it had 1 free GPU(s) (1), 1 asked for" in server.log
    # gpu2's GPU 1 (its CDI device; the test world's fake spec says which in the environment)
    assert execute(server, kernel_id, "import os; print(os.environ['LABCONTAINER_FAKE_GPU'])").strip() == "1"
    assert server.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)

    two = _kernelspec(server, test_image_on_gpu2, connection=["local", "gpu2"], gpus="count=2", name="lc-two")
    assert server.status_of("POST", "/api/kernels", {"name": two}) == 500
    assert "No server of this kernel has 2 free GPU(s) now" in server.log and "gpu2: 1 free" in server.log


def test_a_sigkilled_server_leaves_no_ssh_behind_and_the_next_one_adopts_the_kernel_on_gpu2(gpu2_lab, gpu2_cli, test_image_on_gpu2):
    server = gpu2_lab
    kernel_id = _notebook_on_gpu2(server, test_image_on_gpu2, "b.ipynb")
    assert execute(server, kernel_id, "x = 'kept'; print('set')").strip() == "set"
    masters = [pid for pid, _ in _ssh_children(server.process.pid)]
    assert masters

    server.sigkill()
    # Its link's master ends with it (nothing left running here for a server that is gone)...
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
                               for pid in masters), timeout=10, message="the killed server's ssh master to end")
    # ...while the kernel's container goes on, on gpu2.
    (container,) = _gpu2_containers(gpu2_cli, kernel_id)
    assert container["State"] == "running"

    server.start()
    assert server.kernel_ids() == [kernel_id]
    assert "adopted kernel" in server.log
    assert execute(server, kernel_id, "print(x)").strip() == "kept"
    assert server.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)
    assert _gpu2_containers(gpu2_cli, kernel_id) == []


def _test_sshd(port: int) -> tuple[int, list[str]]:
    """The test world's sshd listener on ``port``: its pid and command line (to start it again)."""
    for row in subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout.splitlines()[1:]:
        pid, args = row.split(None, 1)
        if not (args.startswith("sshd: /usr/sbin/sshd -f ") and "[listener]" in args):
            continue
        command = args.removeprefix("sshd: ").split(" [listener]")[0].split()
        if f"Port {port}" in Path(command[command.index("-f") + 1]).read_text().splitlines():
            return int(pid), command
    raise AssertionError(f"no test sshd on port {port}: scripts/setup-remote.sh starts it")


@pytest.mark.skipif(os.geteuid() != 0, reason="stopping the test world's sshd (root's) needs root: the rootful run covers it")
def test_a_link_down_20_s_is_not_a_dead_kernel(gpu2_lab, gpu2_cli, test_image_on_gpu2):
    server = gpu2_lab
    kernel_id = _notebook_on_gpu2(server, test_image_on_gpu2, "c.ipynb")
    assert execute(server, kernel_id, "x = 7; print('set')").strip() == "set"
    (container,) = _gpu2_containers(gpu2_cli, kernel_id)

    sshd, command = _test_sshd(gpu2_cli.connection.ssh_port or 22)
    os.kill(sshd, signal.SIGTERM)  # the server is out of reach: no new connection...
    for pid, _ in _ssh_children(server.process.pid):
        os.kill(pid, signal.SIGKILL)  # ...and the open one is cut
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the restarter polls meanwhile: "alive", no restart
            (model,) = server.request("GET", "/api/kernels")
            assert model["id"] == kernel_id and model["execution_state"] != "dead" and not model.get("reason"), model
            time.sleep(1)
    finally:
        subprocess.run(command, check=True)
    wait_until(lambda: _ssh_children(server.process.pid), timeout=45, message="the link to gpu2 to be made again")

    wait_until(lambda: _answers(server, kernel_id, "print(x * 6)", "42"), timeout=45, interval=1, message="the kernel to answer with its variables through the new link")
    assert [c["Id"] for c in _gpu2_containers(gpu2_cli, kernel_id)] == [container["Id"]]  # never restarted
    assert "restarting kernel" not in server.log
    assert server.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)


def test_a_kernel_on_a_server_that_does_not_answer_is_refused_in_words_within_10_s(gpu2_lab, test_image_on_gpu2, monkeypatch):
    server = gpu2_lab
    with socket.socket() as s:  # a port nobody answers on
        s.bind(("127.0.0.1", 0))
        down = f"ssh://gpu2@127.0.0.1:{s.getsockname()[1]}/run/user/1/podman/podman.sock"
    subprocess.run(["podman", "system", "connection", "add", "down", down], env=server.env, check=True, capture_output=True, timeout=30)
    monkeypatch.setenv("JUPYTER_DATA_DIR", server.env["JUPYTER_DATA_DIR"])
    install_kernelspec(test_image_on_gpu2, name="lc-down", connection=["down"])  # written while it answered, say
    server.start()
    before = set(Path(tempfile.gettempdir()).glob("lck-*"))
    started = time.monotonic()
    assert server.status_of("POST", "/api/kernels", {"name": "lc-down"}) == 500
    assert time.monotonic() - started < 12
    assert "The server down (127.0.0.1:" in server.log and "cannot be reached over SSH" in server.log
    assert set(Path(tempfile.gettempdir()).glob("lck-*")) == before  # nothing made here
    assert server.kernel_ids() == []


def test_the_cli_writes_a_kernelspec_for_gpu2_and_refuses_an_unknown_server(gpu2_lab, test_image_on_gpu2):
    env = gpu2_lab.env
    cli = [sys.executable, "-m", "labcontainer.cli", "kernelspec", "install", "--image", test_image_on_gpu2]
    done = subprocess.run([*cli, "--connection", "gpu2"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = json.loads(next(Path(env["JUPYTER_DATA_DIR"], "kernels").glob("lc-*-gpu2/kernel.json")).read_text())
    assert written["metadata"]["kernel_provisioner"]["config"]["connection"] == ["gpu2"]
    refused = subprocess.run([*cli, "--connection", "nosuch", "--name", "lc-nosuch"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "nosuch" in refused.stderr and "gpu2" in refused.stderr and "Traceback" not in refused.stderr
