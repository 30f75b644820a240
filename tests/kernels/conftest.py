from __future__ import annotations

pytest_plugins = ["pytest_jupyter.jupyter_server"]

import pytest


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}}}
