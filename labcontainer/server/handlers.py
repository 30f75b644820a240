"""REST handlers under /labcontainer/api/ (contract: rest_schema.json, prose in docs/rest-api.md).

Thin: validate the request against the schema, call the service (its blocking verbs in a worker
thread: ``asyncio.to_thread``), answer JSON. Errors become JSON in one place
(:meth:`BaseHandler.write_error`).

Every verb is ``@authenticated`` then ``@authorized``: Jupyter's authorizer (JupyterHub's, or a
deployment's own) decides ``read`` for GET and ``write`` for POST/DELETE on the handler's
``auth_resource`` -- ``containers`` (containers, their logs, GPUs, the service's status),
``images`` (images and pulls), ``kernelspecs``; the websockets ask ``read`` on ``containers``
(events) and ``execute`` on ``terminals`` (a shell in a container), like Jupyter's own terminals.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado.iostream import StreamClosedError

from ..core.errors import InvalidSpec, LabContainerError
from ..core.specs import check_image_reference
from ..kernels import kernelspecs
from ..kernels.config import KernelContainerConfig
from ..service import CONTAINER_ACTIONS, LabService
from . import kernel_containers
from .events import EventsHandler
from .logstream import LogFollower
from .schema import parse_body
from .terminal import TerminalHandler

NDJSON = "application/x-ndjson; charset=utf-8"
INTERNAL_ERROR = "labcontainer hit an unexpected error; the server log has the details."


class BaseHandler(APIHandler):
    @property
    def labcontainer(self) -> Any:
        """The server app (app.py): its services, event hub, pools and kept terminals."""
        return self.settings["labcontainer_app"]

    @property
    def connection_name(self) -> str:
        """The server this request is for: ``?connection=NAME``, else the default connection."""
        return self.get_argument("connection", None) or self.labcontainer.default_connection

    @property
    def service(self) -> LabService:
        """The service of the request's connection (the ONE place a handler picks its server;
        an unknown name is a 404 naming the known ones); its verbs block: call them with
        ``asyncio.to_thread``."""
        return self.labcontainer.servers.get(self.connection_name)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, LabContainerError):
            kind, message = exc.kind, exc.said_in("panel")  # the side panel's words: its buttons, not `%container ...`
        elif isinstance(exc, tornado.web.HTTPError):
            kind, message = "HTTPError", exc.log_message or self._reason
        else:
            kind, message = "InternalError", INTERNAL_ERROR
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"kind": kind, "message": message}}))

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, LabContainerError):
            # A user-level failure: no traceback in the log, the message goes to the client.
            self.log.info("labcontainer: %s: %s", e.kind, e)
            if not self._finished:
                self.send_error(e.http_status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)


class ContainersHandler(BaseHandler):
    auth_resource = "containers"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        scope = self.get_argument("scope", "mine")
        if scope not in ("mine", "labcontainer"):
            raise InvalidSpec(f"Unknown scope '{scope}'.", hint="Use scope=mine or scope=labcontainer.")
        include_all = self.get_argument("all", "1") not in ("0", "false")
        containers = await asyncio.to_thread(self.service.containers, all=include_all, scope=scope)
        described = await kernel_containers.describe(containers, self.kernel_manager, self.session_manager)
        self.finish({"containers": described, "connection": self.connection_name})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        data = parse_body("ContainerCreate", self.request.body)
        spec = await asyncio.to_thread(
            self.service.build_spec,
            data["image"],
            data.get("command") or (),
            name=data.get("name") or None,
            volumes=data.get("volumes") or (),
            env=data.get("env") or (),
            ports=data.get("ports") or (),
            gpus=data.get("gpus") or None,
            shm_size=data.get("shm_size") or None,
            workdir=data.get("workdir") or None,
        )
        info = await asyncio.to_thread(self.service.run, spec)
        self.set_status(201)
        self.finish({"container": info.to_json()})


class ContainerActionHandler(BaseHandler):
    auth_resource = "containers"

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, action: str) -> None:
        if action not in CONTAINER_ACTIONS:
            raise tornado.web.HTTPError(404, f"Unknown action '{action}'")
        # Container kernels run on the default server only.
        served = self.service is self.labcontainer.service
        kernel_id = kernel_containers.served_kernel(name, self.kernel_manager) if served else None
        if kernel_id and action in ("stop", "restart"):
            # Through the kernel, not behind its back: a fresh container, same kernel id.
            await self.kernel_manager.restart_kernel(kernel_id)
            info = await asyncio.to_thread(self.service.get, name)
        else:
            info = await asyncio.to_thread(self.service.act, name, action)  # type: ignore[arg-type]  # checked just above
        self.finish({"container": info.to_json()})


class ContainerHandler(BaseHandler):
    auth_resource = "containers"

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        force = self.get_argument("force", "0") in ("1", "true")
        # Container kernels run on the default server only.
        served = self.service is self.labcontainer.service
        kernel_id = kernel_containers.served_kernel(name, self.kernel_manager) if served else None
        if kernel_id:
            await self.kernel_manager.shutdown_kernel(kernel_id)  # which removes its container
        else:
            await asyncio.to_thread(self.service.remove, name, force=force)
        self.set_status(204)
        self.finish()


class LogsHandler(BaseHandler):
    """The last lines of a container's log as JSON, or with ``follow=1`` a stream of them."""

    auth_resource = "containers"

    _follower: LogFollower | None = None
    _client_gone = False

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        tail_text = self.get_argument("tail", "200")
        if not tail_text.isdigit() or not 0 < int(tail_text) <= 100_000:
            raise InvalidSpec(f"Bad tail '{tail_text}'.", hint="Use tail=N with 1 <= N <= 100000.")
        if self.get_argument("follow", "0") in ("1", "true"):
            await self._follow(name, int(tail_text))
            return
        lines = await asyncio.to_thread(lambda: list(self.service.logs(name, tail=int(tail_text))))
        self.finish({"lines": lines})

    async def _follow(self, name: str, tail: int) -> None:
        """Newline-delimited JSON (rest_schema.json: LogsStreamRecord): ``{"lines": [...]}``
        records as the log grows, then ``{"end": true}`` when the container stops, or one
        ``{"error": {...}}``. A blank line now and then keeps a quiet stream open."""
        await asyncio.to_thread(self.service.get, name)  # a missing container is a plain 404 JSON answer, before any stream
        self._follower = follower = LogFollower(self.service, name, tail=tail)  # 429 TooBusy past the cap
        self.set_header("Content-Type", NDJSON)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")  # a reverse proxy passes each record on at once
        last: dict[str, Any] = {"end": True}
        try:
            await self.flush()  # the headers: the client knows at once that the stream is open
            async for lines in follower.batches():
                self.write(json.dumps({"lines": lines}) + "\n" if lines else "\n")
                await self.flush()
        except StreamClosedError:
            return  # the client went away; `finally` stops the follower
        except LabContainerError as exc:
            last = {"error": {"kind": exc.kind, "message": exc.said_in("panel")}}
        except Exception:
            self.log.exception("labcontainer: following the log of %s failed", name)
            last = {"error": {"kind": "InternalError", "message": INTERNAL_ERROR}}
        finally:
            follower.stop()
        if not self._client_gone:
            self.finish(json.dumps(last) + "\n", set_content_type=NDJSON)

    def on_connection_close(self) -> None:
        # The browser closed the logs view (or the tab): the follower thread must not go on.
        self._client_gone = True
        if self._follower is not None:
            self._follower.stop()
        super().on_connection_close()


