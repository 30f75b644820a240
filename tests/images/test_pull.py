"""A lab member pulls images from the lab's registry, its docker.io mirror, a registry that
wants a login, and registries that fail: progress while it runs, a summary at the end, and
one clear paragraph (then Podman's own words) when it cannot work."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import urllib.request
import uuid

import pytest
from jupyter_client.manager import AsyncKernelManager

from labcontainer.core.errors import PullFailed
from labcontainer.core.models import PullProgress, RegistryCredentials
from labcontainer.magics import ContainerFailure
from labcontainer.service import LabService

from ..conftest import PodmanCli, executes_ok
from .conftest import line

SUMMARY = re.compile(r"^Pulled (\S+): image ([0-9a-f]{12}), [\d.]+ [KMGT]?B(, [\d.]+ [KMGT]?B downloaded)?, in [\d.]+ s$")


def progress_lines(stderr: str) -> list[str]:
    return [text for text in stderr.splitlines() if text.strip()]


def test_pull_from_the_lab_registry_shows_progress_then_a_summary(shell, registries, pulled, podman_cli, capsys):
    image = pulled(registries.unique_image)
    capsys.readouterr()
    result = line(shell, f"pull {image}")
    steps = progress_lines(capsys.readouterr().err)
    assert steps[0] == f"Pulling {image}"
    assert len(steps) > 2, steps  # the start, Podman's own steps, the summary
    summary = SUMMARY.match(steps[-1])
    assert summary, steps[-1]
    podman_id = podman_cli("image", "inspect", "--format", "{{.Id}}", image).stdout.strip()
    assert summary.group(1) == image and podman_id.startswith(summary.group(2))
    assert podman_cli("image", "exists", image, check=False).returncode == 0
    assert [i.name for i in result] == [image] and image in result._repr_html_()


def test_a_short_name_is_looked_up_in_the_search_registries_as_the_cli_does(shell, registries, pulled, podman_cli, capsys):
    # registries.conf here searches the lab registry for names without a registry.
    image = pulled(f"{registries.open}/lab/python:latest")
    line(shell, "pull lab/python")
    assert f"Pulled {image}" in capsys.readouterr().err
    assert podman_cli("image", "exists", image, check=False).returncode == 0


def test_docker_io_names_are_served_by_the_lab_mirror(shell, registries, pulled, podman_cli, capsys):
    # docker.io is unreachable from these machines: only the mirror can have served it.
    image = pulled(registries.mirrored)
    line(shell, f"pull {image}")
    assert f"Pulled {image}" in capsys.readouterr().err
    assert podman_cli("image", "exists", image, check=False).returncode == 0


def test_a_slow_registry_shows_bytes_speed_and_time_left(engine, registries, slow_relay, pulled, podman_cli):
    image = pulled(f"{slow_relay.listen}/lab/pulltest:latest")
    steps: list[PullProgress] = []
    LabService(engine).images.pull(image, on_progress=steps.append)
    downloading = [s for s in steps if s.message.startswith("Downloading") and s.total]
    assert len(downloading) >= 2, [s.message for s in steps]
    assert [s.downloaded for s in downloading] == sorted(s.downloaded for s in downloading)  # it only grows
    assert all(0 < s.fraction < 1 for s in downloading[:-1] if s.fraction is not None)
    assert downloading[-1].speed and downloading[-1].eta is not None
    assert steps[-1].done and steps[-1].fraction == 1.0 and " downloaded, in " in steps[-1].message
    assert podman_cli("image", "exists", image, check=False).returncode == 0


def failed_pull(shell, words: str) -> tuple[str, float]:
    """The message a failing `%container pull` shows, and how long it took to say it."""
    started = time.monotonic()
    # A failed pull is not the user's mistake: the magic stops the cell with a
    # ContainerFailure carrying the PullFailed, shown as "PullFailed: ..." without a traceback.
    with pytest.raises(ContainerFailure) as caught:
        line(shell, f"pull {words}")
    assert isinstance(caught.value.error, PullFailed), repr(caught.value.error)
    return "\n".join(caught.value._render_traceback_()), time.monotonic() - started


def assert_one_paragraph_then_podman(message: str, ours: str) -> None:
    first, *rest = message.split("\n")
    assert ours in first, message
    assert len(rest) == 1 and rest[0].startswith("Podman said: "), message
    assert "Traceback" not in message


def assert_unreachable(message: str, image: str, registry: str) -> None:
    """One paragraph, the same whatever did (not) answer there: no Podman words that would
    tell a closed port from a silent or a non-registry one."""
    assert message.startswith(f"PullFailed: Could not pull '{image}': the registry {registry} could not be reached from this server."), message
    assert "\n" not in message and "Podman said" not in message and "refused" not in message, message


def test_a_missing_tag_says_so(shell, registries, podman_cli, record_property):
    image = f"{registries.open}/lab/python:no-such-tag"
    message, seconds = failed_pull(shell, image)
    record_property("seconds", round(seconds, 2))
    assert_one_paragraph_then_podman(message, f"PullFailed: Could not pull '{image}': the registry {registries.open} has no such image or tag.")
    assert "manifest unknown" in message
    assert podman_cli("image", "exists", image, check=False).returncode != 0


def test_a_stopped_registry_is_unreachable_and_said_so(shell, scratch_registry, record_property):
    scratch_registry.start()
    scratch_registry.stop()  # it was there a moment ago: now nothing answers
    image = f"{scratch_registry.address}/lab/python:latest"
    message, seconds = failed_pull(shell, image)
    record_property("seconds", round(seconds, 2))
    assert_unreachable(message, image, scratch_registry.address)


def test_a_port_nobody_serves_is_unreachable_and_said_so(shell, record_property):
    import socket

    with socket.socket() as probe:  # a port free right now, not in registries.conf
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    message, seconds = failed_pull(shell, f"{address}/lab/python:latest")
    record_property("seconds", round(seconds, 2))
    assert_unreachable(message, f"{address}/lab/python:latest", address)


def test_a_wrong_password_is_named_as_such(shell, registries, podman_cli, record_property):
    image = f"{registries.auth}/lab/python:latest"
    message, seconds = failed_pull(shell, f"--creds {registries.user}:wrong-{registries.password} {image}")
    record_property("seconds", round(seconds, 2))
    assert_one_paragraph_then_podman(message, f"did not accept the user name '{registries.user}' with that password.")
    assert registries.password not in message
    assert podman_cli("image", "exists", image, check=False).returncode != 0


def test_without_a_login_the_error_says_to_log_in(shell, registries):
    message, _ = failed_pull(shell, f"{registries.auth}/lab/python:latest")
    assert_one_paragraph_then_podman(message, f"the registry {registries.auth} refused access.")
    assert f"podman login {registries.auth}" in message


def test_the_right_password_pulls_and_never_shows(engine, registries, pulled, podman_cli, capsys):
    image = pulled(f"{registries.auth}/lab/python:latest")
    credentials = RegistryCredentials(registries.user, registries.password)
    assert registries.password not in repr(credentials)
    LabService(engine).images.pull(image, credentials=credentials)
    assert podman_cli("image", "exists", image, check=False).returncode == 0
    assert registries.password not in "".join(capsys.readouterr())


def test_asking_for_https_from_a_plain_http_registry_says_what_to_change(engine, registries):
    with pytest.raises(PullFailed) as caught:
        LabService(engine).images.pull(f"{registries.open}/lab/python:latest", tls_verify=True)
    assert "speaks plain HTTP" in str(caught.value) and "insecure = true" in str(caught.value)


async def test_a_kernel_whose_image_is_only_in_the_registry_pulls_it_and_runs(data_dir, registries, pulled, podman_cli):
    from labcontainer.kernels.kernelspecs import install_kernelspec

    image = pulled(f"{registries.open}/lab/kernel:latest")
    install_kernelspec(image, name="lc-from-registry")
    km = AsyncKernelManager(kernel_name="lc-from-registry")
    await km.start_kernel()
    try:
        await executes_ok(km, "print(6 * 7)")
    finally:
        await km.shutdown_kernel(now=True)
    assert podman_cli("image", "exists", image, check=False).returncode == 0


@pytest.fixture(scope="session")
def kernel_image_with_a_layer_of_its_own(registries, podman_cli: PodmanCli, test_image: str, tmp_path_factory) -> str:
    """``lab/kernel-pulltest:<kernel image id>`` in the lab registry: the kernel image plus
    32 MB of random bytes, so that pulling it downloads (the kernel image's own layers are on
    this machine already). Built and pushed once per kernel image; not kept locally."""
    base_id = podman_cli("image", "inspect", "--format", "{{.Id}}", test_image).stdout.strip()[:12]
    reference = f"lab/kernel-pulltest:{base_id}"
    manifest = f"http://{registries.open}/v2/{reference.replace(':', '/manifests/')}"
    request = urllib.request.Request(manifest, method="HEAD", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=5):
            return reference
    except OSError:
        pass  # not there yet: build and push it
    blob = tmp_path_factory.mktemp("pulltest") / "blob"
    blob.write_bytes(os.urandom(32 * 2**20))  # random: it does not compress
    local = f"localhost/lct-kernel-pulltest:{base_id}"
    source = f"lct-kernel-pulltest-{uuid.uuid4().hex[:8]}"
    podman_cli("create", "--name", source, test_image)
    try:
        podman_cli("cp", str(blob), f"{source}:/opt/pulltest.bin")
        podman_cli("commit", "-q", source, local)
    finally:
        podman_cli("rm", "-f", source, check=False)
    try:
        podman_cli("push", "--tls-verify=false", local, f"{registries.open}/{reference}", timeout=300)
    finally:
        podman_cli("rmi", local, check=False)  # its only name: the layer leaves this machine
    return reference


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False}}


async def test_while_a_kernel_pulls_its_image_the_server_reports_the_pull(
    jp_serverapp, jp_fetch, kernel_image_with_a_layer_of_its_own, slow_relay, pulled, podman_cli
):
    """The side panel's view of a kernel start that has to pull: GET pulls names the image and
    the kernel, with bytes growing; the kernel's startup timeout (shorter than the pull here)
    counts only once the container exists, so the kernel then starts and runs code."""
    from labcontainer.kernels.kernelspecs import install_kernelspec

    slow_relay.rate = 2e6  # 32 MB: about 16 s, several progress reports
    image = pulled(f"{slow_relay.listen}/{kernel_image_with_a_layer_of_its_own}")
    install_kernelspec(image, name="lc-pulling", startup_timeout=10)
    kernels = jp_serverapp.kernel_manager
    start = asyncio.ensure_future(kernels.start_kernel(kernel_name="lc-pulling"))
    seen: list[dict] = []
    try:
        while not start.done():
            response = await jp_fetch("labcontainer", "api", "pulls")
            seen += json.loads(response.body)["pulls"]
            await asyncio.wait([start], timeout=0.25)
        kernel_id = start.result()
    except BaseException:
        start.cancel()
        raise
    try:
        ours = [p for p in seen if p["image"] == image and p["kernel_id"] == kernel_id]
        assert ours, seen
        assert any(p["fraction"] and p["fraction"] > 0 and p["downloaded"] > 0 for p in ours), ours
        downloaded = [p["downloaded"] for p in ours]
        assert downloaded == sorted(downloaded)  # it only grows
        response = await jp_fetch("labcontainer", "api", "pulls")
        assert json.loads(response.body) == {"pulls": [], "connection": "local"}  # done: the row went
        await executes_ok(kernels.get_kernel(kernel_id), "print(6 * 7)")
    finally:
        await kernels.shutdown_kernel(kernel_id, now=True)
    assert podman_cli("image", "exists", image, check=False).returncode == 0
