"""A lab member's own rootless Podman under a hub spawner, with nothing prepared: labcontainer
finds it, or starts it in a runtime folder it can make (private, 0700), and refuses with one
paragraph for the admin what cannot work. Real users, real Podman, the podman CLI as witness."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .members import as_member, end_processes_of, podman_as, processes_of, python_as, require_root, uid

START = """
import json, os
from labcontainer.engine import connection as c
from labcontainer.core.errors import LabContainerError
try:
    url = c.choose_url(None, True)
except LabContainerError as exc:
    print(json.dumps({"kind": exc.kind, "message": str(exc)}))
else:
    s = c.started_service(url)
    environ = open(f"/proc/{s.process.pid}/environ", "rb").read().split(b"\\0")
    xdg = [e.decode() for e in environ if e.startswith(b"XDG_RUNTIME_DIR=")]
    again = c.choose_url(None, False)
    print(json.dumps({"url": url, "runtime": s.runtime_dir, "pid": s.process.pid, "xdg": xdg, "note": s.note,
                      "again": again, "stopped": c.stop_started_service(url), "alive": s.process.poll() is None}))
"""


@pytest.fixture
def throwaway_user():
    """A member made by this test with useradd, then WITHOUT a subuid/subgid range."""
    require_root()
    name = f"hubnr{os.getpid() % 10000}"
    subprocess.run(["useradd", "--create-home", name], check=True)
    for path in ("/etc/subuid", "/etc/subgid"):
        lines = Path(path).read_text().splitlines(keepends=True)
        Path(path).write_text("".join(line for line in lines if not line.startswith(f"{name}:")))
    yield name
    end_processes_of(name)
    shutil.rmtree(f"/tmp/podman-run-{uid(name)}", ignore_errors=True)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


@pytest.fixture
def bob():
    """hubbob with nothing running; after the test, Podman's own pause process ends too."""
    require_root()
    assert not processes_of("hubbob"), "hubbob runs something already: end it first"
    yield "hubbob"
    end_processes_of("hubbob")


def test_a_member_without_service_gets_one_in_a_private_runtime_folder_stopped_again(bob):
    user = bob
    runtime = f"/tmp/podman-run-{uid(user)}"
    assert not os.path.isdir(f"/run/user/{uid(user)}"), "no systemd user session for the member"
    before = set(processes_of(user))
    answer = python_as(user, START)
    assert answer.get("kind") is None, answer
    assert answer["url"] == f"unix://{runtime}/podman/podman.sock"
    assert answer["runtime"] == runtime and answer["xdg"] == [f"XDG_RUNTIME_DIR={runtime}"]
    assert "labcontainer started one for you" in answer["note"] and "keep running" in answer["note"]
    assert answer["again"] == answer["url"]  # found, not started twice
    assert answer["stopped"] and not answer["alive"]
    info = os.stat(runtime)
    assert info.st_uid == uid(user) and info.st_mode & 0o777 == 0o700
    assert answer["pid"] not in processes_of(user)
    assert not any("system service" in cmd for pid, cmd in processes_of(user).items() if pid not in before)
    # The member's own podman (same runtime folder, Podman's own fallback) works after it.
    assert podman_as(user, "ps", "-a").returncode == 0


def test_no_subuid_range_is_refused_with_the_admins_command(throwaway_user):
    answer = python_as(throwaway_user, START)
    assert answer["kind"] == "NoSubuidRange", answer
    assert "/etc/subuid and /etc/subgid" in answer["message"]
    assert f"usermod --add-subuids" in answer["message"] and throwaway_user in answer["message"]
    assert "\n" not in answer["message"]
    assert not any("system service" in cmd for cmd in processes_of(throwaway_user).values())


def test_podmans_cannot_find_uid_gid_means_podman_system_migrate(throwaway_user):
    """Podman's real words for a member without a range; for a member whose range exists,
    they mean a user namespace made before the range: `podman system migrate`."""
    words = as_member(throwaway_user, ["podman", "info"]).stderr
    assert "cannot find UID/GID for user" in words
    code = f"""
import json
from labcontainer.engine import connection as c
failure = c.start_failure({words!r})
print(json.dumps({{"kind": failure.kind, "text": str(failure)}}))
"""
    assert python_as(throwaway_user, code)["kind"] == "NoSubuidRange"
    answer = python_as("hubbob", code)  # hubbob has a range (nothing of Podman's runs for this)
    assert answer["kind"] == "PodmanNeedsMigrate"
    assert "`podman system migrate`" in answer["text"] and "hubbob" in answer["text"]


def test_a_runtime_folder_owned_by_someone_else_is_refused(throwaway_user):
    """Podman's fallback folder made beforehand by another user (hubalice): never used."""
    runtime = f"/tmp/podman-run-{uid(throwaway_user)}"
    os.makedirs(runtime, exist_ok=True)
    shutil.chown(runtime, "hubalice", "hubalice")
    answer = python_as(throwaway_user, START)
    assert answer["kind"] == "RuntimeDirNotOwned", answer
    assert f"{runtime} belongs to hubalice" in answer["message"] and "admin" in answer["message"]
    # The same for an XDG_RUNTIME_DIR the spawner set to another member's folder.
    foreign = f"/tmp/lc-hub-foreign-{os.getpid()}"
    os.makedirs(foreign, exist_ok=True)
    shutil.chown(foreign, "hubalice", "hubalice")
    try:
        answer = python_as("hubbob", START, XDG_RUNTIME_DIR=foreign)
        assert answer["kind"] == "RuntimeDirNotOwned", answer
    finally:
        shutil.rmtree(foreign)
