"""Shared fixtures: a real Podman service, the project's kernel image, unique names.

The suite runs against a real Podman API service, rootful or rootless
(``LABCONTAINER_TEST_MODE``), whose URL is in ``CONTAINER_HOST``; ``scripts/test.sh`` sets
all of this up. Tests check real state through the ``podman`` CLI (``podman_cli``), which
is independent of the code under test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from labcontainer.engine import PodmanEngine
from labcontainer.engine.connection import service_environment

TEST_PREFIX = "lct-"
SETUP_HINT = "Run the suite with ./scripts/test.sh, which installs Podman and builds the test image."


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        pytest.fail(f"{name} is not set. {SETUP_HINT}", pytrace=False)
    return value


@pytest.fixture(scope="session")
def podman_url() -> str:
    return _env("CONTAINER_HOST")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """Jupyter's data and runtime folders (kernelspecs, connection files) of this test only;
    the test runs in tmp_path. Returns tmp_path."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def test_mode() -> str:
    return os.environ.get("LABCONTAINER_TEST_MODE", "rootful")


@pytest.fixture(scope="session")
def rootless(test_mode: str) -> bool:
    return test_mode == "rootless"


@pytest.fixture(scope="session")
def engine(podman_url: str) -> Iterator[PodmanEngine]:
    eng = PodmanEngine(podman_url)
    yield eng
    eng.close()


class PodmanCli:
    """The podman CLI pointed at the service under test: an independent witness."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.binary = shutil.which("podman") or "podman"

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                [self.binary, "--url", self.url, *args], capture_output=True, text=True, check=check, timeout=timeout
            )
        except subprocess.CalledProcessError as exc:
            exc.add_note(f"podman said: {exc.stderr.strip()}")  # the why, in the test report
            raise

    def state(self, name: str) -> str | None:
        """The container's state ("running", "exited"...) or None if it does not exist."""
        result = self("inspect", "--format", "{{.State.Status}}", name, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def exists(self, name: str) -> bool:
        return self("container", "exists", name, check=False).returncode == 0

    def names(self) -> set[str]:
        out = self("ps", "-a", "--format", "json").stdout
        return {n for c in json.loads(out or "[]") for n in c.get("Names", [])}


@pytest.fixture(scope="session")
def podman_cli(podman_url: str) -> PodmanCli:
    return PodmanCli(podman_url)


@pytest.fixture(scope="session")
def test_image(podman_cli: PodmanCli) -> str:
    image = _env("LABCONTAINER_TEST_IMAGE", "localhost/labcontainer-kernel:latest")
    if podman_cli("image", "exists", image, check=False).returncode != 0:
        pytest.fail(f"The test image {image} is missing. {SETUP_HINT}", pytrace=False)
    return image


@pytest.fixture(scope="session")
def python_image(podman_cli: PodmanCli) -> str:
    """An image with python3 but no ipykernel."""
    image = _env("LABCONTAINER_PYTHON_IMAGE", "localhost/labcontainer-python:latest")
    if podman_cli("image", "exists", image, check=False).returncode != 0:
        pytest.fail(f"The python-only test image {image} is missing. {SETUP_HINT}", pytrace=False)
    return image


@pytest.fixture(scope="session", autouse=True)
def labcontainer_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Image probes and ipykernel bundles (kernels/bundle.py) go to a folder of this run, not
    to the user's ~/.cache: no run depends on what an earlier one left."""
    if not os.environ.get("LABCONTAINER_CACHE_DIR"):
        os.environ["LABCONTAINER_CACHE_DIR"] = str(tmp_path_factory.mktemp("labcontainer-cache"))
    return Path(os.environ["LABCONTAINER_CACHE_DIR"])


@pytest.fixture(scope="session")
def no_python_image(podman_cli: PodmanCli, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An image with no python3 at all (a single text file in it), removed after the run."""
    image = f"localhost/lct-no-python-{uuid.uuid4().hex[:8]}:latest"
    folder = tmp_path_factory.mktemp("no-python")
    (folder / "README").write_text("no python here\n")
    tarball = folder / "rootfs.tar"
    subprocess.run(["tar", "-C", str(folder), "-cf", str(tarball), "README"], check=True)
    podman_cli("import", str(tarball), image)
    yield image
    podman_cli("rmi", "-f", image, check=False)


@pytest.fixture
def unique_name(request: pytest.FixtureRequest, podman_cli: PodmanCli) -> Iterator:
    """A factory of container names unique to this test; those containers are removed after it."""
    made: list[str] = []
    base = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:24]

    def make(tag: str = "") -> str:
        name = f"{TEST_PREFIX}{base}{'-' + tag if tag else ''}-{uuid.uuid4().hex[:6]}"
        made.append(name)
        return name

    yield make
    for name in made:
        podman_cli("rm", "-f", "-t", "0", name, check=False)


@pytest.fixture
def unlabelled_container(podman_cli: PodmanCli, test_image: str, unique_name) -> str:
    """A container someone made with the podman CLI, not labcontainer: must survive everything."""
    name = unique_name("users-own")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")
    return name


class PrivateService:
    """A Podman API service on a socket of its own, which a test may stop and start again."""

    def __init__(self, directory: Path, *, log_level: str | None = None) -> None:
        self.directory = directory
        self.log_level = log_level  # "debug" logs every API request (a witness of who was asked)
        self.socket = directory / "podman.sock"
        self.url = f"unix://{self.socket}"
        self.log = directory / "service.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [shutil.which("podman") or "podman", *([f"--log-level={self.log_level}"] if self.log_level else []),
             "system", "service", "--time=0", self.url],
            env=service_environment(),
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.socket.exists():
                probe = subprocess.run(
                    ["podman", "--url", self.url, "version"], capture_output=True, check=False, timeout=20
                )
                if probe.returncode == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"private podman service did not start; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.socket.unlink(missing_ok=True)


def start_private_service(**options) -> PrivateService:
    """A started service of its own (same storage as the main one); stop() and remove its folder after."""
    # Unix socket paths are limited to ~100 bytes: keep the directory short.
    directory = Path(f"/tmp/lct-svc-{uuid.uuid4().hex[:8]}")
    directory.mkdir(mode=0o700)
    service = PrivateService(directory, **options)
    service.start()
    return service


@pytest.fixture
def private_service() -> Iterator[PrivateService]:
    """A service of the test's own (same storage as the main one), started."""
    service = start_private_service()
    yield service
    service.stop()
    shutil.rmtree(service.directory, ignore_errors=True)


async def executes_ok(km, code: str) -> None:
    """Run ``code`` in a kernel through a client of its own, as a notebook would; fail unless
    the kernel answers ok. ``km``: any jupyter_client kernel manager (async client)."""
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(code, timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.1, message: str = "condition"):
    """Poll ``predicate`` until it is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {message}")


def nvml_gpu_count() -> int | None:
    """How many GPUs this machine's NVIDIA driver reports, asked of pynvml itself (not
    through labcontainer); None when NVML cannot initialise (no driver, no library). GPU
    tests use it to hold on a GPU server as on this driverless machine."""
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    try:
        return pynvml.nvmlDeviceGetCount()
    finally:
        pynvml.nvmlShutdown()


def no_driver_reader():
    """A machine without an NVIDIA driver, worded as the real path (PynvmlReader) words it:
    tests of what users see there hold on a GPU server too (test_gpus checks the real path)."""
    from labcontainer.gpus import RecordedReader
    from labcontainer.gpus.nvml import NO_DRIVER_REASON

    return RecordedReader({"unavailable": f"{NO_DRIVER_REASON} (NVML said: NVML Shared Library Not Found)"})