class GpusHandler(BaseHandler):
    auth_resource = "containers"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        # Kernels' containers are shown as the kernel of their notebook: Jupyter's sessions
        # know a renamed notebook, which the container's label cannot.
        notebooks = {
            s["kernel"]["id"]: s["path"] for s in await self.session_manager.list_sessions() if (s.get("kernel") or {}).get("id") and s.get("path")
        }
        view = await asyncio.to_thread(self.service.gpu_view, None, notebooks)
        self.finish(dict(view.to_json(), connection=self.connection_name))


class ImagesHandler(BaseHandler):
    auth_resource = "images"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        images = await asyncio.to_thread(self.service.images.list)
        self.finish({"images": [dict(i.to_json(), name=i.name, short_id=i.short_id) for i in images], "connection": self.connection_name})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        """Start a pull in the background and answer 202 at once; GET pulls follows it."""
        image = parse_body("ImagePull", self.request.body)["image"].strip()
        if not image or image.startswith("-") or any(c.isspace() for c in image):
            raise InvalidSpec(f"'{image}' is not an image name.", hint="Give one image reference, e.g. docker.io/library/python:3.12.")
        check_image_reference(image)  # Podman's grammar: 400 now, not a failed pull later
        row = self.service.images.pull_in_background(image, log=self.log)  # a thread started: nothing to wait for
        self.set_status(202)
        self.finish({"pull": row.to_json()})


