"""Shared GPUs (issue 22): another member's processes and containers are named, and the
lab-wide reservations folder makes "free" honour another member's labcontainer containers.

Two real Linux users: this test's Podman user and ``member2``, made here with its own rootless
Podman (as scripts/setup-podman.sh makes one), running real processes and containers. NVML
readings are recorded (RecordedReader) but name member2's real PIDs.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from labcontainer.core.models import ContainerSpec
from labcontainer.core.specs import parse_gpus
from labcontainer.gpus import RecordedReader
from labcontainer.gpus.reservations import ENV_VAR
from labcontainer.magics.gpus import NOT_SHARED, gpu_report
from labcontainer.service import LabService

from .conftest import wait_until
from .test_gpus import two_gpus

MEMBER = "member2"
REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="makes a second Linux user: run as root by scripts/test.sh")


class Member:
    """Another lab member: a real Linux user with a rootless Podman of their own."""

    def __init__(self, name: str) -> None:
        if subprocess.run(["id", name], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
        entry = pwd.getpwnam(name)
        self.name, self.uid, self.home = name, entry.pw_uid, entry.pw_dir
        self.runtime = Path(f"/run/user/{self.uid}")
        self.runtime.mkdir(parents=True, exist_ok=True)
        os.chown(self.runtime, self.uid, entry.pw_gid)
        self.runtime.chmod(0o700)
        self.socket = self.runtime / "podman" / "lct-podman.sock"
        self.service: subprocess.Popen | None = None

    def env(self, **extra: str) -> list[str]:
        values = {"XDG_RUNTIME_DIR": str(self.runtime), "HOME": self.home, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", ""),
                  "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}
        return ["runuser", "-u", self.name, "--", "env", "-i", "--chdir=/", *(f"{k}={v}" for k, v in values.items())]

    def run(self, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.env(), *args], capture_output=True, text=True, timeout=300, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"{args} as {self.name} failed: {result.stderr.strip()}")
        return result

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("podman", *args, check=check)

    def start_podman(self, image: str, url: str) -> None:
        """Overlay storage, the user namespace first (`podman unshare true`, as setup-podman.sh
        does), the kernel image loaded from our storage, then a service on its own socket."""
        conf = Path(self.home) / ".config/containers/storage.conf"
        if not conf.exists():
            self.run("mkdir", "-p", str(conf.parent))
            self.run("sh", "-c", f"printf '[storage]\\ndriver = \"overlay\"\\n' > {conf}")
            self.podman("system", "reset", "-f", check=False)
        self.podman("unshare", "true")
        if self.podman("image", "exists", image, check=False).returncode != 0:
            folder = Path(tempfile.mkdtemp(prefix="lct-image-", dir="/tmp"))
            try:
                folder.chmod(0o755)
                subprocess.run(["podman", "--url", url, "save", "-o", str(folder / "image.tar"), image], check=True, timeout=300)
                (folder / "image.tar").chmod(0o644)
                self.podman("load", "-i", str(folder / "image.tar"))
            finally:
                shutil.rmtree(folder)
        self.run("mkdir", "-p", str(self.socket.parent))
        self.socket.unlink(missing_ok=True)
        # setpriv, not runuser: the child is podman itself, so stopping it is one signal
        as_member = ["setpriv", f"--reuid={self.uid}", f"--regid={pwd.getpwnam(self.name).pw_gid}", "--init-groups"]
        self.service = subprocess.Popen([*as_member, *self.env()[4:], "podman", "system", "service", "--time=0", f"unix://{self.socket}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.podman("--url", f"unix://{self.socket}", "info", check=False).returncode == 0,
                   timeout=30, message=f"{self.name}'s Podman service")

    def python(self, code: str, **env: str) -> str:
        cmd = [*self.env(PYTHONPATH=str(REPO), **env), sys.executable, "-c", code]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"python as {self.name} failed: {result.stderr.strip()}")
        return result.stdout

    def clean(self) -> None:
        """Every container of this member removed (each test's own, by its lct- name)."""
        out = self.podman("ps", "-a", "--format", "{{.Names}}", check=False).stdout.split()
        for name in [n for n in out if n.startswith("lct-")]:
            self.podman("rm", "-f", "-t", "0", name, check=False)

    def stop_podman(self) -> None:
        """The service we started, then the user namespace's pause process (by its pid file):
        nothing of member2's is left running."""
        if self.service is not None:
            self.service.terminate()
            self.service.wait(timeout=30)
            self.service = None
        try:
            pause = int((self.runtime / "libpod/tmp/pause.pid").read_text())
            if Path(f"/proc/{pause}").stat().st_uid == self.uid:
                os.kill(pause, 15)
        except (OSError, ValueError):
            pass


@pytest.fixture(scope="module")
def member(test_image: str, podman_url: str) -> Iterator[Member]:
    other = Member(MEMBER)
    other.start_podman(test_image, podman_url)
    try:
        yield other
    finally:
        other.clean()
        other.stop_podman()


@pytest.fixture
def member_container(member: Member, test_image: str) -> Iterator:
    """A factory of member2's containers (podman CLI, as member2), removed after the test."""
    made: list[str] = []

    def run(*options: str) -> tuple[str, str, int]:
        name = f"lct-m2-{uuid.uuid4().hex[:6]}"
        made.append(name)
        member.podman("run", "-d", "--init", "--network", "none", "--name", name, *options, test_image, "sleep", "infinity")
        cid, pid = member.podman("inspect", "--format", "{{.Id}} {{.State.Pid}}", name).stdout.split()
        return name, cid, int(pid)

    yield run
    for name in made:
        member.podman("rm", "-f", "-t", "0", name, check=False)


@pytest.fixture
def member_sleep(member: Member) -> Iterator[int]:
    """A plain host process of member2 (no container)."""
    proc = subprocess.Popen(["setpriv", f"--reuid={member.uid}", f"--regid={member.uid}", "--init-groups", "sleep", "600"])
    wait_until(lambda: Path(f"/proc/{proc.pid}").stat().st_uid == member.uid, message="member2's sleep")
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.fixture
def shared_folder(monkeypatch) -> Iterator[Path]:
    """The lab-wide folder as the admin makes it: 1777, sticky, like /tmp."""
    folder = Path(tempfile.mkdtemp(prefix="lct-reservations-", dir="/tmp"))
    folder.chmod(0o1777)
    monkeypatch.setenv(ENV_VAR, str(folder))
    yield folder
    shutil.rmtree(folder)


def _workload(pid: int) -> int:
    """The first child of a container's init (catatonit): the `sleep`."""
    return wait_until(lambda: [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()],
                      message="the container's workload")[0]


def test_another_members_process_and_container_are_named(engine, member, member_sleep, member_container, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    name, cid, init_pid = member_container()
    workload = _workload(init_pid)
    recording = two_gpus(processes_on_0=[member_sleep, workload])
    service = LabService(engine, nvml=RecordedReader(recording))
    by_pid = {p.pid: p for p in service.gpu_view().gpus[0].processes}
    assert by_pid[member_sleep].user == MEMBER and by_pid[member_sleep].container_id is None
    assert by_pid[workload].user is not None
    assert (by_pid[workload].container_id, by_pid[workload].container_name) == (cid, name)
    # the ipywidgets panel's "used by" (GpuInfo.users): member2's host process by its user
    assert f"1 host process(es) of {MEMBER}" in service.gpu_view().gpus[0].users
    note = service.gpu_check.note(parse_gpus("0"))
    assert f"container {name} of {MEMBER}" in note and f"process {member_sleep} of {MEMBER}" in note
    report = repr(gpu_report(service, False))
    assert MEMBER in report and name in report
    assert NOT_SHARED in report  # no shared folder: "free" is what this member can see

    # Neither side needs privileges: this test's Podman user, not root, sees the same.
    viewer = Member(os.environ.get("LABCONTAINER_ROOTLESS_USER", "lab"))
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir="/tmp") as file:
        json.dump(recording, file)
        file.flush()
        os.chmod(file.name, 0o644)
        out = viewer.python(
            "import json; from labcontainer.gpus import RecordedReader, build_gpu_view\n"
            f"v = build_gpu_view(RecordedReader({file.name!r}).read(), [])\n"
            "print(json.dumps([[p.pid, p.user, p.container_id, p.container_name] for p in v.gpus[0].processes]))")
    seen = {pid: rest for pid, *rest in json.loads(out)}
    assert seen[member_sleep] == [MEMBER, None, None]
    assert seen[workload][1:] == [cid, name]


def _member_runs_with_gpu(member: Member, image: str, gpus: str, folder: Path) -> tuple[str, str]:
    """member2's labcontainer (its own code, as member2, on member2's Podman) runs a container."""
    name = f"lct-m2-{uuid.uuid4().hex[:6]}"
    out = member.python(
        "from labcontainer.service import LabService\n"
        f"s = LabService(url={'unix://' + str(member.socket)!r})\n"
        f"info = s.run(s.build_spec({image!r}, ['sleep', 'infinity'], name={name!r}, gpus={gpus!r}))\n"
        "print(info.id)", **{ENV_VAR: str(folder)})
    return name, out.strip()


def test_the_shared_folder_keeps_count_off_another_members_gpu(engine, member, test_image, shared_folder, unique_name, podman_cli):
    name, cid = _member_runs_with_gpu(member, test_image, "0", shared_folder)
    try:
        entry = json.loads((shared_folder / f"{MEMBER}.json").read_text())["containers"]
        assert [(e["id"], e["gpus"]) for e in entry] == [(cid, ["0"])]
        assert (shared_folder / f"{MEMBER}.json").stat().st_uid == member.uid

        service = LabService(engine, nvml=RecordedReader(two_gpus()))
        view = service.gpu_view()
        assert view.gpus[0].reserved_by == (f"{name} of {MEMBER}",) and not view.gpus[0].free
        assert view.free_indices() == [1]
        assert service.gpu_devices("count=1") == parse_gpus("1")
        report = repr(gpu_report(service, False))
        assert f"{name} of {MEMBER}" in report and NOT_SHARED not in report
        # a real run with count=1 takes GPU 1, as Podman records it in our label
        mine = unique_name("count")
        service.run(service.build_spec(test_image, ["sleep", "infinity"], name=mine, gpus="count=1"))
        label = podman_cli("inspect", "--format", '{{index .Config.Labels "org.labcontainer.gpus"}}', mine).stdout.strip()
        assert label == parse_gpus("1")[0]

        # this member's own file: 0644, and member2 can neither write nor remove it
        own = shared_folder / f"{pwd.getpwuid(os.geteuid()).pw_name}.json"
        assert own.stat().st_mode & 0o777 == 0o644
        assert [e["name"] for e in json.loads(own.read_text())["containers"]] == [mine]
        assert member.run("sh", "-c", f"echo '{{}}' > {own}", check=False).returncode != 0
        assert member.run("rm", "-f", str(own), check=False).returncode != 0
        assert json.loads(own.read_text())["containers"]
    finally:
        member.podman("rm", "-f", "-t", "0", name, check=False)

    # member2's container is gone: its entry is stale, ignored by readers
    assert service.gpu_view().gpus[0].reserved_by == ()
    assert service.gpu_devices("count=1") == parse_gpus("0")


def test_without_the_folder_free_is_what_this_member_can_see(engine, member, test_image, shared_folder, monkeypatch):
    name, _ = _member_runs_with_gpu(member, test_image, "0", shared_folder)
    try:
        monkeypatch.delenv(ENV_VAR)
        service = LabService(engine, nvml=RecordedReader(two_gpus()))
        assert service.gpu_view().free_indices() == [0, 1]
        assert NOT_SHARED in repr(gpu_report(service, False))
    finally:
        member.podman("rm", "-f", "-t", "0", name, check=False)


def test_a_file_planted_under_another_members_name_is_ignored(engine, member, shared_folder):
    """In the sticky folder member2 can create a file named for a member who has none yet
    (here this test's Podman user): a reader trusts a file only when its owner is the user
    it is named for. The entry itself is alive (this test's own PID and start time)."""
    from labcontainer.gpus.reservations import process_start_time

    victim = os.environ.get("LABCONTAINER_ROOTLESS_USER", "lab")
    entry = {"id": "f" * 64, "name": "fake", "gpus": ["0"], "pid": os.getpid(), "started": process_start_time(os.getpid())}
    member.run("sh", "-c", f"echo '{json.dumps({'containers': [entry]})}' > {shared_folder}/{victim}.json")
    service = LabService(engine, nvml=RecordedReader(two_gpus()))
    assert service.reservations.others() == []
    assert service.gpu_view().free_indices() == [0, 1]
