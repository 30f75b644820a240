"""Every verb of every labcontainer handler asks Jupyter's authorizer (JupyterHub's, or a
deployment's own), not only whether someone is logged in.

The routes are walked from the running server's own router, so a handler added later
without ``@authorized`` fails here: under an authorizer that allows nothing, every verb of
every route must answer 403; under a read-only one, every change must (and reads must not).
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from jupyter_server.auth import Authorizer
from tornado.httpclient import HTTPClientError
from tornado.web import RequestHandler

VERBS = ("get", "post", "put", "patch", "delete")
#: A GET on a handler of these resources is not a read: it opens a shell ("execute").
EXECUTE_ON_GET = {"terminals"}
NOBODY = "lct-authz-nobody"


class ReadOnly(Authorizer):
    """A deployment where this user may look but not change anything."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        return action == "read"


class NothingAllowed(Authorizer):
    """A user who may not even look."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        return False


def labcontainer_routes(web_app) -> list[tuple[str, type[RequestHandler]]]:
    """(path after labcontainer/api/, handler class) of every route the server registered."""
    found: dict[str, type[RequestHandler]] = {}

    def walk(router) -> None:
        for rule in getattr(router, "rules", []):
            target, regex = rule.target, getattr(rule.matcher, "regex", None)
            if isinstance(target, type) and issubclass(target, RequestHandler) and regex is not None:
                head, sep, tail = regex.pattern.partition("labcontainer/api/")
                if sep:
                    found[tail.rstrip("$")] = target
            elif hasattr(target, "rules"):
                walk(target)

    walk(web_app.default_router)
    return sorted(found.items())


def concrete_paths(pattern: str) -> list[str]:
    """The paths a route pattern matches, one per word of each ``(a|b|c)`` group; any other
    group (a name) becomes a name nobody has."""
    groups = re.findall(r"\(([^()]*)\)", pattern)
    choices = [g.split("|") if re.fullmatch(r"[a-z_|]+", g) else [NOBODY] for g in groups]
    paths = []
    for values in itertools.product(*choices):
        it = iter(values)
        path = re.sub(r"\([^()]*\)", lambda _m: next(it), pattern)
        assert re.fullmatch(pattern, path), (pattern, path)
        paths.append(path)
    return paths


def every_verb(web_app) -> list[tuple[str, str, type[RequestHandler]]]:
    """(HTTP method, path, handler) for each verb each route's handler defines."""
    verbs = []
    for pattern, handler in labcontainer_routes(web_app):
        for verb in VERBS:
            if getattr(handler, verb) is not getattr(RequestHandler, verb):
                verbs += [(verb.upper(), path, handler) for path in concrete_paths(pattern)]
    return verbs


def changes(method: str, handler: type[RequestHandler]) -> bool:
    return method != "GET" or getattr(handler, "auth_resource", None) in EXECUTE_ON_GET


async def answer(jp_fetch, method: str, path: str) -> int:
    try:
        response = await jp_fetch(
            "labcontainer", "api", *path.split("/"), method=method, raise_error=False,
            body=b"{}" if method in ("POST", "PUT", "PATCH") else None, allow_nonstandard_methods=True,
        )
    except HTTPClientError as exc:  # pragma: no cover - raise_error=False keeps answers here
        return exc.code
    return response.code


def config(authorizer: type[Authorizer]) -> dict:
    return {
        "ServerApp": {
            "jpserver_extensions": {"labcontainer": True},
            "allow_unauthenticated_access": False,
            "authorizer_class": authorizer,
        }
    }


class TestNothingAllowed:
    @pytest.fixture
    def jp_server_config(self):
        return config(NothingAllowed)

    async def test_every_verb_of_every_route_asks_the_authorizer(self, jp_serverapp, jp_fetch):
        verbs = every_verb(jp_serverapp.web_app)
        names = {handler.__name__ for _, _, handler in verbs}
        assert {"ContainersHandler", "ImagesHandler", "KernelspecsHandler", "TerminalHandler", "EventsHandler"} <= names, names
        answers = {(method, path): await answer(jp_fetch, method, path) for method, path, _ in verbs}
        assert {key: code for key, code in answers.items() if code != 403} == {}


class TestReadOnly:
    @pytest.fixture
    def jp_server_config(self):
        return config(ReadOnly)

    async def test_every_change_is_refused_and_every_read_allowed(self, jp_serverapp, jp_fetch):
        verbs = every_verb(jp_serverapp.web_app)
        refused = {(m, p) for m, p, h in verbs if changes(m, h)}
        reads = {(m, p) for m, p, h in verbs if not changes(m, h)}
        # The changes the panel and REST offer, each among the walked verbs.
        for wanted in [("POST", "containers"), ("DELETE", f"containers/{NOBODY}"), ("POST", "images"),
                       ("DELETE", f"images/{NOBODY}"), ("POST", "kernelspecs"), ("DELETE", f"kernelspecs/{NOBODY}"),
                       ("GET", f"containers/{NOBODY}/terminal")] + [("POST", f"containers/{NOBODY}/{a}") for a in ("start", "stop", "restart")]:
            assert wanted in refused, wanted
        assert ("GET", "containers") in reads and ("GET", "pulls") in reads and ("GET", "events") in reads
        answers = {key: await answer(jp_fetch, *key) for key in sorted(refused | reads)}
        assert {key: answers[key] for key in refused if answers[key] != 403} == {}
        assert {key: answers[key] for key in reads if answers[key] == 403} == {}

    async def test_a_read_only_user_changes_nothing(self, api, jp_fetch, podman_cli, test_image, unique_name, jp_data_dir):
        running = unique_name("authz-running")
        podman_cli("run", "-d", "--name", running, test_image, "sleep", "infinity")
        made = unique_name("authz-new")
        status, body = await api("POST", "containers", {"image": test_image, "name": made, "command": ["true"]})
        assert status == 403 and body["error"]["kind"] == "HTTPError", body
        assert "not authorized to write on resource: containers" in body["error"]["message"]
        assert not podman_cli.exists(made)
        for action in ("stop", "restart"):
            status, _ = await api("POST", f"containers/{running}/{action}")
            assert status == 403
        status, _ = await api("DELETE", f"containers/{running}", force="1")
        assert status == 403
        assert podman_cli.state(running) == "running"
        status, _ = await api("POST", "kernelspecs", {"image": test_image, "name": "lct-authz-spec"})
        assert status == 403
        assert not list(jp_data_dir.rglob("lct-authz-spec"))
        status, body = await api("GET", "containers", scope="labcontainer")
        assert status == 200 and json.dumps(body)
