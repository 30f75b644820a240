"""A real Jupyter server (pytest-jupyter, in-process) with the labcontainer extension."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..rest import rest_caller
from ..test_gpus import two_gpus


def server_config(**labcontainer: object) -> dict:
    """A server with labcontainer on, a token required, and these ``c.LabContainer`` settings."""
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False},
            "LabContainer": labcontainer}


@pytest.fixture
def jp_server_config():
    return server_config()


@pytest.fixture
def two_gpus_recording(tmp_path: Path) -> Path:
    """Recorded NVML readings of two idle GPUs (for ``nvml_recording``)."""
    path = tmp_path / "two-gpus.json"
    path.write_text(json.dumps(two_gpus()))
    return path


@pytest.fixture
def api(jp_fetch):
    """Call /labcontainer/api/...: returns (status, json) and never raises on 4xx/5xx."""
    return rest_caller(jp_fetch)
