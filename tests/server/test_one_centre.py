"""One service per server: the REST API, %gpus, the panel and container kernels agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.magics import ContainerMagics
from labcontainer.widgets import ContainerPanel

from .conftest import server_config


@pytest.fixture
def jp_server_config(two_gpus_recording: Path):
    return server_config(nvml_recording=str(two_gpus_recording))


async def test_rest_gpus_percent_gpus_and_panel_agree_on_free(jp_serverapp, api, test_image, unique_name, podman_cli):
    """GPU 0 is asked for by a running labcontainer container, so it is not free — in the
    REST API (what the side panel offers), %gpus --free and the ipywidgets panel alike."""
    name = unique_name("holds-gpu0")
    status, body = await api("POST", "containers", {"image": test_image, "name": name, "gpus": "0", "command": ["sleep", "infinity"]})
    assert status == 201, body
    assert podman_cli.state(name) == "running"

    status, body = await api("GET", "gpus")
    assert status == 200
    rest = {g["index"]: g for g in body["gpus"]}
    assert rest[0]["free"] is False and rest[0]["containers"] == [name]
    assert rest[1]["free"] is True and rest[1]["containers"] == []

    service = jp_serverapp.web_app.settings["labcontainer_app"].service
    shell = InteractiveShell.instance()
    shell.register_magics(ContainerMagics(shell, service=service))
    assert str(shell.run_line_magic("gpus", "--free")) == "1"

    panel = ContainerPanel(service, auto_refresh=False)
    try:
        from labcontainer.widgets.model import gpu_bars

        bars = {bar.index: bar for bar in gpu_bars(service.gpu_view())}
        assert not bars[0].free and name in bars[0].users
        assert bars[1].free
        assert [box.description for box in panel.run_form.gpu_choices.children] == ["GPU 0", "GPU 1 (free)"]
    finally:
        panel.close()