class ImageHandler(BaseHandler):
    auth_resource = "images"

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        """``podman rmi NAME`` (the name URL-encoded): 200 with what it did (ImageRemoved: when
        only the name went, the image's other names and the containers that keep it); 409
        naming the containers that use it when it was the image's last name."""
        force = self.get_argument("force", "0") in ("1", "true")
        removed = await asyncio.to_thread(self.service.images.remove, name, force=force)
        self.finish({"removed": removed.to_json()})


class PullsHandler(BaseHandler):
    """The service's pull table as it is: the pulls this server is making now (a container
    kernel waiting for its image, the panel's pull form), then the panel's pulls that failed
    lately, with their ``error``."""

    auth_resource = "images"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        pulls = [pull.to_json() for pull in self.service.pulls.current()]  # in memory: no Podman call
        self.finish({"pulls": pulls, "connection": self.connection_name})


class KernelspecsHandler(BaseHandler):
    auth_resource = "kernelspecs"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        specs = await asyncio.to_thread(kernelspecs.list_kernelspecs)
        self.finish({"kernelspecs": [s.to_json() for s in specs]})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        data = parse_body("KernelspecCreate", self.request.body)
        # Empty strings are the form's "not given"; false and 0 are real values.
        settings = {key: value for key, value in data.items() if key in KernelContainerConfig.field_names() and value not in (None, "")}
        config = KernelContainerConfig.from_mapping(settings, where="the request")
        # Each named server must be one of the user's connections (404 naming the known
        # ones); the image is checked where the kernel will run, on the first of them.
        targets = [self.labcontainer.servers.get(name) for name in config.connection]
        info = await asyncio.to_thread(
            kernelspecs.install_kernelspec,
            config,
            name=data.get("name") or None,
            display_name=data.get("display_name") or None,
            replace=data.get("replace", False),
            service=targets[0] if targets else self.service,
        )
        _refresh_pools(self.labcontainer)
        answer: dict[str, Any] = {"kernelspec": info.to_json()}
        if info.note:
            answer["note"] = info.note
        self.set_status(201)
        self.finish(answer)


class KernelspecHandler(BaseHandler):
    auth_resource = "kernelspecs"

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        await asyncio.to_thread(kernelspecs.remove_kernelspec, name)
        _refresh_pools(self.labcontainer)
        self.set_status(204)
        self.finish()


class StatusHandler(BaseHandler):
    auth_resource = "containers"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        service = self.service
        try:
            info = await asyncio.to_thread(service.info)
        except LabContainerError as exc:
            answer = {"connected": False, "message": str(exc), "url": getattr(exc, "url", None), "rootless": None, "version": None}
        else:
            answer = {"connected": True, "message": None, "url": info.url, "rootless": info.rootless, "version": info.version}
        started = self.service.started_service()  # under a hub: no service answered, labcontainer started one
        answer["started_by_labcontainer"] = started is not None
        answer["note"] = started.note if started else None
        self.finish(dict(answer, connection=self.connection_name))


class ConnectionsHandler(BaseHandler):
    """The servers: each connection's name, URI, whether it is the default, and its state
    (all asked at once; an unreachable one answers within its deadline)."""

    auth_resource = "containers"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        app = self.labcontainer
        states = await asyncio.to_thread(app.servers.states, LabService.info)
        self.finish({"connections": [state.to_json() for state in states], "default": app.default_connection})


def _refresh_pools(app: Any) -> None:
    """A kernelspec was written or removed: its pool (kernels/pools.py) starts, changes or goes."""
    pools = app.pools
    if pools is not None:
        pools.refresh_in_background()


def handler_routes(base: str) -> list[tuple[str, type]]:
    name = r"([A-Za-z0-9][A-Za-z0-9_.-]*)"
    return [
        (f"{base}containers", ContainersHandler),
        (f"{base}containers/{name}/(start|stop|restart)", ContainerActionHandler),
        (f"{base}containers/{name}/logs", LogsHandler),
        (f"{base}containers/{name}/terminal", TerminalHandler),
        (f"{base}containers/{name}", ContainerHandler),
        (f"{base}events", EventsHandler),
        (f"{base}gpus", GpusHandler),
        (f"{base}images", ImagesHandler),
        (f"{base}images/([^/]+)", ImageHandler),  # the name URL-encoded: localhost%2Fx%3A1
        (f"{base}pulls", PullsHandler),
        (f"{base}kernelspecs", KernelspecsHandler),
        (f"{base}kernelspecs/{name}", KernelspecHandler),
        (f"{base}status", StatusHandler),
        (f"{base}connections", ConnectionsHandler),
    ]
