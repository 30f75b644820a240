"""The fast tier: LabService and the REST handlers over a FakeEngine, no Podman.

scripts/test.sh runs this folder first and stops when it fails, before any real-Podman run.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jupyter_server.utils import url_path_join

from labcontainer.gpus import RecordedReader
from labcontainer.server.handlers import handler_routes
from labcontainer.core.connections import PodmanConnections
from labcontainer.service import LabService, Services

from ..rest import rest_caller
from .fake_engine import FakeEngine

IMAGE = "localhost/lab/python:3"
GIB = 1 << 30


def two_gpus(busy: tuple[int, ...] = ()) -> RecordedReader:
    """Two recorded GPUs; a process (this test's own pid) on each index in ``busy``."""
    gpus = [{"index": i, "uuid": f"GPU-{i}", "name": "NVIDIA A100", "memory_used": GIB, "memory_total": 40 * GIB,
             "processes": [{"pid": "self", "used_memory": GIB}] if i in busy else []} for i in (0, 1)]
    return RecordedReader({"driver_version": "550.54.15", "gpus": gpus})


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(owner="ada", images=[IMAGE])


@pytest.fixture
def service(engine) -> LabService:
    return LabService(engine, nvml=two_gpus())


@pytest.fixture
def jp_server_config():
    # Not the extension itself (it would build a service for the real Podman and start its
    # background work): the handlers are mounted over the fake by `fake_api` below.
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": False}, "allow_unauthenticated_access": False}}


@pytest.fixture
def fake_api(jp_serverapp, jp_fetch, service):
    """Call /labcontainer/api/... of a real Jupyter server whose labcontainer service runs
    on the FakeEngine: returns (status, json or text), never raises on 4xx/5xx. The one place that
    knows how the extension hands its service to the handlers."""
    web_app = jp_serverapp.web_app
    # What handlers read of the server app (server/app.py): its default service; no pools,
    # event hub or kept terminals are needed by the verbs tested here.
    servers = Services(lambda connection: service, service, environ={}, known=PodmanConnections())  # this machine only
    web_app.settings["labcontainer_app"] = SimpleNamespace(
        service=service, servers=servers, connections=servers.by_name, default_connection=servers.default, pools=None
    )
    web_app.add_handlers(".*$", handler_routes(url_path_join(web_app.settings["base_url"], "labcontainer", "api") + "/"))

    return rest_caller(jp_fetch)
