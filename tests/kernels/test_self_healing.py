"""A container kernel whose container stops is restarted like a local kernel: same kernel
id, a fresh container, and the reason (exit code, last lines) in the server log and on the
kernel's model. Driven through a real Jupyter Server and its websocket, as a notebook."""

from __future__ import annotations

import asyncio
import contextlib

import pytest


from ..conftest import wait_until
from .conftest import KERNELSPEC
from .jupyter import JupyterServer, execute
from .test_adoption import kernel_containers

@pytest.fixture
def started(lab):
    lab.start()
    return lab


def running_again(server: JupyterServer, podman_cli, kernel_id: str, old_container: str) -> None:
    """Within 15 s: one container for the kernel, a new one, running, and code runs."""

    def healed() -> bool:
        containers = kernel_containers(podman_cli, kernel_id)
        if len(containers) != 1 or containers[0][0] == old_container or containers[0][1] != "running":
            return False
        with contextlib.suppress(AssertionError, asyncio.TimeoutError, OSError):
            return execute(server, kernel_id, "print(6 * 7)", timeout=5).strip() == "42"
        return False

    wait_until(healed, timeout=15, interval=0.5, message="the kernel to run again in a fresh container")
    assert server.kernel_ids() == [kernel_id]  # the same kernel id


def test_podman_stop_of_the_container_restarts_the_kernel(started, podman_cli):
    kernel_id = started.open_notebook("a.ipynb", KERNELSPEC)["kernel"]["id"]
    assert execute(started, kernel_id, "print('hello')").strip() == "hello"
    ((old, _),) = kernel_containers(podman_cli, kernel_id)

    podman_cli("stop", "-t", "1", f"lc-kernel-{kernel_id}")  # behind the kernel's back
    running_again(started, podman_cli, kernel_id, old)
    assert f"labcontainer: kernel {kernel_id} stopped: its container" in started.log


def test_a_kernel_that_exits_is_restarted_and_says_why(started, podman_cli):
    kernel_id = started.open_notebook("b.ipynb", KERNELSPEC)["kernel"]["id"]
    ((old, _),) = kernel_containers(podman_cli, kernel_id)
    with contextlib.suppress(AssertionError, asyncio.TimeoutError):
        execute(started, kernel_id, "import sys, os; print('bye', file=sys.stderr, flush=True); os._exit(3)", timeout=5)

    running_again(started, podman_cli, kernel_id, old)
    (model,) = started.request("GET", "/api/kernels")
    assert "exited with code 3" in model["reason"]  # on the kernel's model, for the front-ends
    assert "exited with code 3" in started.log


def test_signals_to_a_stopped_container_are_not_errors(started, podman_cli):
    """jupyter_client interrupts at the start of every shutdown: a kernel whose container
    already stopped must still shut down cleanly and leave nothing."""
    kernel_id = started.request("POST", "/api/kernels", {"name": KERNELSPEC})["id"]
    started.request("POST", f"/api/kernels/{kernel_id}/interrupt")
    podman_cli("stop", "-t", "0", f"lc-kernel-{kernel_id}")
    assert started.status_of("POST", f"/api/kernels/{kernel_id}/interrupt") in (200, 204)
    assert started.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)
    assert kernel_containers(podman_cli, kernel_id) == []


def test_the_side_panels_stop_restarts_the_kernel_through_jupyter(started, podman_cli):
    """The side panel's REST calls: a kernel's container is shown as such, with its
    notebook; Stop (after the panel's confirmation) restarts the kernel through Jupyter;
    Remove shuts it down."""
    kernel_id = started.open_notebook("c.ipynb", KERNELSPEC)["kernel"]["id"]
    name = f"lc-kernel-{kernel_id}"
    listed = {c["name"]: c for c in started.request("GET", "/labcontainer/api/containers")["containers"]}
    assert listed[name]["kernel"] == {"id": kernel_id, "ours": True, "notebook": "c.ipynb"}
    ((old, _),) = kernel_containers(podman_cli, kernel_id)

    started.request("POST", f"/labcontainer/api/containers/{name}/stop")
    running_again(started, podman_cli, kernel_id, old)
    assert started.request("GET", "/api/sessions")[0]["kernel"]["id"] == kernel_id  # the notebook keeps its kernel

    assert started.status_of("DELETE", f"/labcontainer/api/containers/{name}") in (200, 204)
    assert started.kernel_ids() == [] and kernel_containers(podman_cli, kernel_id) == []


def test_a_restart_the_user_asked_for_is_not_reported_as_a_crash(started, podman_cli):
    """Only a container that stopped by itself gets a reason; a restart or shutdown the
    user asked for ends the container too, and must not read as 'the kernel stopped'."""
    kernel_id = started.request("POST", "/api/kernels", {"name": KERNELSPEC})["id"]
    started.request("POST", f"/api/kernels/{kernel_id}/restart")
    (model,) = started.request("GET", "/api/kernels")
    assert not model.get("reason"), model
    started.request("DELETE", f"/api/kernels/{kernel_id}")
    assert f"labcontainer: kernel {kernel_id} stopped" not in started.log
