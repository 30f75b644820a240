"""The other server of the test world: gpu2 behind our own sshd (scripts/setup-remote.sh).

The witness of what exists on gpu2 is the podman CLI run as gpu2 there, over a plain ssh
login of its own (never our link's master): the test user, root or not, may not open gpu2's
socket here, exactly as a lab member may not open another server's.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from labcontainer.core.connection import Connection
from labcontainer.service import LabService, open_service


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests through scripts/test.sh (scripts/setup-remote.sh sets up gpu2)")
    return value


@pytest.fixture(scope="session")
def gpu2() -> Connection:
    """gpu2 as a lab member adds it: ``podman system connection add gpu2 ssh://...``."""
    return Connection(name="gpu2", url=_env("LABCONTAINER_REMOTE_URI"))


class Gpu2Cli:
    """``podman ...`` as gpu2 on gpu2, against gpu2's own service."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        conn = self.connection
        remote = ["podman", "--url", f"unix://{conn.remote_socket}", *args]
        command = ["ssh", "-p", str(conn.ssh_port), "-o", "BatchMode=yes", "-o", "ControlPath=none",
                   conn.ssh_destination, "--", *remote]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    def names(self) -> set[str]:
        listed = json.loads(self("ps", "-a", "--format", "json").stdout or "[]")
        return {name for entry in listed for name in entry.get("Names") or []}


@pytest.fixture(scope="session")
def gpu2_cli(gpu2: Connection) -> Gpu2Cli:
    return Gpu2Cli(gpu2)


@pytest.fixture
def gpu2_service(gpu2: Connection) -> Iterator[LabService]:
    service = open_service(gpu2)
    yield service
    service.close()


@pytest.fixture
def gpu2_name(gpu2_cli: Gpu2Cli) -> Iterator:
    """Unique container names on gpu2, removed there afterwards whatever the test did."""
    made: list[str] = []

    def make(tag: str = "") -> str:
        made.append(f"lc-remote-{tag}{'-' if tag else ''}{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield make
    for name in made:
        gpu2_cli("rm", "-f", "-t", "0", name, check=False)


def ssh_processes_of(folder: object) -> list[str]:
    """The processes (``ps``) whose command line names one link's private folder."""
    listed = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listed.splitlines() if str(folder) in line]


@pytest.fixture(scope="session")
def test_image_on_gpu2(gpu2_cli: Gpu2Cli) -> str:
    """The kernel image, which setup-remote.sh loaded into gpu2's storage."""
    image = os.environ.get("LABCONTAINER_TEST_IMAGE", "localhost/labcontainer-kernel:latest")
    if gpu2_cli("image", "exists", image, check=False).returncode != 0:
        pytest.fail(f"{image} is not in gpu2's storage: run scripts/setup-remote.sh")
    return image
