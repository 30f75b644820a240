"""Any image with Python 3 is a kernel: one without ipykernel gets an ipykernel bundle built
for its own Python version (here 3.13, on a 3.11 server), with no flag in its kernelspec."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager

from labcontainer.core import errors
from labcontainer.kernels.bundle import PROBES_FILE
from labcontainer.kernels.config import BUNDLE_MOUNT
from labcontainer.kernels.imagecheck import PROBE_PREFIX, ImageLacksIpykernel
from labcontainer.kernels.kernelspecs import install_kernelspec
from labcontainer.service import default_service

from ..conftest import SETUP_HINT, wait_until
from .jupyter import JupyterServer, execute, remove_leftovers, server_environment
from .test_kernel_failures import kernel_containers, left_on_host


@pytest.fixture(scope="session")
def python313_image(podman_cli) -> str:
    image = os.environ.get("LABCONTAINER_PYTHON313_IMAGE") or "localhost/labcontainer-python313:latest"
    if podman_cli("image", "exists", image, check=False).returncode != 0:
        pytest.fail(f"The Python 3.13 test image {image} is missing. {SETUP_HINT}", pytrace=False)
    return image


@pytest.fixture(scope="session")
def prepared_bundles(tmp_path_factory) -> Path:
    """The Python 3.13 bundle, prepared once per run the way a user prepares one for an
    offline server (`labcontainer bundle --python 3.13`); tests share it, not their probes."""
    cache = tmp_path_factory.mktemp("prepared-cache")
    env = dict(os.environ, LABCONTAINER_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, "-m", "labcontainer.cli", "bundle", "--python", "3.13"], env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    built = cache / "bundles" / "cp313-manylinux_2_28-x86_64"
    assert f"Ready: {built}" in done.stdout and (built / ".complete").is_file() and (built / "ipykernel").is_dir()
    return cache / "bundles"


@pytest.fixture
def cache(tmp_path, monkeypatch, prepared_bundles) -> Path:
    """A cache folder of this test's own (no probe known yet) holding the prepared bundles."""
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "bundles").symlink_to(prepared_bundles)
    monkeypatch.setenv("LABCONTAINER_CACHE_DIR", str(folder))
    return folder


def created_since(podman_cli, since: str) -> list[tuple[str, str]]:
    """(name, image) of every container Podman created since ``since``: its own event log."""
    out = podman_cli("events", "--stream=false", "--since", since, "--filter", "event=create",
                     "--format", "{{.Name}} {{.Image}}").stdout
    return [tuple(line.split(" ", 1)) for line in out.splitlines() if " " in line]


def a_fresh_second() -> str:
    """Now, as whole seconds (what `podman events --since` reads), after any event of
    an earlier test: those fall in an earlier second. Waits for the clock to enter the next
    whole second (at most one second)."""
    earlier = int(time.time())
    wait_until(lambda: int(time.time()) > earlier, timeout=2, interval=0.01, message="the next whole second")
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_python_313_image_runs_code_and_is_probed_once(tmp_path, monkeypatch, cache, python313_image, podman_cli):
    env = server_environment(tmp_path)
    monkeypatch.setenv("JUPYTER_DATA_DIR", env["JUPYTER_DATA_DIR"])
    install_kernelspec(python313_image, name="lc-py313")  # no service: nothing probed yet
    spec = (Path(env["JUPYTER_DATA_DIR"]) / "kernels" / "lc-py313" / "kernel.json").read_text()
    assert "inject_ipykernel" not in spec  # no flag: the image is used as it is
    server = JupyterServer(tmp_path, env)
    since = a_fresh_second()
    try:
        server.start()
        first = server.open_notebook("first.ipynb", "lc-py313")["kernel"]["id"]
        out = execute(server, first, "import sys, ipykernel; print(sys.version_info[:2] == (3, 13), ipykernel.__file__)")
        assert out.split() == ["True", f"{BUNDLE_MOUNT}/ipykernel/__init__.py"], out
        probes = [name for name, image in created_since(podman_cli, since) if name.startswith(PROBE_PREFIX)]
        assert len(probes) == 1, probes  # the first start asked the image once (and the witness sees it)
        assert python313_image in {image for name, image in created_since(podman_cli, since) if name in probes}
        assert (cache / PROBES_FILE).is_file()

        # A second kernel on the same image: no probe, the answer is known by image id.
        since = a_fresh_second()
        second = server.open_notebook("second.ipynb", "lc-py313")["kernel"]["id"]
        assert "(3, 13)" in execute(server, second, "import sys; print(sys.version_info[:2])")
        created = [name for name, _ in created_since(podman_cli, since)]
        assert f"lc-kernel-{second}" in created  # the witness saw this start...
        assert not [name for name in created if name.startswith(PROBE_PREFIX)]  # ...and no probe in it
    finally:
        server.stop()
        remove_leftovers(server, podman_cli)
    assert not {n for n in podman_cli.names() if n.startswith(PROBE_PREFIX)}


async def test_an_image_without_python_is_refused_in_one_paragraph(data_dir, cache, no_python_image, podman_cli):
    with pytest.raises(ImageLacksIpykernel) as caught:
        install_kernelspec(no_python_image, name="lc-no-python", service=default_service())
    message = str(caught.value)
    assert no_python_image in message and "no python3" in message and "no kernelspec was written" in message
    assert "Traceback" not in message and message.count("\n") <= 1  # ours, then Podman's words on their own line
    assert not (data_dir / "data" / "kernels" / "lc-no-python").exists()

    # A kernelspec written without the check (by hand, or before the image was here) fails
    # at start with the same paragraph, and leaves nothing behind.
    install_kernelspec(no_python_image, name="lc-no-python")
    km = AsyncKernelManager(kernel_name="lc-no-python")
    with pytest.raises(ImageLacksIpykernel) as caught:
        await km.start_kernel()
    assert "no python3" in str(caught.value) and "the kernel was not started" in str(caught.value)
    assert kernel_containers(podman_cli, km.kernel_id) == []
    assert left_on_host(km.kernel_id) == []
    assert not {n for n in podman_cli.names() if n.startswith(PROBE_PREFIX)}


def test_the_kernelspec_says_in_one_line_that_a_bundle_will_be_mounted(data_dir, cache, python313_image):
    info = install_kernelspec(python313_image, name="lc-py313-note", service=default_service())
    assert "Python 3.13 but no ipykernel" in info.note and "bundle for Python 3.13" in info.note
    assert "\n" not in info.note
    assert (data_dir / "data" / "kernels" / "lc-py313-note" / "kernel.json").is_file()


async def test_offline_without_a_bundle_says_how_to_prepare_one(data_dir, tmp_path, monkeypatch, python313_image, podman_cli):
    empty = tmp_path / "empty-cache"
    monkeypatch.setenv("LABCONTAINER_CACHE_DIR", str(empty))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/")  # nothing listens there: offline
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no find-links of this machine's pip config
    monkeypatch.setenv("PIP_RETRIES", "0")
    install_kernelspec(python313_image, name="lc-py313-offline")
    km = AsyncKernelManager(kernel_name="lc-py313-offline")
    with pytest.raises(errors.KernelStartError) as caught:
        await km.start_kernel()
    first, _, rest = str(caught.value).partition("\n")
    assert "No ipykernel bundle for Python 3.13" in first and "`labcontainer bundle --python 3.13`" in first
    assert rest.startswith("pip said: ") and "\n" not in rest
    assert kernel_containers(podman_cli, km.kernel_id) == []
    assert left_on_host(km.kernel_id) == []
    assert list((empty / "bundles").iterdir()) == []  # no half-built bundle left to be mounted later
