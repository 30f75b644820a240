"""A lab member manages images from the side panel's Images section: is told why a pull failed,
pulls one from the lab registry with the pull form, removes it (after saying yes), and is told,
naming the container, why an image a container uses cannot go. The podman CLI is the witness.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from ..conftest import wait_until
from .test_side_panel import lab, page, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def image_exists(podman_cli, image: str) -> bool:
    return podman_cli("image", "exists", image, check=False).returncode == 0


@pytest.fixture
def registry_image(podman_cli):
    """The lab registry's python image, absent before (a real pull) and after the test (only that name)."""
    registry = os.environ.get("LABCONTAINER_REGISTRY") or pytest.fail("LABCONTAINER_REGISTRY is not set", pytrace=False)
    name = f"{registry}/lab/python:latest"
    podman_cli("rmi", name, check=False)
    yield name
    podman_cli("rmi", name, check=False)


@pytest.fixture
def used_image(podman_cli, tmp_path, unique_name):
    """A tiny image of its own (one name) and a container made from it: (image, container)."""
    image = f"localhost/lct-imagespanel-{uuid.uuid4().hex[:8]}:1"
    (tmp_path / "README").write_text(f"{image}\n")
    subprocess.run(["tar", "-C", str(tmp_path), "-cf", str(tmp_path / "rootfs.tar"), "README"], check=True)
    podman_cli("import", str(tmp_path / "rootfs.tar"), image)
    user = unique_name("uses-image")
    podman_cli("create", "--name", user, image, "/README")
    yield image, user
    podman_cli("rm", "-f", user, check=False)
    podman_cli("rmi", image, check=False)


def test_pull_remove_and_a_refused_remove_from_the_images_section(
    # the images' fixtures first: their clean-up then runs after the lab's
    registry_image, used_image, lab, page, podman_cli  # noqa: F811
):
    image, user = used_image
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    panel = page.locator("#labcontainer-panel")
    panel.locator(".lc-Status.lc-ok").wait_for(timeout=30000)

    # A pull that fails says why under the form (the server keeps the failure for the panel).
    missing = registry_image.replace("/lab/python:latest", f"/lab/never-pushed-{uuid.uuid4().hex[:6]}:1")
    panel.locator(".lc-PullImage").fill(missing)
    panel.locator(".lc-PullButton").click()
    panel.locator(".lc-PullMessage.lc-down", has_text=missing).wait_for(timeout=60000)
    assert not image_exists(podman_cli, missing)

    # Pull with the form: the row appears, with its size, and Podman has the image.
    panel.locator(".lc-PullImage").fill(registry_image)
    panel.locator(".lc-PullButton").click()
    row = panel.locator(f".lc-ImageRow[data-name='{registry_image}']")
    row.wait_for(timeout=120000)
    assert "MB" in row.locator(".lc-Detail").inner_text() or "GB" in row.locator(".lc-Detail").inner_text()
    panel.locator(".lc-PullMessage.lc-ok", has_text=f"Pulled {registry_image}.").wait_for(timeout=30000)
    assert image_exists(podman_cli, registry_image)
    shot(page, "30-images-pulled")

    # Remove asks first, naming the image; Cancel keeps it.
    row.locator("button.lc-remove").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-header", has_text=registry_image).wait_for(timeout=10000)
    dialog.locator(".jp-Dialog-button", has_text="Cancel").click()
    dialog.wait_for(state="detached", timeout=10000)
    assert image_exists(podman_cli, registry_image)

    # Remove, then yes: the row goes, and so does Podman's name for it.
    row.locator("button.lc-remove").click()
    dialog.locator(".jp-Dialog-button.jp-mod-warn", has_text="Remove").click()
    row.wait_for(state="detached", timeout=30000)
    wait_until(lambda: not image_exists(podman_cli, registry_image), timeout=10, message="the image to be gone")
    assert image_exists(podman_cli, "localhost/labcontainer-python:latest")  # the same image's other name stays

    # An image a container uses: the panel says which container, and nothing is removed.
    used_row = panel.locator(f".lc-ImageRow[data-name='{image}']")
    used_row.locator("button.lc-remove").click()
    dialog.locator(".jp-Dialog-button.jp-mod-warn", has_text="Remove").click()
    failure = page.locator(".jp-Dialog", has_text="Could not remove")
    failure.locator(".lc-DialogMessage", has_text=user).wait_for(timeout=30000)
    shot(page, "31-images-remove-refused")
    # The side panel's advice names the side panel's own ways, not the magics' (#24 item 5).
    advice = failure.locator(".lc-DialogMessage").inner_text()
    assert "the side panel's Containers section" in advice and "%container" not in advice, advice
    failure.locator(".jp-Dialog-button", has_text="Ok").click()
    assert image_exists(podman_cli, image) and podman_cli.exists(user)
    assert used_row.is_visible()
