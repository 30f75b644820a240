"""Kernels started in advance (``pool: N``): a notebook cannot tell a pooled kernel from a
cold one, nobody sees the waiting ones, and none is left after the server stops or dies.

A real Jupyter Server in a subprocess; notebooks are sessions and code runs through the
kernel's websocket; the podman CLI is the witness of what exists.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from labcontainer.core.errors import InvalidSpec
from labcontainer.gpus import RecordedReader
from labcontainer.kernels import pool, records
from labcontainer.kernels.config import KernelContainerConfig
from labcontainer.kernels.kernelspecs import install_kernelspec, remove_kernelspec
from labcontainer.service import LabService
from labcontainer.widgets.model import rows_from

from ..conftest import wait_until
from ..test_gpus import two_gpus
from .jupyter import JupyterServer, execute, state_dir

POOLED, COLD = "lc-pooled", "lc-cold"
#: Both kernelspecs alike but for the pool: a fixed (fake CDI) GPU, an env setting, a volume.
SETTINGS = {"gpus": "0", "env": ["LCT_SETTING=from-the-kernelspec"]}

#: What a notebook can see of where and how its kernel runs (HOSTNAME is the container's own).
PROBE = r"""
import json, os, sys
ip = get_ipython()
print(json.dumps({
    "cwd": os.getcwd(),
    "home": os.environ.get("HOME"),
    "env": {k: v for k, v in os.environ.items() if k != "HOSTNAME"},
    "argv": sys.argv,
    "path0": sys.path[:1],
    "main": sys.modules["__main__"].__name__,
    "gpu_nodes": sorted(n for n in os.listdir("/dev") if n.startswith("nvidia")),
    "ids": [os.getuid(), os.getgid()],
    "key": ip.kernel.session.key.decode(),
    "dh": [str(p) for p in ip.user_ns["_dh"]],
}))
"""


def ready_members(server: JupyterServer) -> list[pool.PoolMember]:
    return [m for m in pool.load_members(state_dir(server)) if m.waiting]


def pool_containers(podman_cli) -> list[str]:
    out = podman_cli("ps", "-a", "--filter", "label=org.labcontainer.pool", "--format", "{{.Names}}").stdout
    return sorted(out.split())


def probe(server: JupyterServer, kernel_id: str) -> dict:
    return json.loads(execute(server, kernel_id, PROBE).strip().splitlines()[-1])


@pytest.fixture
def pooled_lab(lab, test_image):
    install_kernelspec(test_image, name=POOLED, pool=1, **SETTINGS)
    install_kernelspec(test_image, name=COLD, **SETTINGS)
    (lab.root / "projects" / "alpha").mkdir(parents=True)
    return lab


def test_a_pooled_kernel_is_what_a_cold_one_would_be(pooled_lab, podman_cli, monkeypatch):
    server = pooled_lab
    server.start()
    (member,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    pooled = server.open_notebook("projects/alpha/a.ipynb", POOLED)["kernel"]["id"]
    cold = server.open_notebook("projects/alpha/b.ipynb", COLD)["kernel"]["id"]
    assert pooled == member.kernel_id, "the launch must take the waiting kernel"
    assert "took a waiting container" in server.log

    warm, fresh = probe(server, pooled), probe(server, cold)
    assert warm["cwd"] == fresh["cwd"] == str(server.root / "projects" / "alpha")
    assert warm["dh"] == fresh["dh"] == [warm["cwd"]]  # IPython's directory history starts there too
    assert warm["home"] == fresh["home"]
    warm_env, fresh_env = warm["env"], fresh["env"]
    assert warm_env.pop("JPY_SESSION_NAME").endswith("a.ipynb") and fresh_env.pop("JPY_SESSION_NAME").endswith("b.ipynb")
    assert warm_env == fresh_env and warm_env["LCT_SETTING"] == "from-the-kernelspec"
    assert warm["argv"] == fresh["argv"] and warm["path0"] == fresh["path0"] and warm["main"] == fresh["main"]
    assert warm["gpu_nodes"] == fresh["gpu_nodes"] and "nvidia0" in warm["gpu_nodes"]
    assert warm["ids"] == fresh["ids"]
    # Its key is the one Jupyter made for this launch, not one it was started with.
    connection = json.loads((Path(server.env["JUPYTER_RUNTIME_DIR"]) / f"kernel-{pooled}.json").read_text())
    assert warm["key"] == connection["key"] != fresh["key"]
    assert member.fingerprint not in warm["key"]

    # From now on it is an ordinary kernel container, under the usual name; the panels name
    # its notebook (from its record: a label could not be added after create).
    assert podman_cli.state(f"lc-kernel-{pooled}") == "running"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", server.env["JUPYTER_RUNTIME_DIR"])
    mine = [r for r in rows_from(LabService().containers(all=True)) if r.name == f"lc-kernel-{pooled}"]
    assert [r.kernel for r in mine] == ["kernel of a.ipynb"]
    assert f"lc-pool-{pooled}" not in pool_containers(podman_cli)
    # ...and the pool starts another one behind it.
    (again,) = wait_until(lambda: ready_members(server), timeout=60, message="the pool filled again")
    assert again.kernel_id != pooled
    # Restart (a cold start with the same id) keeps the kernel working.
    server.request("POST", f"/api/kernels/{pooled}/restart")
    assert execute(server, pooled, "print(6 * 7)").strip() == "42"


def test_a_notebook_that_connects_at_once_finds_its_pooled_kernel_alive(pooled_lab):
    """The browser connects the moment its session exists, well within the second in which
    the provisioner answers from its cached container state: that cache must hold the taken
    container as running. (It held nothing, which reads as "removed": the kernel got a
    "stopped" reason, JupyterLab a "restarted" notice, and the connection waited a second.)"""
    server = pooled_lab
    server.start()
    wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    kernel_id = server.open_notebook("a.ipynb", POOLED)["kernel"]["id"]
    assert execute(server, kernel_id, "print(6 * 7)").strip() == "42"
    assert "took a waiting container" in server.log
    assert not server.request("GET", f"/api/kernels/{kernel_id}").get("reason")
    assert f"kernel {kernel_id} stopped" not in server.log


def test_a_kernelspec_replaced_behind_the_servers_back_never_hands_out_the_old_kernel(pooled_lab, test_image, podman_cli):
    """The CLI writes kernel.json without telling the server: a launch right after must get
    the kernelspec as it is now (GPU 1, the new setting), not the member made from the old."""
    server = pooled_lab
    server.start()
    (old,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    install_kernelspec(test_image, name=POOLED, pool=1, replace=True, gpus="1", env=["LCT_SETTING=replaced"])
    kernel_id = server.open_notebook("a.ipynb", POOLED)["kernel"]["id"]
    seen = probe(server, kernel_id)
    assert seen["env"]["LCT_SETTING"] == "replaced" and "nvidia1" in seen["gpu_nodes"] and "nvidia0" not in seen["gpu_nodes"]
    assert kernel_id != old.kernel_id
    wait_until(lambda: old.container_name not in pool_containers(podman_cli), timeout=30, message="the old member removed")


def test_kernelspecs_written_or_removed_behind_the_servers_back_get_or_lose_their_pool(lab, test_image, podman_cli):
    """`labcontainer kernelspec install --pool 1` while the server runs starts a pool (within
    the server tender's round, 5 s); `kernelspec remove` removes its waiting kernels (they hold a GPU)."""
    server = lab
    server.start()
    assert ready_members(server) == []
    install_kernelspec(test_image, name=POOLED, pool=1, **SETTINGS)
    (member,) = wait_until(lambda: ready_members(server), timeout=60, message="a pool for the kernelspec the CLI wrote")
    assert pool_containers(podman_cli) == [member.container_name]
    remove_kernelspec(POOLED)
    wait_until(lambda: pool_containers(podman_cli) == [] and ready_members(server) == [], timeout=60,
               message="the waiting kernel of the removed kernelspec removed")


def test_waiting_kernels_are_nobodys_and_idle(pooled_lab, podman_cli, rootless):
    server = pooled_lab
    server.start()
    (member,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    assert pool_containers(podman_cli) == [member.container_name]  # it exists (witness)...
    assert server.kernel_ids() == []  # ...is no kernel of Jupyter's...
    listed = server.request("GET", "/labcontainer/api/containers?all=1")["containers"]
    assert member.container_name not in [c["name"] for c in listed]  # ...nor a row in the side panel
    assert member.container_name not in [c.name for c in LabService().containers(all=True)]  # ...nor in %container ps
    # It holds its GPU (the next notebook gets it) under its kernelspec's name, not a name no listing shows.
    holders = LabService(nvml=RecordedReader(two_gpus())).gpu_view().gpus[0].users
    assert f"kernel kept ready ({POOLED})" in holders and member.container_name not in holders
    # It waits without using the CPU.
    before = container_cpu_ticks(podman_cli, member.container_name)
    time.sleep(2)
    assert container_cpu_ticks(podman_cli, member.container_name) == before


def container_cpu_ticks(podman_cli, name: str) -> int:
    """User + system ticks of every process in the container (read from the host's /proc)."""
    pids = podman_cli("top", name, "hpid").stdout.split()[1:]
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def test_none_is_left_after_a_clean_stop(pooled_lab, podman_cli):
    server = pooled_lab
    server.start()
    (member,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    server.stop()
    assert pool_containers(podman_cli) == []
    assert pool.load_members(state_dir(server)) == []
    assert not Path(member.connection_dir).exists()


def test_a_crashed_servers_waiting_kernels_are_removed_by_the_next(pooled_lab, podman_cli):
    server = pooled_lab
    server.start()
    (first,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    server.sigkill()
    assert pool_containers(podman_cli) == [first.container_name]  # a crash cannot clean up
    server.start()
    (second,) = wait_until(lambda: ready_members(server), timeout=60, message="the new server's pool")
    assert second.kernel_id != first.kernel_id
    assert pool_containers(podman_cli) == [second.container_name]
    assert not Path(first.connection_dir).exists()
    assert "removed 1 waiting kernel(s) a previous server left" in server.log
    server.stop()
    assert pool_containers(podman_cli) == []


def test_a_waiting_kernel_that_died_means_a_cold_start(pooled_lab, podman_cli):
    server = pooled_lab
    server.start()
    (member,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    podman_cli("kill", member.container_name)
    kernel_id = server.open_notebook("projects/alpha/a.ipynb", POOLED)["kernel"]["id"]
    assert execute(server, kernel_id, "import os; print(os.getcwd())").strip() == str(server.root / "projects" / "alpha")
    assert "started cold" in server.log
    assert podman_cli.state(f"lc-kernel-{kernel_id}") == "running"


def test_a_replaced_kernelspec_gets_a_new_pool(pooled_lab, podman_cli, test_image):
    server = pooled_lab
    server.start()
    (old,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    server.request("POST", "/labcontainer/api/kernelspecs", {"image": test_image, "name": POOLED, "pool": 1, "gpus": "0",
                                                             "env": ["LCT_SETTING=changed"], "replace": True})
    (new,) = wait_until(lambda: [m for m in ready_members(server) if m.kernel_id != old.kernel_id], timeout=60,
                        message="a waiting kernel with the new settings")
    wait_until(lambda: pool_containers(podman_cli) == [new.container_name], message="the old waiting kernel removed")
    kernel_id = server.open_notebook("a.ipynb", POOLED)["kernel"]["id"]
    assert kernel_id == new.kernel_id
    assert execute(server, kernel_id, "import os; print(os.environ['LCT_SETTING'])").strip() == "changed"


# -- what can wait in a pool ---------------------------------------------------------------------


@pytest.mark.parametrize("argv, expected", [
    (["python3", "-m", "ipykernel_launcher", "-f", "/conn/kernel.json"], (("python3",), "ipykernel_launcher", ("-f", "/conn/kernel.json"))),
    (["/usr/bin/python3", "-X", "frozen_modules=off", "-u", "-m", "ipykernel", "-f", "c"], (("/usr/bin/python3", "-X", "frozen_modules=off", "-u"), "ipykernel", ("-f", "c"))),
    (["python3", "/opt/start.py", "-f", "c"], None),
    (["python3", "-c", "import x", "-m", "y"], None),
    (["bash", "-m"], None),
])
def test_which_kernel_commands_can_wait(argv, expected):
    command = pool.pooled_command(argv)
    assert (None if command is None else (command.python, command.module, command.args)) == expected


def test_a_pool_is_refused_where_it_could_not_keep_its_promise(data_dir):
    for settings, words in (({"gpus": "count=1"}, "fixed GPUs"), ({"transport": "tcp"}, "ipc"), ({"pool": 9}, "0 (no pool) to 8")):
        with pytest.raises(InvalidSpec) as caught:
            install_kernelspec({"image": "x", "pool": 2, **settings}, name="lc-refused")
        assert words in str(caught.value)
    assert not (data_dir / "data" / "kernels" / "lc-refused").exists()
    assert KernelContainerConfig.from_mapping({"image": "x", "pool": 2, "gpus": "all"}).pool == 2


def test_a_hand_edited_pool_that_cannot_be_kept_starts_cold(lab, test_image):
    """A kernel.json edited by hand to a pool with the tcp transport (whose ports are chosen
    at each launch): no pool (said in the log), and its kernels start as they always did."""
    install_kernelspec(test_image, name=POOLED, transport="tcp")
    spec_file = Path(lab.env["JUPYTER_DATA_DIR"], "kernels", POOLED, "kernel.json")
    spec = json.loads(spec_file.read_text())
    spec["metadata"]["kernel_provisioner"]["config"]["pool"] = 1
    spec_file.write_text(json.dumps(spec))
    lab.start()
    kernel_id = lab.open_notebook("a.ipynb", POOLED)["kernel"]["id"]
    assert execute(lab, kernel_id, "print(6 * 7)").strip() == "42"
    assert "no pool for kernelspec lc-pooled: its transport is tcp" in lab.log
    assert pool.load_members(state_dir(lab)) == []


def test_the_member_mounts_only_what_serves_the_notebook(tmp_path):
    member = pool.PoolMember("id", "k", "lc-pool-id", str(tmp_path), root_dir=str(tmp_path / "root"), fingerprint="f", server_id="s")
    assert member.serves(str(tmp_path / "root" / "a" / "b"))
    assert member.serves(str(tmp_path / "root"))
    assert not member.serves(str(tmp_path / "rootless"))
    assert not member.serves(str(tmp_path))
    assert os.path.isdir(tmp_path)


def test_a_launch_that_fails_before_the_hand_over_leaves_no_waiting_kernel(pooled_lab, podman_cli):
    """The kernelspec was broken by hand after its member started: the launch fails in words,
    and the member it took is removed rather than left waiting, unseen, until the stop."""
    server = pooled_lab
    server.start()
    (member,) = wait_until(lambda: ready_members(server), timeout=60, message="a kernel waiting in the pool")
    spec_file = Path(server.env["JUPYTER_DATA_DIR"], "kernels", POOLED, "kernel.json")
    spec = json.loads(spec_file.read_text())
    spec["metadata"]["kernel_provisioner"]["config"]["startup_timeout"] = "soon"
    spec_file.write_text(json.dumps(spec))
    assert server.status_of("POST", "/api/kernels", {"name": POOLED}) >= 400
    wait_until(lambda: member.container_name not in pool_containers(podman_cli), message="the taken member removed")
    assert not Path(member.connection_dir).exists()
    assert member.kernel_id not in [m.kernel_id for m in pool.load_members(state_dir(server))]


# -- the hand-over, by argument ------------------------------------------------------------------


@pytest.fixture
def pooled_kernelspec(jp_environ, jp_data_dir, test_image):
    """A kernelspec with a pool, there before an in-process server starts (ask for it before jp_serverapp)."""
    install_kernelspec(test_image, name=POOLED, pool=1)
    yield POOLED
    remove_kernelspec(POOLED)


async def test_a_pooled_launch_hands_its_member_to_the_provisioner_by_argument(pooled_kernelspec, jp_serverapp, jp_fetch, monkeypatch):
    """The kernel manager takes the member from the pools and passes it along with the launch
    (jupyter_client forwards start_kernel's keywords to pre_launch): nobody looks it up
    through parents. A restart gets the same keywords again, and starts cold."""
    from labcontainer.kernels.handover import PooledLaunch
    from labcontainer.provisioner import PodmanKernelProvisioner

    handed: list[object] = []
    original = PodmanKernelProvisioner.pre_launch

    async def pre_launch(self, **kwargs):
        handed.append(kwargs.get("pooled"))
        return await original(self, **kwargs)

    monkeypatch.setattr(PodmanKernelProvisioner, "pre_launch", pre_launch)
    state = records.default_state_dir()
    for _ in range(600):
        waiting = [m for m in pool.load_members(state) if m.waiting]
        if waiting:
            break
        await asyncio.sleep(0.1)
    (member,) = waiting
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": POOLED}))
    kernel_id = json.loads(response.body)["id"]

    (launch,) = handed
    assert isinstance(launch, PooledLaunch) and launch.member.kernel_id == member.kernel_id == kernel_id
    assert launch.spent  # the provisioner made the waiting container this kernel's
    assert pool.load_members(state) == [] or all(m.kernel_id != kernel_id for m in pool.load_members(state))
    record = records.load_record(kernel_id, state)
    assert record is not None and record.container_name == f"lc-kernel-{kernel_id}"

    await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body="")
    assert handed[1] is launch  # the same keywords again: a spent launch, so a cold start
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")
