"""Calling labcontainer's REST API in tests: one caller over pytest-jupyter's ``jp_fetch``."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

RestCall = Callable[..., Awaitable[tuple[int, Any]]]


def rest_caller(jp_fetch: Callable[..., Awaitable[Any]]) -> RestCall:
    """``await call(method, "containers", body=None, **query)`` -> (status, JSON answer), never
    raising on 4xx/5xx. A body that is not JSON (tornado's own 404 page for a path no route
    takes) comes back as text."""

    async def call(method: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = b""
        if params:
            kwargs["params"] = params
        response = await jp_fetch("labcontainer", "api", *path.split("/"), **kwargs)
        text = response.body.decode() if response.body else ""
        if text and "json" not in response.headers.get("Content-Type", ""):
            return response.code, text
        return response.code, (json.loads(text) if text else None)

    return call
