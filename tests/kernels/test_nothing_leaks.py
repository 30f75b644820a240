"""Every way a container kernel can fail or end leaves nothing behind it: no container, no
record, no connection directory (each of the last two holds the kernel's key)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager

from labcontainer.core import errors
from labcontainer.kernels import pool
from labcontainer.kernels.kernelspecs import install_kernelspec, remove_kernelspec

from ..conftest import start_private_service, wait_until
from .conftest import KERNELSPEC
from .jupyter import JupyterServer, execute, remove_leftovers, server_environment, state_dir
from .test_adoption import kernel_containers, records_of
from .test_kernel_failures import left_on_host


def edit_kernelspec(info, **changes) -> None:
    """Change a kernelspec by hand, as a user editing kernel.json would."""
    path = Path(info.resource_dir) / "kernel.json"
    spec = json.loads(path.read_text())
    config = spec["metadata"]["kernel_provisioner"]["config"]
    for key, value in changes.items():
        if key == "argv":
            spec["argv"] = value
        else:
            config[key] = value
    path.write_text(json.dumps(spec))


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"transport": "bogus"}, errors.InvalidSpec, "transport"),
        ({"gpus": "7"}, errors.GpuDeviceUnknown, "nvidia-ctk"),
        ({"image": "localhost/labcontainer-no-such-image:2"}, errors.PullFailed, "labcontainer-no-such-image"),
        ({"argv": ["python3", "-c", "raise SystemExit(4)"]}, errors.KernelStartError, "exit code 4"),
        ({"argv": ["sh", "-c", "echo never-ready; sleep 600"], "startup_timeout": 3}, errors.KernelStartError,
         "did not open its sockets within 3 s"),
    ],
    ids=["validation", "unknown-gpu", "bad-image", "command-exits", "never-ready"],
)
async def test_failed_starts_leave_nothing(data_dir, test_image, podman_cli, changes, error, words):  # noqa: F811
    info = install_kernelspec(test_image, name="lc-fails")
    edit_kernelspec(info, **changes)
    km = AsyncKernelManager(kernel_name="lc-fails")
    with pytest.raises(error) as caught:
        await km.start_kernel()
    assert words in str(caught.value)
    if "never-ready" in json.dumps(changes):
        assert "never-ready" in caught.value.logs  # the container's last lines come with it
    assert kernel_containers(podman_cli, km.kernel_id) == []
    assert left_on_host(km.kernel_id) == []


@pytest.fixture
def outage_lab(tmp_path, test_image, monkeypatch, podman_cli):
    """A server whose Podman is a service of its own, which the test can stop."""
    service = start_private_service()
    env = server_environment(tmp_path)
    monkeypatch.setenv("JUPYTER_DATA_DIR", env["JUPYTER_DATA_DIR"])
    install_kernelspec(test_image, name="lc-outage")
    server = JupyterServer(tmp_path, env, options=(f"--LabContainer.podman_url={service.url}",))
    server.start()
    yield server, service
    try:
        server.stop()
    finally:
        remove_leftovers(server, podman_cli)
    service.stop()
    shutil.rmtree(service.directory, ignore_errors=True)


def test_delete_during_a_podman_outage_is_finished_when_podman_is_back(outage_lab, podman_cli):
    server, service = outage_lab
    kernel_id = server.request("POST", "/api/kernels", {"name": "lc-outage"})["id"]
    service.stop()  # Podman's API is gone; the container runs on (the main service still sees it)

    assert server.status_of("DELETE", f"/api/kernels/{kernel_id}") in (200, 204)
    assert server.kernel_ids() == []
    assert len(kernel_containers(podman_cli, kernel_id)) == 1  # (exited: the kernel obeyed shutdown_request)
    (record,) = records_of(server).values()
    assert record["remove_pending"] and record["connection_info"] == {}  # the key is gone already
    assert [p for p in left_on_host(kernel_id) if "lck-" in p] == []  # the connection directory went at once

    service.start()
    wait_until(lambda: kernel_containers(podman_cli, kernel_id) == [], timeout=20, message="the removal to be retried")
    wait_until(lambda: records_of(server) == {}, timeout=5, message="the record to go")


def test_restart_checks_the_image_before_touching_the_kernel(tmp_path, test_image, podman_cli, monkeypatch, unique_name):
    image = f"localhost/{unique_name('retag')}:1"
    podman_cli("tag", test_image, image)
    env = server_environment(tmp_path)
    monkeypatch.setenv("JUPYTER_DATA_DIR", env["JUPYTER_DATA_DIR"])
    install_kernelspec(image, name="lc-retag")
    server = JupyterServer(tmp_path, env)
    server.start()
    try:
        kernel_id = server.request("POST", "/api/kernels", {"name": "lc-retag"})["id"]
        execute(server, kernel_id, "x = 42")
        (before,) = kernel_containers(podman_cli, kernel_id)
        podman_cli("untag", image, image)  # only that name (a bare `untag IMAGE` drops them all)

        assert server.status_of("POST", f"/api/kernels/{kernel_id}/restart") >= 400
        assert kernel_containers(podman_cli, kernel_id) == [before]  # untouched, still running
        assert execute(server, kernel_id, "print(x)").strip() == "42"
        assert "labcontainer-no-such" not in server.log and image in server.log  # the pull that failed is named
    finally:
        try:
            server.stop()
        finally:
            remove_leftovers(server, podman_cli)
    assert kernel_containers(podman_cli, kernel_id) == []


def test_a_failed_start_does_not_keep_the_server_from_stopping(lab, test_image, podman_cli):
    """jupyter_client keeps a kernel whose start failed among its pending kernels; the stop's
    shutdown_all then asks jupyter_server to shut it down, which answers 404 (no such kernel),
    and the server ran on until a second SIGTERM. A lab member's mistake (a GPU that is not
    there) must not make the server deaf to Ctrl+C."""
    server = lab
    edit_kernelspec(install_kernelspec(test_image, name="lc-fails"), gpus="7")
    server.start()
    working = server.open_notebook("a.ipynb", KERNELSPEC)["kernel"]["id"]
    failed = {"path": "b.ipynb", "type": "notebook", "name": "b.ipynb", "kernel": {"name": "lc-fails"}}
    assert server.status_of("POST", "/api/sessions", failed) == 500
    server.stop()  # one SIGTERM; waits for the process (TimeoutExpired if it runs on)
    assert server.process.returncode is not None
    assert not podman_cli.exists(f"lc-kernel-{working}")  # and the stop shut the working kernel down


def test_a_waiting_kernel_whose_removal_podman_missed_is_removed_when_it_answers(outage_lab, test_image, podman_cli):
    """A pool's member retired while Podman does not answer (here: its kernelspec removed
    during an outage) used to wait for the next server; it goes once Podman is back."""
    server, service = outage_lab
    install_kernelspec(test_image, name="lc-outage-pool", pool=1)  # behind the server's back, as the CLI does
    (member,) = wait_until(lambda: [m for m in pool.load_members(state_dir(server)) if m.waiting], timeout=60,
                           message="a kernel waiting in the pool")
    service.stop()
    remove_kernelspec("lc-outage-pool")
    wait_until(lambda: f"could not remove {member.container_name} now" in server.log, timeout=30,
               message="the removal to fail while Podman does not answer")
    assert podman_cli.exists(member.container_name)
    service.start()
    wait_until(lambda: not podman_cli.exists(member.container_name), timeout=30, message="the removal to be tried again")
    assert pool.load_members(state_dir(server)) == []
