"""A kernel's container is shown as the kernel of its notebook, not as ``lc-kernel-<uuid>``
(#24 item 3): in GET gpus (the side panel's GPU view), ``%gpus``, ``%container ps`` and the
ipywidgets GPU strip. The notebook comes from Jupyter's sessions in the server (a renamed
notebook included), from the container's notebook label elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.core.models import ContainerInfo, kernel_container_name
from labcontainer.gpus import RecordedReader, build_gpu_view
from labcontainer.magics import ContainerMagics
from labcontainer.widgets.model import gpu_bars

from ..test_gpus import two_gpus
from .conftest import server_config


@pytest.fixture
def jp_server_config(two_gpus_recording: Path):
    return server_config(nvml_recording=str(two_gpus_recording))


async def test_a_notebooks_kernel_is_named_for_its_notebook_everywhere(jp_serverapp, api, test_image):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-named-for-notebook", "gpus": "0"})
    assert status == 201, body
    sessions = jp_serverapp.session_manager
    session = await sessions.create_session(path="train.ipynb", kernel_name="lc-named-for-notebook", type="notebook")
    kernel_id = session["kernel"]["id"]
    container = kernel_container_name(kernel_id)
    try:
        status, body = await api("GET", "gpus")
        assert status == 200, body
        assert body["gpus"][0]["holders"] == ["kernel of train.ipynb"], body
        assert body["gpus"][0]["containers"] == [container], body  # the names stay (what code looks containers up by)
        assert body["gpus"][0]["free"] is False

        service = jp_serverapp.web_app.settings["labcontainer_app"].service
        shell = InteractiveShell.instance()
        shell.register_magics(ContainerMagics(shell, service=service))
        gpus = repr(shell.run_line_magic("gpus", ""))
        assert "kernel of train.ipynb" in gpus and container not in gpus, gpus

        listing = shell.run_line_magic("container", "ps")
        rows = listing.table().rows
        ours = [row for info, row in zip(listing, rows) if info.name == container]
        assert ours and ours[0][1] == "kernel of train.ipynb", rows
        assert container not in repr(listing)
        assert [info.name for info in listing if info.name == container] == [container]  # the records keep the name

        strip = {bar.index: bar for bar in gpu_bars(service.gpu_view())}
        assert strip[0].users == "kernel of train.ipynb"

        # Renamed in JupyterLab: the server's sessions know, the container's label cannot.
        await sessions.update_session(session["id"], path="renamed.ipynb")
        status, body = await api("GET", "gpus")
        assert body["gpus"][0]["holders"] == ["kernel of renamed.ipynb"], body
    finally:
        await sessions.delete_session(session["id"])


def test_a_process_in_a_kernels_container_is_held_by_the_kernel_of_its_notebook():
    kernel = ContainerInfo(
        id="c" * 64, name=kernel_container_name("k1"), image="img", state="running", status="Up",
        labels={"org.labcontainer.managed": "true", "org.labcontainer.purpose": "kernel", "org.labcontainer.kernel-id": "k1"},
        gpus=("nvidia.com/gpu=0",),
    )
    view = build_gpu_view(
        RecordedReader(two_gpus(processes_on_0=[4242])).read(), [kernel],
        container_of_pid=lambda pid: kernel.id, user_of=lambda pid: "alice", notebooks={kernel.id: "work/train.ipynb"},
    )
    (process,) = view.gpus[0].processes
    assert process.container_name == kernel.name and process.holder == "kernel of train.ipynb"
    assert view.gpus[0].reserved_by == (kernel.name,) and view.gpus[0].holders == ("kernel of train.ipynb",)
    assert view.gpus[0].users == ("kernel of train.ipynb",)  # one holder, not the kernel and its container
    assert view.to_json()["gpus"][0]["processes"][0]["holder"] == "kernel of train.ipynb"
    assert view.to_json()["gpus"][0]["holders"] == ["kernel of train.ipynb"]
    assert view.to_json()["gpus"][0]["containers"] == [kernel.name]
