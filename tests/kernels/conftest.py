from __future__ import annotations


import pytest


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}}}
