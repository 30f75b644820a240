"""Container kernels outlive the server: the next server adopts them, with their variables.

Each test runs a real Jupyter Server in a subprocess, opens a "notebook" (a session), sets
a variable through the kernel's websocket, kills or stops the server, starts another and
reads the variable back through a new websocket. The podman CLI is the witness of what
runs; the state directory is listed before and after.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labcontainer.kernels.identity import server_alive

from ..conftest import wait_until
from .conftest import KERNELSPEC
from .jupyter import JupyterServer, execute, state_dir

def records_of(server: JupyterServer) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in state_dir(server).glob("*.json")}


def kernel_containers(podman_cli, kernel_id: str) -> list[tuple[str, str]]:
    out = podman_cli("ps", "-a", "--filter", f"label=org.labcontainer.kernel-id={kernel_id}", "--format", "{{.ID}}").stdout
    return [(cid, podman_cli.state(cid)) for cid in out.split()]


def start_notebook_with_x(server: JupyterServer) -> str:
    kernel_id = server.open_notebook("train.ipynb", KERNELSPEC)["kernel"]["id"]
    assert execute(server, kernel_id, "x = 42; print('set')").strip() == "set"
    return kernel_id


def assert_adopted(server: JupyterServer, kernel_id: str, podman_cli) -> None:
    assert server.kernel_ids() == [kernel_id]
    sessions = server.request("GET", "/api/sessions")
    assert [(s["path"], s["kernel"]["id"]) for s in sessions] == [("train.ipynb", kernel_id)]
    assert server.request("GET", f"/api/kernels/{kernel_id}")["execution_state"] == "idle"  # asked, not assumed
    assert execute(server, kernel_id, "print(x)").strip() == "42"  # a new client, the same variables
    assert "adopted kernel" in server.log


def assert_nothing_left(server: JupyterServer, kernel_id: str, podman_cli) -> None:
    assert kernel_containers(podman_cli, kernel_id) == []
    assert kernel_id not in records_of(server)
    sockets = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")
    assert not list(sockets.glob(f"lck-{kernel_id[:8]}-*"))


def test_sigkilled_server_kernel_is_adopted_with_its_variables(lab, podman_cli, unlabelled_container):
    lab.start()
    kernel_id = start_notebook_with_x(lab)
    (container_before,) = kernel_containers(podman_cli, kernel_id)

    lab.sigkill()
    time.sleep(1)
    assert kernel_containers(podman_cli, kernel_id) == [container_before]  # the kernel runs on

    lab.start()
    assert_adopted(lab, kernel_id, podman_cli)
    assert kernel_containers(podman_cli, kernel_id) == [container_before]  # the same container, not a restart
    assert podman_cli.state(unlabelled_container) == "running"

    # Adopted, it is a kernel like any other: a restart works, and shutdown leaves nothing.
    lab.request("POST", f"/api/kernels/{kernel_id}/restart")
    assert execute(lab, kernel_id, "print('x' in dir())").strip() == "False"
    lab.request("DELETE", f"/api/kernels/{kernel_id}")
    assert_nothing_left(lab, kernel_id, podman_cli)
    assert podman_cli.state(unlabelled_container) == "running"


def test_a_kernel_adopted_in_the_middle_of_a_cell_shows_busy_until_the_cell_ends(lab, podman_cli):
    lab.start()
    kernel_id = start_notebook_with_x(lab)
    # A cell that runs until the test lets it end (the notebook's folder is the kernel's too).
    cell = "import os, time\nwhile not os.path.exists('go'): time.sleep(0.1)\nx = 43"
    with pytest.raises(TimeoutError):  # the cell runs on; this client just stops waiting
        execute(lab, kernel_id, cell, timeout=2)
    lab.sigkill()
    lab.start()
    assert lab.request("GET", f"/api/kernels/{kernel_id}")["execution_state"] == "busy"
    (lab.root / "go").touch()
    # The cell's end reaches the new server as the kernel's own "idle" status.
    wait_until(lambda: lab.request("GET", f"/api/kernels/{kernel_id}")["execution_state"] == "idle", timeout=30)
    assert execute(lab, kernel_id, "print(x)").strip() == "43"


def test_keep_kernels_keeps_them_over_a_clean_stop(lab, podman_cli):
    lab.start("--LabContainer.keep_kernels=True")
    kernel_id = start_notebook_with_x(lab)
    lab.stop()
    assert [state for _, state in kernel_containers(podman_cli, kernel_id)] == ["running"]
    lab.start()
    assert_adopted(lab, kernel_id, podman_cli)


def test_without_keep_kernels_a_clean_stop_shuts_them_down(lab, podman_cli):
    lab.start()
    kernel_id = start_notebook_with_x(lab)
    lab.stop()
    assert_nothing_left(lab, kernel_id, podman_cli)


def test_a_kernel_whose_container_went_meanwhile_is_not_adopted(lab, podman_cli):
    lab.start()
    kernel_id = start_notebook_with_x(lab)
    gone = start_notebook_with_x_in(lab, "other.ipynb")
    lab.sigkill()
    podman_cli("rm", "-f", "-t", "0", f"lc-kernel-{gone}")  # removed while no server ran
    podman_cli("stop", "-t", "0", f"lc-kernel-{kernel_id}")  # stopped while no server ran

    lab.start()
    assert lab.kernel_ids() == []
    assert lab.request("GET", "/api/sessions") == []
    for kid in (kernel_id, gone):
        assert_nothing_left(lab, kid, podman_cli)
    # the dead server's own files are gone too: no lock or session database but the live server's
    assert len(list((state_dir(lab) / "servers").glob("*.lock"))) == 1
    assert len(list(state_dir(lab).glob("sessions-*.db"))) == 1


def when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def test_an_adopted_kernels_idle_clock_goes_on_from_where_it_was(lab, podman_cli):
    """The culler counts from a kernel's last activity: an adoption must not reset it, or a
    kernel idle for a day would get another full timeout from each server restart."""
    lab.start()
    kernel_id = start_notebook_with_x(lab)
    before = when(lab.request("GET", f"/api/kernels/{kernel_id}")["last_activity"])
    wait_until(lambda: when(records_of(lab).get(kernel_id, {}).get("last_activity")) == before, timeout=30,
               message="the kernel's idle clock in its record")
    lab.sigkill()
    restarted_at = datetime.now(timezone.utc)
    lab.start()
    assert lab.kernel_ids() == [kernel_id]
    after = when(lab.request("GET", f"/api/kernels/{kernel_id}")["last_activity"])
    assert before <= after < restarted_at, (before, after, restarted_at)


def start_notebook_with_x_in(server: JupyterServer, path: str) -> str:
    return server.open_notebook(path, KERNELSPEC)["kernel"]["id"]


def test_idle_container_kernels_are_culled_also_when_adopted(lab, podman_cli):
    culling = ("--MappingKernelManager.cull_idle_timeout=5", "--MappingKernelManager.cull_interval=1")
    lab.start(*culling)
    kernel_id = lab.request("POST", "/api/kernels", {"name": KERNELSPEC})["id"]
    wait_until(lambda: lab.kernel_ids() == [], timeout=15, message="the idle kernel to be culled")
    assert_nothing_left(lab, kernel_id, podman_cli)

    # an adopted kernel is culled the same way
    lab.stop()
    lab.start()
    kernel_id = lab.request("POST", "/api/kernels", {"name": KERNELSPEC})["id"]
    lab.sigkill()
    lab.start(*culling)
    assert lab.kernel_ids() == [kernel_id]
    wait_until(lambda: lab.kernel_ids() == [], timeout=15, message="the adopted idle kernel to be culled")
    assert_nothing_left(lab, kernel_id, podman_cli)


# -- server identity: never a bare PID ------------------------------------------------------


def pid1_prefix() -> tuple[str, ...]:
    """Run the server as PID 1 of a new PID namespace (as in a container); killing the
    unshare process kills the server with it."""
    unshare = shutil.which("unshare")
    if not unshare:
        pytest.fail("util-linux unshare is missing (Debian: util-linux)", pytrace=False)
    user = () if os.getuid() == 0 else ("--user", "--map-current-user")
    return (unshare, *user, "--pid", "--fork", "--kill-child")


def test_pid1_servers_neither_lose_nor_steal_kernels(lab, podman_cli):
    as_pid1 = JupyterServer(lab.root, lab.env, prefix=pid1_prefix())
    as_pid1.start()
    try:
        kernel_id = start_notebook_with_x(as_pid1)
        assert records_of(as_pid1)[kernel_id]["server_pid"] == 1  # it really was PID 1

        # A second server (not PID 1) while the PID-1 server lives: PID 1 is alive here
        # too, but that says nothing; the owner's lock does. Nothing is taken over.
        lab.start()
        assert lab.kernel_ids() == []
        assert as_pid1.kernel_ids() == [kernel_id]
        lab.stop()

        # The PID-1 server dies: a server that is not PID 1 adopts its kernel.
        as_pid1.sigkill()
        wait_for_owner_to_go(lab, kernel_id)
        lab.start()
        assert_adopted(lab, kernel_id, podman_cli)

        # And the other way round: a PID-1 server adopts from a dead ordinary server.
        lab.sigkill()
        as_pid1.start()
        assert as_pid1.kernel_ids() == [kernel_id]
        assert execute(as_pid1, kernel_id, "print(x)").strip() == "42"
        as_pid1.request("DELETE", f"/api/kernels/{kernel_id}")
    finally:
        as_pid1.stop()
    assert_nothing_left(lab, kernel_id, podman_cli)


def wait_for_owner_to_go(server: JupyterServer, kernel_id: str) -> None:
    # SIGKILL reaches the PID-1 server through unshare's --kill-child: a moment later.
    owner = records_of(server)[kernel_id]["server_id"]
    wait_until(lambda: not server_alive(state_dir(server), owner), timeout=10, message="the killed server's lock to go")


def test_unshare_really_gives_pid1():
    """The witness for the test above: the prefix makes the process PID 1."""
    out = subprocess.run([*pid1_prefix(), "python3", "-c", "import os; print(os.getpid())"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    assert out.strip() == "1"
