"""A lab member runs a container on a GPU someone already holds: it goes ahead (podman
shares a GPU too), and one line names who holds it. A GPU the machine does not have is
refused naming the GPUs it has, not blamed on the CDI set-up.

The GPUs are the fake CDI ones (scripts/install-fake-cdi.sh: GPUs 0 and 1 are /dev/null);
NVML's view of them is a recording fed through the seam, as in tests/test_gpus.py.
"""

from __future__ import annotations

import os
import pwd

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

GIB = 1 << 30


def two_gpus(processes_on_0=()) -> dict:
    def gpu(index, processes):
        return {"index": index, "uuid": f"GPU-0000000{index}-aaaa-bbbb-cccc-dddddddddddd", "name": "NVIDIA A100",
                "memory_used": 3 * GIB if processes else 0, "memory_total": 40 * GIB, "utilization": 0,
                "processes": [{"pid": pid, "used_memory": 3 * GIB} for pid in processes]}

    return {"gpus": [gpu(0, processes_on_0), gpu(1, ())]}


def shell_with(engine, readings: dict) -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.register_magics(ContainerMagics(ip, service=LabService(engine, nvml=RecordedReader(readings))))
    return ip


def notes(out: str) -> list[str]:
    return [text for text in out.splitlines() if text.startswith("Note: GPU")]


def test_a_gpu_another_container_holds_is_taken_with_a_note(engine, test_image, unique_name, podman_cli, capsys):
    shell = shell_with(engine, two_gpus())
    first, second, third = unique_name("first"), unique_name("second"), unique_name("all")
    shell.run_line_magic("container", f"run -d --name {first} --gpus 0 {test_image} sleep infinity")
    assert notes(capsys.readouterr().out) == []  # nobody held GPU 0: nothing to say

    shell.run_line_magic("container", f"run -d --name {second} --gpus 0 {test_image} sleep infinity")
    said = notes(capsys.readouterr().out)
    assert said == [f"Note: GPU 0 is in use by container {first}. The container shares it (memory and compute)."]
    assert podman_cli.state(second) == "running"  # taken, not refused

    shell.run_line_magic("container", f"run -d --name {third} --gpus all {test_image} sleep infinity")
    said = notes(capsys.readouterr().out)
    assert len(said) == 1 and said[0].startswith(f"Note: GPU 0 is in use by container {first} and container {second}.")
    assert "GPU 1" not in said[0]  # nobody holds GPU 1
    assert podman_cli.state(third) == "running"


def another_users_process() -> tuple[int, str]:
    """A process of a user other than this one (root's init when the tests run as `lab`; the
    rootless user's Podman service when they run as root), and that user's name."""
    for entry in sorted(os.listdir("/proc"), key=lambda e: int(e) if e.isdigit() else 0):
        if entry.isdigit():
            try:
                owner = os.stat(f"/proc/{entry}").st_uid
            except FileNotFoundError:
                continue
            if owner != os.getuid():
                return int(entry), pwd.getpwuid(owner).pw_name
    raise AssertionError("no process of another user on this machine")


def test_a_gpu_a_process_holds_is_named_with_its_user(engine, test_image, unique_name, podman_cli, capsys):
    # pid "self": this test process, on GPU 0 outside any container; and another user's process.
    pid, user = another_users_process()
    shell = shell_with(engine, two_gpus(processes_on_0=["self", pid]))
    name = unique_name()
    shell.run_line_magic("container", f"run -d --name {name} --gpus 0 {test_image} sleep infinity")
    (said,) = notes(capsys.readouterr().out)
    # This user's own process is "yours"; another user's is named with its user.
    assert said == (f"Note: GPU 0 is in use by your process {os.getpid()} and process {pid} of {user}. "
                    "The container shares it (memory and compute)."), said
    assert podman_cli.state(name) == "running"


def test_a_gpu_this_machine_lacks_is_refused_naming_the_ones_it_has(engine, test_image, unique_name, podman_cli):
    shell = shell_with(engine, two_gpus())
    name = unique_name()
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic("container", f"run -d --name {name} --gpus 3 {test_image} sleep infinity")
    message = str(caught.value)
    assert "There is no GPU 3 on this machine: it has GPUs 0 and 1." in message, message
    assert "CDI" not in message and "nvidia-ctk" not in message
    assert not podman_cli.exists(name)


def test_holders_are_named_as_the_user_knows_them():
    # No Podman needed: the records a GPU view is built from.
    from labcontainer.core.models import LABEL_NOTEBOOK, LABEL_PURPOSE, PURPOSE_KERNEL, ContainerInfo, GpuInfo, GpuProcess
    from labcontainer.service_gpus import holders

    kernel = ContainerInfo(id="k" * 64, name="lc-kernel-d0953ce8", image="x", state="running", status="Up",
                           labels={LABEL_PURPOSE: PURPOSE_KERNEL, LABEL_NOTEBOOK: "/home/ada/train.ipynb"})
    web = ContainerInfo(id="w" * 64, name="web", image="x", state="running", status="Up")
    gpu = GpuInfo(index=0, uuid="GPU-0", name="A100", memory_used=None, memory_total=None, utilization=None,
                  temperature=None, power_draw=None, power_limit=None, reserved_by=("lc-kernel-d0953ce8", "web"),
                  processes=(GpuProcess(pid=7, used_memory=None, user="ada"), GpuProcess(pid=8, used_memory=None, user="bob")))
    assert holders(gpu, [kernel, web], me="ada") == ["the kernel of train.ipynb", "container web", "your process 7", "process 8 of bob"]
