"""A real Jupyter server (pytest-jupyter, in-process) with the labcontainer extension."""

from __future__ import annotations

import pytest

from ..rest import rest_caller


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False}}


@pytest.fixture
def api(jp_fetch):
    """Call /labcontainer/api/...: returns (status, json) and never raises on 4xx/5xx."""
    return rest_caller(jp_fetch)
