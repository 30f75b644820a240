"""Nothing the user did not ask to remove is ever removed.

Every labcontainer clean-up path runs here next to containers labcontainer did not make
(or made for something else), and those all survive.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client.manager import AsyncKernelManager

from labcontainer.core import errors
from labcontainer.kernels.kernelspecs import install_kernelspec
from labcontainer.magics import ContainerMagics
from labcontainer.core.models import LABEL_KERNEL_ID, ContainerSpec
from labcontainer.kernels import records
from labcontainer.kernels.recovery import sort_orphans
from labcontainer.service import LabService


@pytest.fixture
def bystanders(podman_cli, test_image, unique_name, engine):
    """Containers that no clean-up may touch: the user's own (unlabelled, one even named
    like a kernel container) and a labcontainer container that is not a kernel."""
    kernel_id = str(uuid.uuid4())
    users = unique_name("users")
    podman_cli("run", "-d", "--name", users, test_image, "sleep", "infinity")
    lookalike = f"lc-kernel-{kernel_id}"
    podman_cli("run", "-d", "--name", lookalike, "--label", f"{LABEL_KERNEL_ID}={kernel_id}", test_image, "sleep", "infinity")
    plain = unique_name("plain")
    engine.run(ContainerSpec(image=test_image, name=plain, command=("sleep", "infinity"), init=True))
    yield {"users": users, "lookalike": lookalike, "plain": plain, "kernel_id": kernel_id}
    podman_cli("rm", "-f", "-t", "0", lookalike, check=False)


def assert_all_alive(podman_cli, bystanders):
    for key in ("users", "lookalike", "plain"):
        assert podman_cli.state(bystanders[key]) == "running", f"{key} container was touched"


def test_failed_runs_remove_only_what_they_created(engine, test_image, unique_name, bystanders, podman_cli):
    with pytest.raises(errors.GpuDeviceUnknown):
        engine.run(ContainerSpec(image=test_image, name=unique_name(), gpus=("nvidia.com/gpu=9",)))
    with pytest.raises(errors.NameInUse):
        engine.run(ContainerSpec(image=test_image, name=bystanders["users"]))
    assert_all_alive(podman_cli, bystanders)


def test_attached_run_with_rm_removes_only_its_own(engine, test_image, unique_name, bystanders, podman_cli):
    magics = ContainerMagics(InteractiveShell.instance(), service=LabService(engine))
    assert magics.container(f"run --rm --name {unique_name()} {test_image} true").exit_code == 0
    assert_all_alive(podman_cli, bystanders)


def test_recovery_ignores_forged_or_foreign_records(engine, bystanders, podman_cli, tmp_path):
    state = tmp_path / "state"
    # Records from a dead server pointing at containers that are not that kernel's.
    for key in ("users", "lookalike", "plain"):
        info = engine.get(bystanders[key])
        records.save_record(records.KernelRecord(kernel_id=str(uuid.uuid4()), container_name=info.name, container_id=info.id,
                                                 connection_dir=str(tmp_path / key), server_pid=2**22 + 7), state)
    report = sort_orphans(LabService(engine), state_dir=state)
    assert report.removed == [] and report.adoptable == []
    assert_all_alive(podman_cli, bystanders)
    assert records.load_records(state) == []  # the bogus records are forgotten, the containers kept


def test_kernel_launch_and_shutdown_leave_others_alone(engine, test_image, bystanders, podman_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    install_kernelspec(test_image, name="lc-nothing-lost")
    asyncio.run(_launch_restart_shutdown(bystanders, podman_cli))


async def _launch_restart_shutdown(bystanders, podman_cli) -> None:
    # A kernel whose id collides with the lookalike's name: ours must not replace the user's.
    km = AsyncKernelManager(kernel_name="lc-nothing-lost")
    with pytest.raises(errors.NameInUse):
        await km.start_kernel(kernel_id=bystanders["kernel_id"])
    assert_all_alive(podman_cli, bystanders)
    km = AsyncKernelManager(kernel_name="lc-nothing-lost")
    await km.start_kernel()
    await km.restart_kernel(now=True)
    await km.shutdown_kernel(now=True)
    assert_all_alive(podman_cli, bystanders)
