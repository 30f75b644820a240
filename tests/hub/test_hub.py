"""A lab's JupyterHub, for real: the hub (as root, from jupyter-config/hub/jupyterhub_config.py,
the file the README points admins at), configurable-http-proxy from npm, LocalProcessSpawner,
two members with nothing prepared. Everything goes through the hub's proxy with each member's
own token; the podman CLI as each member is the witness."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from .hubdriver import IMAGE, PATIENCE, Hub, Member, wait_for
from .members import end_processes_of, podman_as, processes_of, python_as, uid

SPEC = "lct-hub-kernel"
CONTAINER = "lct-hub-alice-own"
BOB_GPU, ALICE_GPU = "lct-hub-bob-gpu0", "lct-hub-alice-any-gpu"


def two_gpus(processes_on_1: list[dict]) -> dict:
    """NVML readings of two GPUs (the fake CDI GPUs 0 and 1), as RecordedReader replays them."""
    def gpu(index: int, processes: list[dict]) -> dict:
        return {"index": index, "uuid": f"GPU-0000000{index}-aaaa-bbbb-cccc-dddddddddddd", "name": "NVIDIA A100-SXM4-40GB",
                "memory_total": 42949672960, "memory_used": sum(p["used_memory"] for p in processes), "processes": processes}
    return {"driver_version": "550.54.15", "gpus": [gpu(0, []), gpu(1, processes_on_1)]}


@pytest.fixture(scope="module")
def shared_gpus():
    """What the admin prepares: the lab-wide reservations folder (1777, as README says) and,
    this machine having no GPU, the NVML readings every member's server replays (re-read at
    each look, so a test can put a member's real process on a GPU)."""
    reservations = Path(tempfile.mkdtemp(prefix="lct-hub-reservations-"))
    reservations.chmod(0o1777)
    readings = Path(tempfile.mkdtemp(prefix="lct-hub-nvml-"))
    readings.chmod(0o755)
    recording = readings / "readings.json"
    recording.write_text(json.dumps(two_gpus([])))
    recording.chmod(0o644)
    yield reservations, recording
    shutil.rmtree(reservations, ignore_errors=True)
    shutil.rmtree(readings, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(tmp_path_factory, shared_gpus):
    reservations, recording = shared_gpus
    hub = Hub(tmp_path_factory.mktemp("hub"), LABCONTAINER_HUB_SHARED_RESERVATIONS=str(reservations),
              LABCONTAINER_HUB_NVML_RECORDING=str(recording))
    yield hub
    hub.stop()
    assert not [p for p in processes_of("root").values() if "configurable-http-proxy" in p], "the proxy outlived the hub"
    # One name per call, missing ones ignored: one container that a test already removed must
    # not keep the others (a podman rm of several names stops at the first it cannot find).
    for member, name in (("hubalice", CONTAINER), ("hubalice", ALICE_GPU), ("hubbob", BOB_GPU)):
        podman_as(member, "rm", "--ignore", "-f", "-t", "0", name, runtime=f"/tmp/podman-run-{uid(member)}")
    shutil.rmtree(f"/home/hubalice/.local/share/jupyter/kernels/{SPEC}", ignore_errors=True)
    for member in ("hubalice", "hubbob"):
        end_processes_of(member)  # Podman's own pause process (it outlives every podman command)


@pytest.fixture(scope="module")
def members(hub):
    return Member(hub, "hubalice", hub.spawn("hubalice")), Member(hub, "hubbob", hub.spawn("hubbob"))


def test_each_member_gets_their_own_podman_started_and_said_so(members, hub):
    for member in members:
        status = member.call("GET", "labcontainer/api/status").json()
        runtime = f"/tmp/podman-run-{uid(member.name)}"
        assert status["connected"] and status["rootless"], status
        assert status["url"] == f"unix://{runtime}/podman/podman.sock"
        assert status["started_by_labcontainer"] and "labcontainer started one for you" in status["note"]
    assert hub.log_text().count("labcontainer started one for you") == 2, "said once per member in the log"


def test_alice_runs_a_container_a_container_kernel_and_a_terminal_bob_sees_none(members):
    alice, bob = members
    made = alice.call("POST", "labcontainer/api/containers",
                      body={"image": IMAGE, "name": CONTAINER, "command": ["sleep", "infinity"]})
    assert made.status_code == 201, made.text
    spec = alice.call("POST", "labcontainer/api/kernelspecs", body={"image": IMAGE, "name": SPEC})
    assert spec.status_code == 201, spec.text
    kernel = alice.call("POST", "api/kernels", body={"name": SPEC})
    assert kernel.status_code == 201, kernel.text
    listed = {c["name"]: c for c in alice.call("GET", "labcontainer/api/containers").json()["containers"]}
    assert CONTAINER in listed and any(c.get("purpose") == "kernel" for c in listed.values()), listed
    alice.kernel_container = next(n for n, c in listed.items() if c.get("purpose") == "kernel")

    async def terminal():
        socket = await alice.websocket(f"labcontainer/api/containers/{CONTAINER}/terminal")
        assert json.loads(await socket.read_message())[0] == "setup"
        socket.write_message(json.dumps(["stdin", "echo hub-$((6*7))\r"]))
        seen = ""
        while "hub-42" not in seen:
            message = await asyncio.wait_for(socket.read_message(), PATIENCE)
            assert message is not None, seen
            seen += json.dumps(json.loads(message))
        socket.close()
    asyncio.run(terminal())

    seen_by_bob = {c["name"] for c in bob.call("GET", "labcontainer/api/containers").json()["containers"]}
    assert not seen_by_bob & set(listed), seen_by_bob
    assert podman_as("hubbob", "ps", "-a", "--format", "{{.Names}}").stdout.split() == []


def test_bobs_token_is_refused_on_alices_server(members):
    alice, bob = members
    for path in ("labcontainer/api/containers", "labcontainer/api/status", "api/kernels",
                 f"labcontainer/api/containers/{CONTAINER}/logs?follow=1"):  # the logs stream too
        answer = bob.call("GET", path, server="hubalice")
        assert answer.status_code in (302, 403), (path, answer.status_code, answer.text[:300])
        assert CONTAINER not in answer.text
    assert bob.call("POST", "labcontainer/api/containers", server="hubalice",
                    body={"image": IMAGE, "name": "lct-hub-bob-was-here", "command": ["true"]}).status_code in (302, 403)

    async def refused(path: str) -> int:
        with pytest.raises(HTTPClientError) as refusal:
            await bob.websocket(path, server="hubalice")
        return refusal.value.code
    assert asyncio.run(refused("labcontainer/api/events")) in (302, 403)
    assert asyncio.run(refused(f"labcontainer/api/containers/{CONTAINER}/terminal")) in (302, 403)


def test_a_shared_gpu_names_the_other_member_and_count_skips_what_they_reserved(members, shared_gpus):
    alice, bob = members
    _, recording = shared_gpus
    # Bob's own labcontainer runs a container on GPU 0: his file in the shared folder says so.
    made = bob.call("POST", "labcontainer/api/containers",
                    body={"image": IMAGE, "name": BOB_GPU, "command": ["sleep", "infinity"], "gpus": "0"})
    assert made.status_code == 201, made.text
    # A process of Bob's, outside any container, on GPU 1 (his real PID in the readings).
    sleeper = subprocess.Popen(["runuser", "-u", "hubbob", "--", "sh", "-c", "echo $$; exec sleep 600"],
                               stdout=subprocess.PIPE, text=True, cwd="/tmp")
    try:
        bob_pid = int(sleeper.stdout.readline())
        recording.write_text(json.dumps(two_gpus([{"pid": bob_pid, "used_memory": 1 << 30}])))
        view = {g["index"]: g for g in alice.call("GET", "labcontainer/api/gpus").json()["gpus"]}
        assert [(p["pid"], p["user"]) for p in view[1]["processes"]] == [(bob_pid, "hubbob")], view[1]
        assert f"{BOB_GPU} of hubbob" in view[0]["containers"] and not view[0]["free"], view[0]
    finally:
        end_processes_of("hubbob", only=("sleep 600",))
        sleeper.wait()
    # Bob's process is gone, his container still holds GPU 0: Alice's count=1 gets GPU 1.
    recording.write_text(json.dumps(two_gpus([])))
    made = alice.call("POST", "labcontainer/api/containers",
                      body={"image": IMAGE, "name": ALICE_GPU, "command": ["sleep", "infinity"], "gpus": "count=1"})
    assert made.status_code == 201, made.text
    assert made.json()["container"]["gpus"] == ["nvidia.com/gpu=1"], made.json()
    for member, name in ((alice, ALICE_GPU), (bob, BOB_GPU)):
        assert member.call("DELETE", f"labcontainer/api/containers/{name}?force=1").status_code == 204


def test_alices_labcontainer_state_is_hers_alone(members):
    alice, _ = members
    found = python_as("hubalice", """
import json, os
from labcontainer.kernels import records
top = records.default_state_dir()
paths = [str(top)] + [os.path.join(d, n) for d, ds, fs in os.walk(top) for n in ds + fs]
print(json.dumps([(p, os.stat(p).st_mode & 0o777, os.path.isdir(p)) for p in paths]))
""")
    assert len(found) > 2, found  # the kernel's record, its connection folder and file
    for path, mode, is_dir in found:
        if is_dir or path.endswith(".json"):  # folders, kernel records and connection files (keys)
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
        if not is_dir and not path.endswith(".sock") and not re.search(r"/k-\d+$", path):
            refused = subprocess.run(["runuser", "-u", "hubbob", "--", "cat", path], capture_output=True)
            assert refused.returncode != 0 and b"Permission denied" in refused.stderr, path
    assert [p for p, _, d in found if p.endswith(".json") and not d], found


def test_alices_server_stops_her_service_goes_her_detached_container_stays(members, hub):
    alice, _ = members
    note = alice.call("GET", "labcontainer/api/status").json()["note"]
    service_pid = int(re.search(r"PID (\d+)", note).group(1))
    assert service_pid in processes_of("hubalice")
    hub.stop_server("hubalice")
    wait_for(lambda: not any("system service" in cmd for cmd in processes_of("hubalice").values()), "her service to go")
    runtime = f"/tmp/podman-run-{uid('hubalice')}"
    running = podman_as("hubalice", "ps", "--format", "{{.Names}}", runtime=runtime)
    assert running.returncode == 0, running.stderr
    assert CONTAINER in running.stdout.split(), "her own detached container was lost"
    assert alice.kernel_container not in podman_as("hubalice", "ps", "-a", "--format", "{{.Names}}", runtime=runtime).stdout
