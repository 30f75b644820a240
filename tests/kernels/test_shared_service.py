"""c.LabContainer.podman_url is the one service: the REST API and container kernels both use it.

Two private services log every API request; CONTAINER_HOST names the other one, so a
kernel started through the server proves which service it used by where its container's
create request landed.
"""

from __future__ import annotations

import json
import shutil

import pytest

from labcontainer.service import LabService, set_default_service

from ..conftest import start_private_service, wait_until


@pytest.fixture
def logged_services():
    services = [start_private_service(log_level="debug") for _ in range(2)]
    yield services
    for service in services:
        service.stop()
        shutil.rmtree(service.directory, ignore_errors=True)


@pytest.fixture
def jp_server_config(logged_services, monkeypatch):
    chosen, other = logged_services
    monkeypatch.setenv("CONTAINER_HOST", other.url)
    set_default_service(LabService())  # what a fresh process would have: discovery from CONTAINER_HOST
    yield {
        "ServerApp": {"jpserver_extensions": {"labcontainer": True}},
        "LabContainer": {"podman_url": chosen.url, "recover_kernels": False},
    }
    # The extension made the private service the process's default; it is about to stop.
    monkeypatch.undo()
    set_default_service(LabService())


async def test_a_kernel_runs_on_the_service_the_rest_api_reports(jp_fetch, logged_services, test_image, podman_cli):
    chosen, other = logged_services
    status = json.loads((await jp_fetch("labcontainer", "api", "status")).body)
    assert status["connected"] and status["url"] == chosen.url

    await jp_fetch("labcontainer", "api", "kernelspecs", method="POST",
                   body=json.dumps({"image": test_image, "name": "lc-shared-service"}))
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "lc-shared-service"}))
    kernel_id = json.loads(response.body)["id"]
    try:
        container = f"lc-kernel-{kernel_id}"
        assert podman_cli.state(container) == "running"

        def created_on(service) -> bool:
            log = service.log.read_text(errors="replace")
            return f"setting container name {container}" in log

        wait_until(lambda: created_on(chosen), timeout=10, message="the chosen service's log to show the kernel's container")
        assert not created_on(other), "the kernel container was made through CONTAINER_HOST's service, not podman_url's"
    finally:
        await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert not podman_cli.exists(container)
