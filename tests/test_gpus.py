"""GPU inventory: recorded NVML readings through the seam, real containers, real /proc."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labcontainer.gpus import NvmlUnavailable, PynvmlReader, RecordedReader, build_gpu_view
from labcontainer.gpus.inventory import container_id_from_cgroup, containers_by_gpu
from labcontainer.core.models import ContainerSpec
from labcontainer.service import LabService
from labcontainer.core.specs import parse_gpus

from .conftest import nvml_gpu_count, wait_until

GIB = 1 << 30


def two_gpus(processes_on_0=(), processes_on_1=()) -> dict:
    def gpu(index, processes):
        return {
            "index": index,
            "uuid": f"GPU-0000000{index}-aaaa-bbbb-cccc-dddddddddddd",
            "name": "NVIDIA A100-SXM4-40GB",
            "memory_used": 3 * GIB if processes else 0,
            "memory_total": 40 * GIB,
            "utilization": 87 if processes else 0,
            "temperature": 61,
            "power_draw": 250.5,
            "power_limit": 400.0,
            "processes": [{"pid": pid, "used_memory": 3 * GIB} for pid in processes],
        }

    return {"driver_version": "550.54.15", "gpus": [gpu(0, processes_on_0), gpu(1, processes_on_1)]}


def test_the_production_path_shows_this_machine_s_gpus_or_says_there_is_no_driver():
    # The real pynvml path, on whatever machine runs the tests: a GPU server's GPUs, or
    # (here, without a driver) the one "no driver" message, never a traceback.
    count = nvml_gpu_count()
    inventory = LabService(nvml=PynvmlReader()).gpu_view(running=[])
    if count is None:
        with pytest.raises(NvmlUnavailable) as caught:
            PynvmlReader().read()
        assert "No NVIDIA driver" in caught.value.reason
        assert inventory.gpus == () and not inventory.available
        assert "nvidia-smi" in inventory.reason
    else:
        assert inventory.available and inventory.reason is None, inventory.reason
        assert [gpu.index for gpu in inventory.gpus] == list(range(count))
        assert inventory.driver_version


def test_recorded_no_driver_machine():
    inventory = LabService(nvml=RecordedReader({"unavailable": "NVML Shared Library Not Found"})).gpu_view([])
    assert inventory.reason == "NVML Shared Library Not Found"


def test_readings_become_an_inventory_with_free_gpus():
    inventory = build_gpu_view(RecordedReader(two_gpus(processes_on_0=[4242])).read(), [], container_of_pid=lambda pid: None, user_of=lambda pid: "alice")
    gpu0, gpu1 = inventory.gpus
    assert gpu0.memory_used == 3 * GIB and gpu0.utilization == 87 and gpu0.power_draw == 250.5
    assert gpu0.processes[0].pid == 4242 and gpu0.processes[0].user == "alice"
    assert not gpu0.free and gpu1.free
    assert inventory.free_indices() == [1]
    assert inventory.driver_version == "550.54.15"


def test_a_lost_gpu_is_one_row_not_a_failed_query():
    data = two_gpus()
    data["gpus"][1] = {"index": 1, "error": "GPU is lost"}
    inventory = build_gpu_view(RecordedReader(data).read(), [])
    assert [g.index for g in inventory.gpus] == [0, 1]
    assert inventory.gpus[1].error == "GPU is lost" and not inventory.gpus[1].free
    assert inventory.free_indices() == [0]


def test_cgroup_texts_name_podman_containers():
    cid = "a" * 64
    assert container_id_from_cgroup(f"0::/machine.slice/libpod-{cid}.scope/container\n") == cid
    assert container_id_from_cgroup(f"12:pids:/libpod_parent/libpod-{cid}\n") == cid
    assert container_id_from_cgroup(f"0::/machine.slice/libpod-conmon-{cid}.scope\n") is None
    assert container_id_from_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n") is None


def _child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def test_gpu_process_inside_a_real_container_is_attributed_to_it(engine, test_image, unique_name):
    """A process running in a container (here `sleep`, under the container's init) shows up
    with the container's name and the user who owns it: through its cgroup where the
    container has one, else through its PID namespace (rootless on cgroup v1)."""
    name = unique_name()
    info = engine.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True, gpus=parse_gpus("0")))
    workload = wait_until(lambda: _child_pids(info.pid), message="the container's workload process")[0]
    service = LabService(engine, nvml=RecordedReader(two_gpus(processes_on_0=[workload, os.getpid()])))
    inventory = service.gpu_view()
    by_pid = {p.pid: p for p in inventory.gpus[0].processes}
    assert by_pid[workload].container_name == name
    assert by_pid[workload].container_id == info.id
    assert by_pid[workload].user is not None
    # a host process (this test) belongs to no container
    assert by_pid[os.getpid()].container_name is None
    assert by_pid[os.getpid()].user == engine.owner


def test_a_gpu_reserved_by_a_running_container_is_not_free(engine, test_image, unique_name):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True, gpus=parse_gpus("1")))
    service = LabService(engine, nvml=RecordedReader(two_gpus()))
    running = [c for c in engine.ps() if c.name == name]
    assert containers_by_gpu(running) == {"1": [name]}
    assert 1 not in service.free_gpus()
    view = service.gpu_view(running)
    assert view.gpus[1].reserved_by == (name,) and not view.gpus[1].free
    assert view.gpus[0].free and view.free_indices() == [0]


def test_a_kernel_kept_ready_holds_its_gpu_under_its_kernelspecs_name():
    from labcontainer.core.models import LABEL_POOL, ContainerInfo

    waiting = ContainerInfo(id="d" * 64, name="lc-pool-1234", image="x", state="running", status="Up 1 minute",
                            gpus=("nvidia.com/gpu=1",), labels={LABEL_POOL: "lc-pytorch"})
    view = build_gpu_view(RecordedReader(two_gpus()).read(), [waiting], container_of_pid=lambda pid: None)
    assert view.gpus[1].users == ("kernel kept ready (lc-pytorch)",) and not view.gpus[1].free
    assert view.free_indices() == [0]


def test_a_stopped_container_holds_no_gpu():
    from labcontainer.core.models import ContainerInfo

    stopped = ContainerInfo(id="c" * 64, name="old", image="x", state="exited", status="Exited (0)", gpus=("nvidia.com/gpu=all",))
    view = build_gpu_view(RecordedReader(two_gpus()).read(), [stopped], container_of_pid=lambda pid: None)
    assert view.free_indices() == [0, 1]
