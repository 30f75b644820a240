"""A real Jupyter server (pytest-jupyter, in-process) with the labcontainer extension."""

from __future__ import annotations

import json

import pytest



@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}, "allow_unauthenticated_access": False}}


@pytest.fixture
def api(jp_fetch):
    """Call /labcontainer/api/...: returns (status, json) and never raises on 4xx/5xx."""

    async def call(method: str, path: str, body=None, **params):
        kwargs = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = b""
        if params:
            kwargs["params"] = params
        response = await jp_fetch("labcontainer", "api", *path.split("/"), **kwargs)
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text else None)

    return call
