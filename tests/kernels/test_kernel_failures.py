"""When a container kernel cannot start, the user learns why within seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager

from labcontainer.core import errors
from labcontainer.kernels.kernelspecs import install_kernelspec, list_kernelspecs, remove_kernelspec

from ..conftest import executes_ok


async def start(name: str) -> AsyncKernelManager:
    km = AsyncKernelManager(kernel_name=name)
    await km.start_kernel()
    return km


def left_on_host(kernel_id: str) -> list[str]:
    """The kernel's connection directories (each holds its key) and records still on the host."""
    from labcontainer.kernels.records import load_records
    from labcontainer.kernels.launch import socket_base_dir as _socket_base_dir

    from jupyter_core.paths import jupyter_runtime_dir

    directories = [str(p) for p in Path(_socket_base_dir()).glob(f"lck-{kernel_id[:8]}-*")]
    connection_files = [str(p) for p in Path(jupyter_runtime_dir()).glob(f"kernel-{kernel_id}*.json")]
    return directories + connection_files + [f"record {r.kernel_id}" for r in load_records() if r.kernel_id == kernel_id]


def kernel_containers(podman_cli, kernel_id: str) -> list[str]:
    out = podman_cli("ps", "-a", "--filter", f"label=org.labcontainer.kernel-id={kernel_id}", "--format", "{{.Names}}").stdout
    return out.split()


async def test_image_without_ipykernel_gets_one_and_can_still_be_injected(data_dir, python_image, podman_cli):
    # No flag: the image's Python (3.11 here) gets an ipykernel bundle built for it, mounted.
    install_kernelspec(python_image, name="lc-plain-python")
    km = await start("lc-plain-python")
    try:
        await executes_ok(km, "import ipykernel; assert ipykernel.__file__.startswith('/opt/labcontainer-ipykernel/')")
    finally:
        await km.shutdown_kernel(now=True)
    assert kernel_containers(podman_cli, km.kernel_id) == []  # nothing left behind
    assert left_on_host(km.kernel_id) == []

    # The older way still works: mount this server's ipykernel (same Python minor version here).
    install_kernelspec(python_image, name="lc-plain-python-injected", inject_ipykernel=True)
    km = await start("lc-plain-python-injected")
    try:
        await executes_ok(km, "import ipykernel, sys; print(ipykernel.__file__)")
    finally:
        await km.shutdown_kernel(now=True)
    assert kernel_containers(podman_cli, km.kernel_id) == []


async def test_unknown_gpu_and_missing_image_fail_fast_with_advice(data_dir, test_image, podman_cli):
    install_kernelspec(test_image, name="lc-gpu7", gpus="7")
    km = AsyncKernelManager(kernel_name="lc-gpu7")
    with pytest.raises(errors.GpuDeviceUnknown) as caught:
        await km.start_kernel()
    assert "nvidia-ctk cdi generate" in str(caught.value)
    assert kernel_containers(podman_cli, km.kernel_id) == []
    assert left_on_host(km.kernel_id) == []

    install_kernelspec("localhost/labcontainer-no-such-image:1", name="lc-missing")
    km = AsyncKernelManager(kernel_name="lc-missing")
    with pytest.raises(errors.PullFailed) as caught:
        await km.start_kernel()
    assert "labcontainer-no-such-image" in str(caught.value)
    assert left_on_host(km.kernel_id) == []


async def test_kernel_process_dying_at_start_reports_its_logs(data_dir, test_image, podman_cli):
    info = install_kernelspec(test_image, name="lc-broken")
    # A kernelspec whose command fails at once, as a broken image entry point would.
    import json

    spec_file = Path(info.resource_dir) / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec["argv"] = ["sh", "-c", "echo 'CUDA driver version is insufficient' >&2; exit 3"]
    spec_file.write_text(json.dumps(spec))
    km = AsyncKernelManager(kernel_name="lc-broken")
    with pytest.raises(errors.KernelStartError) as caught:
        await km.start_kernel()
    assert "exit code 3" in str(caught.value)
    assert "CUDA driver version is insufficient" in str(caught.value)
    assert kernel_containers(podman_cli, km.kernel_id) == []
    assert left_on_host(km.kernel_id) == []


def test_cli_install_list_remove(data_dir, test_image):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "labcontainer.cli", *args], capture_output=True, text=True, timeout=60)

    done = cli("kernelspec", "install", "--image", test_image, "--gpus", "0", "--volume", "/srv/data:/data:ro", "--name", "lc-cli")
    assert done.returncode == 0, done.stderr
    listed = cli("kernelspec", "list").stdout
    assert "lc-cli" in listed and test_image in listed
    # jupyter's own tool sees it
    jupyter = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list"], capture_output=True, text=True)
    assert "lc-cli" in jupyter.stdout
    assert [k.name for k in list_kernelspecs()] == ["lc-cli"]
    bad = cli("kernelspec", "install", "--image", test_image, "--gpus", "lots")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--gpus" in bad.stderr
    bad = cli("kernelspec", "remove", "python3")  # not ours: refused
    assert bad.returncode == 2 and "no labcontainer kernelspec named 'python3'" in bad.stderr
    assert cli("kernelspec", "remove", "lc-cli").returncode == 0
    assert list_kernelspecs() == []
    with pytest.raises(errors.NotFoundError):
        remove_kernelspec("lc-cli")
