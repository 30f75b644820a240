"""Image and kernel notices on the events websocket, against a real server and real Podman.

Images change with the podman CLI (as in a terminal); container kernels through Jupyter's own
kernel API (as a notebook does) and die by a CLI `podman kill`.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from .test_events import connect_events, events_url  # noqa: F401 - fixtures

IMAGE_PATTERN = "localhost/lct-events-{}:1"


@pytest.fixture
def image_tag(podman_cli):
    """A name for an extra tag of the test image; only that tag is removed after the test."""
    name = IMAGE_PATTERN.format(uuid.uuid4().hex[:6])
    yield name
    # `untag IMAGE NAME`: with NAME given only that name goes (without it, every name would).
    podman_cli("untag", name, name, check=False)


async def test_a_tag_and_its_removal_with_the_cli_are_announced(connect_events, podman_cli, test_image, image_tag):  # noqa: F811
    client = await connect_events()
    await asyncio.to_thread(podman_cli, "tag", test_image, image_tag)
    tagged = await client.wait_for(kind="images", name=image_tag, action="tag")
    assert set(tagged) == {"kind", "name", "action"}
    await asyncio.to_thread(podman_cli, "rmi", image_tag)
    await client.wait_for(kind="images", name=image_tag, action="untag")
    assert podman_cli("image", "exists", test_image, check=False).returncode == 0, "only the extra tag went"


async def test_creating_a_container_from_a_local_image_is_an_image_pull_notice(connect_events, podman_cli, test_image, unique_name):  # noqa: F811
    """Podman reports a `pull` when it resolves a local image for a new container: announced."""
    client = await connect_events()
    name = unique_name()
    await asyncio.to_thread(podman_cli, "create", "--name", name, test_image, "true")
    wanted = [{"kind": "images", "name": test_image, "action": "pull"}, {"kind": "containers", "name": name, "status": "create"}]
    while not all(message in client.seen for message in wanted):  # in either order (rootless: create first)
        await client.next()


class TestContainerKernels:
    """Start, restart, death and shutdown of a container kernel reach the side panel at once."""

    SPEC = "lc-events-test"

    async def test_the_life_of_a_container_kernel_is_announced(self, connect_events, api, test_image, jp_fetch, podman_cli):  # noqa: F811
        status, body = await api("POST", "kernelspecs", {"image": test_image, "name": self.SPEC})
        assert status == 201, body
        kernelspec = self.SPEC
        client = await connect_events()
        # A plain (local) kernel first: never a kernel notice for it (checked at the end).
        local = json.loads((await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))).body)["id"]
        kernel_id = json.loads((await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": kernelspec}))).body)["id"]
        container = f"lc-kernel-{kernel_id}"
        try:
            first = await client.wait_for(kind="kernels", kernel_id=kernel_id)  # others' kernels may die meanwhile
            assert first == {"kind": "kernels", "kernel_id": kernel_id, "name": container, "action": "start"}, client.seen
            assert podman_cli.state(container) == "running"
            # Announced once Jupyter has done it: the refresh the notice causes sees the kernel as this server's.
            _, body = await api("GET", "containers")
            row = next(c for c in body["containers"] if c["name"] == container)
            assert row["kernel"]["id"] == kernel_id and row["kernel"]["ours"] is True, row

            await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body=b"")
            await client.wait_for(kind="kernels", kernel_id=kernel_id, action="restart")

            await asyncio.to_thread(podman_cli, "kill", container)
            await client.wait_for(kind="kernels", kernel_id=kernel_id, name=container, action="died")
        finally:
            await jp_fetch("api", "kernels", kernel_id, method="DELETE", raise_error=False)
            await jp_fetch("api", "kernels", local, method="DELETE", raise_error=False)
        await client.wait_for(kind="kernels", kernel_id=kernel_id, action="shutdown")
        assert not [m for m in client.seen if m.get("kind") == "kernels" and m.get("kernel_id") == local], client.seen
        assert not podman_cli.exists(container)
