"""A container kernel whose image is still being pulled is shut down: the pull stops, and
nothing is left (no image, container, record or connection folder).

A real Jupyter server (in-process) and real Podman; the image comes from the lab's registry
through a relay that sends 2 MB/s, so the shutdown lands mid-download. The relay counts
Podman's connections to the registry: when they all close, Podman gave the pull up.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from labcontainer.kernels import records
from labcontainer.kernels.kernelspecs import install_kernelspec, remove_kernelspec

from ..images.conftest import SlowRelay, pulled, registries  # noqa: F401 - fixtures

RATE = 2e6  # bytes a second: the 32 MB layer takes ~16 s
PATIENCE = 60.0
KERNELSPEC = "lc-pull-cancel"


@pytest.fixture
def relay(registries):  # noqa: F811 - the fixture imported above
    relay = SlowRelay(registries.scratch, registries.open, rate=RATE)
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def far_kernelspec(jp_environ, jp_data_dir, relay, pulled):  # noqa: F811
    image = pulled(f"{relay.listen}/lab/pulltest:latest")
    install_kernelspec(image, name=KERNELSPEC)
    yield image
    remove_kernelspec(KERNELSPEC)


async def until(predicate, message: str):
    for _ in range(int(PATIENCE * 10)):
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {PATIENCE} s waiting for {message}")


async def test_shutting_down_a_kernel_whose_image_pulls_stops_the_pull_and_leaves_nothing(
    far_kernelspec, jp_serverapp, jp_fetch, relay, podman_cli
):
    service = jp_serverapp.web_app.settings["labcontainer_app"].service
    starting = asyncio.ensure_future(
        jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": KERNELSPEC}), raise_error=False)
    )
    row = await until(lambda: next((p for p in service.pulls.current() if p.kernel_id and relay.bytes_sent > RATE), None),
                      "the kernel's image pulling (a second of its bytes arrived)")
    kernel_id = row.kernel_id

    response = await asyncio.wait_for(jp_fetch("api", "kernels", kernel_id, method="DELETE", raise_error=False), PATIENCE)
    assert response.code == 204
    answer = await asyncio.wait_for(starting, PATIENCE)
    assert answer.code >= 400  # the start was given up

    await until(lambda: relay.open_connections == 0, "Podman to close its connections to the registry")
    assert podman_cli("image", "exists", far_kernelspec, check=False).returncode != 0, "the pull went on"
    assert kernel_id not in jp_serverapp.kernel_manager.list_kernel_ids()
    assert not podman_cli.exists(f"lc-kernel-{kernel_id}")
    assert records.load_record(kernel_id) is None
    sockets = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")
    assert not list(sockets.glob(f"lck-{kernel_id[:8]}-*"))
    assert service.pulls.current() == []
