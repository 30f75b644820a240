"""Small things a newcomer met (#24 item 10): `%gpus --free` shows the value as --gpus takes
it, `%container inspect` gives the exact start time, and the `%load_ext labcontainer` of a
container kernel is explained where it is met (README, the kernel form)."""

from __future__ import annotations

from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

from .conftest import line

REPO = Path(__file__).resolve().parent.parent.parent
GPU_0_BUSY = {"gpus": [
    {"index": 0, "name": "NVIDIA A100", "memory_used": 2 << 30, "memory_total": 40 << 30, "processes": [{"pid": 1, "used_memory": 2 << 30}]},
    {"index": 1, "name": "NVIDIA A100", "memory_used": 0, "memory_total": 40 << 30},
]}


def shown(shell: InteractiveShell, value) -> str:
    """What a notebook shows for a cell whose value this is (its text/plain)."""
    return shell.display_formatter.format(value)[0]["text/plain"]


def test_free_gpus_show_as_the_value_and_return_it(engine):
    ip = InteractiveShell.instance()
    magics = ContainerMagics(ip, service=LabService(engine, nvml=RecordedReader(GPU_0_BUSY)))
    free = magics.gpus("--free")
    assert shown(ip, free) == "1"  # not '1'
    assert repr(free) == "1"
    assert free == "1" and isinstance(free, str) and free.indices == [1]  # still the value, for --gpus {free}


def test_inspect_gives_the_exact_start_time(shell, test_image, unique_name, podman_cli):
    name = unique_name()
    line(shell, f"run -d --name {name} {test_image} sleep infinity")
    result = line(shell, f"inspect {name}")
    assert result["Name"] == name and isinstance(result, dict)  # the data, as before
    # The podman CLI's own start time: "2026-12-06 22:40:01.123456789 +0000 UTC".
    started = podman_cli("inspect", "--format", "{{.State.StartedAt}}", name).stdout.strip().replace(" +0000 UTC", " UTC")
    first = shown(shell, result).splitlines()[0]
    assert first == f"{name}: running, started {started}", first
    assert "." in started.split()[1]  # finer than a second


def test_load_ext_in_a_container_kernel_is_explained_where_it_is_met():
    readme = (REPO / "README.md").read_text()
    magics = readme[readme.index("### Magics"):readme.index("```python", readme.index("### Magics"))]
    assert "ModuleNotFoundError: No module named 'labcontainer'" in magics and "*Python 3*" in magics
    form = (REPO / "labextension/src/views/kernelspecs.ts").read_text()
    assert "%load_ext labcontainer" in form and "ModuleNotFoundError" in form
