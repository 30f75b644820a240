"""The test world's registries (scripts/setup-registry.sh), and what image tests share.

Registries here are real: Debian's docker-registry on 127.0.0.1, an open one (the lab's
internal registry, and its docker.io mirror through registries.conf) and one with htpasswd
auth. A test that needs a registry it can stop or slow down starts one on the scratch port,
which registries.conf marks insecure like the others.

Images the tests pull are removed after them, by the name they were pulled under: on an
image with several names that takes off only that name (never ``podman untag IMAGE``,
which takes off all of them), and the project's own images are never named.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

from ..conftest import SETUP_HINT, PodmanCli

PROJECT_IMAGES = "localhost/labcontainer-"


@dataclass(frozen=True)
class Registries:
    open: str  # 127.0.0.1:PORT, plain HTTP, no login
    auth: str  # the same with htpasswd basic auth
    scratch: str  # free: a test may serve (and stop) a registry of its own there
    mirrored: str  # docker.io/library/NAME:TAG, served from the open registry's mirror/
    user: str
    password: str

    @property
    def unique_image(self) -> str:
        """An image with a layer of its own, in the registry only: pulling it downloads."""
        return f"{self.open}/lab/pulltest:latest"


@pytest.fixture(scope="session")
def registries() -> Registries:
    names = ("", "_AUTH", "_SCRATCH", "_MIRRORED", "_USER", "_PASSWORD")
    values = [os.environ.get(f"LABCONTAINER_REGISTRY{n}", "") for n in names]
    if not all(values):
        pytest.fail(f"The test registries are not set up (LABCONTAINER_REGISTRY*). {SETUP_HINT}", pytrace=False)
    for address, expected in ((values[0], 200), (values[1], 401)):
        if http_status(f"http://{address}/v2/") != expected:
            pytest.fail(f"The test registry on {address} does not answer: run scripts/setup-registry.sh.", pytrace=False)
    return Registries(*values)


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture
def shell(engine) -> InteractiveShell:
    """IPython as in a terminal (progress as text lines on stderr), with the service under test."""
    ip = InteractiveShell.instance()
    ip.register_magics(ContainerMagics(ip, service=LabService(engine, nvml=RecordedReader({"unavailable": "no GPU here (recorded)"}))))
    return ip


def line(shell: InteractiveShell, text: str):
    return shell.run_line_magic("container", text)


@pytest.fixture
def pulled(podman_cli: PodmanCli) -> Iterator:
    """``pulled(NAME)`` before a pull: NAME is made absent (a real pull), and removed after."""
    names: list[str] = []

    def register(name: str) -> str:
        assert not name.startswith(PROJECT_IMAGES), f"tests never remove the project's images ({name})"
        names.append(name)
        podman_cli("rmi", name, check=False)
        return name

    yield register
    for name in names:
        podman_cli("rmi", name, check=False)


def scratch_port_free(address: str, wait: float = 60.0) -> None:
    """Wait for the scratch port to be free (another run's test may hold it a moment)."""
    host, port = address.split(":")
    deadline = time.monotonic() + wait
    while True:
        with socket.socket() as probe:
            if probe.connect_ex((host, int(port))) != 0:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"{address} stays taken: another registry test on this machine?")
        time.sleep(0.5)


class ScratchRegistry:
    """A docker-registry process of the test's own on the scratch address."""

    def __init__(self, address: str, directory: Path) -> None:
        self.address = address
        self.config = directory / "config.yml"
        self.config.write_text(
            "version: 0.1\nlog:\n  level: warn\n"
            f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
            f"http:\n  addr: {address}\n"
        )
        self.log = directory / "registry.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        scratch_port_free(self.address)
        binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
        self.process = subprocess.Popen([binary, "serve", str(self.config)], stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while http_status(f"http://{self.address}/v2/") != 200:
            if time.monotonic() > deadline:
                pytest.fail(f"the scratch registry did not start; see {self.log}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def scratch_registry(registries: Registries, tmp_path: Path) -> Iterator[ScratchRegistry]:
    registry = ScratchRegistry(registries.scratch, tmp_path)
    yield registry
    registry.stop()


class SlowRelay:
    """A TCP relay on the scratch address to the open registry, sending at most ``rate``
    bytes a second back: a registry as far away as a real mirror, so that Podman has time
    to report download progress (over loopback a layer arrives before the first report).
    It counts the connections open right now and the bytes sent back, so a test can tell
    when Podman has given a pull up."""

    def __init__(self, listen: str, target: str, rate: float) -> None:
        self.listen, self.target, self.rate = listen, target, rate
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._stopped = threading.Event()
        self.open_connections = 0  # TCP connections to the registry open now
        self.bytes_sent = 0  # bytes sent back to the clients, all connections

    def start(self) -> None:
        scratch_port_free(self.listen)
        host, port = self.listen.split(":")
        self._server.bind((host, int(port)))
        self._server.listen(16)
        self._server.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                continue
            host, port = self.target.split(":")
            upstream = socket.create_connection((host, int(port)))
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.rate), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, rate: float | None) -> None:
        """One direction of a connection: client -> registry (``rate`` None, counted as the
        connection) or registry -> client (slowed to ``rate``, its bytes counted)."""
        if rate is None:
            self.open_connections += 1
        try:
            while not self._stopped.is_set():
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
                if rate is not None:
                    self.bytes_sent += len(data)
                if rate:
                    time.sleep(len(data) / rate)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if rate is None:
                self.open_connections -= 1

    def stop(self) -> None:
        self._stopped.set()
        self._server.close()


@pytest.fixture
def slow_relay(registries: Registries) -> Iterator[SlowRelay]:
    relay = SlowRelay(registries.scratch, registries.open, rate=10e6)
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def image_of_our_own(podman_cli: PodmanCli, python_image: str, unique_name) -> Iterator[str]:
    """A one-name image made here (a commit of the python image): safe to remove."""
    source = unique_name("source")
    podman_cli("create", "--name", source, python_image, "true")
    name = f"localhost/lct-image-{source.rsplit('-', 1)[-1]}:1"
    podman_cli("commit", "-q", source, name)
    podman_cli("rm", source)
    yield name
    image_id = podman_cli("image", "inspect", "--format", "{{.Id}}", name, check=False).stdout.strip()
    if image_id:  # the test did not remove it: remove it, with every name a test gave it
        podman_cli("rmi", "-f", image_id, check=False)
