"""A kernel's container name is already taken when it starts: its own leftover is replaced,
anyone else's container is left alone and the start says why.

The provisioner no longer looks for a leftover before every start (one REST call less on the
cold-start path); it clears one only when Podman answers "name in use". These stories make
sure that shortcut still handles both cases as before.
"""

from __future__ import annotations

import uuid

import pytest
from jupyter_client.manager import AsyncKernelManager

from labcontainer.core import errors
from labcontainer.core.models import (
    LABEL_KERNEL_ID,
    LABEL_MANAGED,
    LABEL_PURPOSE,
    PURPOSE_KERNEL,
)
from labcontainer.kernels.config import KERNEL_CONTAINER_PREFIX
from labcontainer.kernels.kernelspecs import install_kernelspec

from ..conftest import executes_ok


@pytest.fixture
def kernel_id(podman_cli):
    """A kernel id chosen in advance; whatever container carries its name is removed afterwards."""
    kid = str(uuid.uuid4())
    yield kid
    podman_cli("rm", "-f", "-t", "0", f"{KERNEL_CONTAINER_PREFIX}{kid}", check=False)


def container_id(podman_cli, name: str) -> str | None:
    result = podman_cli("inspect", "--format", "{{.Id}}", name, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


async def test_this_kernels_leftover_container_is_replaced(data_dir, test_image, podman_cli, kernel_id):
    # What a restart finds when the previous container could not be removed (Podman was
    # unreachable for a moment): a container of this very kernel, under its name.
    name = f"{KERNEL_CONTAINER_PREFIX}{kernel_id}"
    podman_cli("create", "--name", name, "--label", f"{LABEL_MANAGED}=true", "--label", f"{LABEL_PURPOSE}={PURPOSE_KERNEL}",
               "--label", f"{LABEL_KERNEL_ID}={kernel_id}", test_image, "sleep", "infinity")
    leftover = container_id(podman_cli, name)

    install_kernelspec(test_image, name="lc-name-taken")
    km = AsyncKernelManager(kernel_name="lc-name-taken")
    await km.start_kernel(kernel_id=kernel_id)
    try:
        await executes_ok(km, "print(6 * 7)")
        assert km.provisioner.container_name == name
        assert container_id(podman_cli, name) not in (None, leftover)  # a new container under the name
        assert podman_cli.state(name) == "running"
        assert podman_cli("ps", "-a", "--filter", f"id={leftover}", "--format", "{{.ID}}").stdout.strip() == ""
    finally:
        await km.shutdown_kernel(now=True)
    assert not podman_cli.exists(name)


async def test_someone_elses_container_under_the_name_is_left_alone(data_dir, test_image, podman_cli, kernel_id):
    # Not labcontainer's (no labels): never removed, and the start says the name is taken.
    name = f"{KERNEL_CONTAINER_PREFIX}{kernel_id}"
    podman_cli("create", "--name", name, test_image, "sleep", "infinity")
    theirs = container_id(podman_cli, name)

    install_kernelspec(test_image, name="lc-name-taken")
    km = AsyncKernelManager(kernel_name="lc-name-taken")
    with pytest.raises(errors.NameInUse) as caught:
        await km.start_kernel(kernel_id=kernel_id)
    assert name in str(caught.value)
    assert container_id(podman_cli, name) == theirs
    assert podman_cli.state(name) == "created"
