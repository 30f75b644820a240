"""``c.LabContainer.connection = "gpu2"``: a request without ?connection= talks to gpu2, while
container kernels, their pools and the change notices stay on this machine's Podman."""

from __future__ import annotations

import json

import pytest

from .test_rest_connections import gpu2_added  # noqa: F401 - the fixture: gpu2 added with podman


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False},
            "LabContainer": {"connection": "gpu2"}}


async def test_the_configured_connection_is_the_default(gpu2_added, jp_fetch, jp_serverapp):  # noqa: F811
    response = await jp_fetch("labcontainer", "api", "containers", method="GET")
    assert json.loads(response.body.decode())["connection"] == "gpu2"
    response = await jp_fetch("labcontainer", "api", "connections", method="GET")
    answer = json.loads(response.body.decode())
    assert answer["default"] == "gpu2" and [c["name"] for c in answer["connections"] if c["default"]] == ["gpu2"]
    app = jp_serverapp.web_app.settings["labcontainer_app"]
    assert app.service is app.connections["local"]  # the kernels' service
