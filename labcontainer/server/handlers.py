"""REST handlers under /labcontainer/api/ (contract: docs/rest-api.md).

Thin: parse and validate the request, call the service in a thread, answer JSON. Errors
become JSON in one place (:meth:`BaseHandler.write_error`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler

from .. import kernelspecs
from ..errors import InvalidSpec, LabContainerError
from ..gpus.inventory import containers_asking_for, containers_by_gpu
from ..service import LabService

T = TypeVar("T")


class BaseHandler(APIHandler):
    @property
    def service(self) -> LabService:
        return self.settings["labcontainer"]

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking service call off the event loop."""
        return await asyncio.to_thread(function, *args, **kwargs)

    def body(self, allowed: dict[str, type | tuple[type, ...]], required: tuple[str, ...] = ()) -> dict[str, Any]:
        """The JSON body, checked against field names and types; raises InvalidSpec."""
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise InvalidSpec("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise InvalidSpec("The request body must be a JSON object.")
        for key, value in data.items():
            if key not in allowed:
                raise InvalidSpec(f"Unknown field '{key}'.", hint=f"Known fields: {', '.join(sorted(allowed))}.")
            expected = allowed[key]
            if value is not None and not isinstance(value, expected):
                raise InvalidSpec(f"Field '{key}' has the wrong type.")
            if isinstance(value, list) and not all(isinstance(item, str) for item in value):
                raise InvalidSpec(f"Field '{key}' must be a list of strings.")
        for key in required:
            if not data.get(key):
                raise InvalidSpec(f"Field '{key}' is required.")
        return data

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, LabContainerError):
            kind, message = exc.kind, str(exc)
        elif isinstance(exc, tornado.web.HTTPError):
            kind, message = "HTTPError", exc.log_message or self._reason
        else:
            kind, message = "InternalError", "labcontainer hit an unexpected error; the server log has the details."
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
    @tornado.web.authenticated
    async def get(self) -> None:
        scope = self.get_argument("scope", "mine")
        if scope not in ("mine", "labcontainer"):
            raise InvalidSpec(f"Unknown scope '{scope}'.", hint="Use scope=mine or scope=labcontainer.")
        include_all = self.get_argument("all", "1") not in ("0", "false")
        containers = await self.call(self.service.containers, all=include_all, scope=scope)
        self.finish({"containers": [c.to_json() for c in containers]})

    @tornado.web.authenticated
    async def post(self) -> None:
        data = self.body(
            {
                "image": str, "name": str, "gpus": str, "volumes": list, "env": list, "ports": list,
                "command": list, "shm_size": str, "workdir": str,
            },
            required=("image",),
        )
        spec = await self.call(
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
        info = await self.call(self.service.run, spec)
        self.set_status(201)
        self.finish({"container": info.to_json()})


class ContainerActionHandler(BaseHandler):
    ACTIONS = ("start", "stop", "restart")

    @tornado.web.authenticated
    async def post(self, name: str, action: str) -> None:
        if action not in self.ACTIONS:
            raise tornado.web.HTTPError(404, f"Unknown action '{action}'")
        engine = await self.call(lambda: self.service.engine)
        await self.call(getattr(engine, action), name)
        info = await self.call(engine.get, name)
        self.finish({"container": info.to_json()})


class ContainerHandler(BaseHandler):
    @tornado.web.authenticated
    async def delete(self, name: str) -> None:
        force = self.get_argument("force", "0") in ("1", "true")
        engine = await self.call(lambda: self.service.engine)
        await self.call(engine.remove, name, force=force)
        self.set_status(204)
        self.finish()


class LogsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        tail_text = self.get_argument("tail", "200")
        if not tail_text.isdigit() or not 0 < int(tail_text) <= 100_000:
            raise InvalidSpec(f"Bad tail '{tail_text}'.", hint="Use tail=N with 1 <= N <= 100000.")
        engine = await self.call(lambda: self.service.engine)
        lines = await self.call(lambda: list(engine.logs(name, tail=int(tail_text))))
        self.finish({"lines": lines})


class GpusHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        def read() -> dict[str, Any]:
            running = self.service.running_containers()
            inventory = self.service.gpu_inventory(running)
            reserved = containers_by_gpu(running)
            gpus = []
            for gpu in inventory.gpus:
                entry = gpu.to_json()
                entry["free"] = gpu.free
                entry["containers"] = containers_asking_for(gpu, reserved)
                gpus.append(entry)
            return {
                "available": inventory.available,
                "reason": inventory.reason,
                "driver_version": inventory.driver_version,
                "gpus": gpus,
            }

        self.finish(await self.call(read))


class ImagesHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        engine = await self.call(lambda: self.service.engine)
        images = await self.call(engine.images)
        self.finish({"images": [dict(i.to_json(), name=i.name, short_id=i.short_id) for i in images]})


class KernelspecsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        specs = await self.call(kernelspecs.list_kernelspecs)
        self.finish({"kernelspecs": [s.to_json() for s in specs]})

    @tornado.web.authenticated
    async def post(self) -> None:
        data = self.body({"image": str, "display_name": str, "name": str, "gpus": str, "volumes": list}, required=("image",))
        info = await self.call(
            kernelspecs.install_kernelspec,
            data["image"],
            name=data.get("name") or None,
            display_name=data.get("display_name") or None,
            gpus=data.get("gpus") or None,
            volumes=data.get("volumes") or (),
        )
        self.set_status(201)
        self.finish({"kernelspec": info.to_json()})


class KernelspecHandler(BaseHandler):
    @tornado.web.authenticated
    async def delete(self, name: str) -> None:
        await self.call(kernelspecs.remove_kernelspec, name)
        self.set_status(204)
        self.finish()


class StatusHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        def read() -> dict[str, Any]:
            try:
                engine = self.service.engine
                engine.ping()
                info = engine.info()
                return {"connected": True, "message": None, "url": engine.url, "rootless": info.rootless, "version": info.version}
            except LabContainerError as exc:
                return {"connected": False, "message": str(exc), "url": getattr(exc, "url", None), "rootless": None, "version": None}

        self.finish(await self.call(read))


def handler_routes(base: str) -> list[tuple[str, type]]:
    name = r"([A-Za-z0-9][A-Za-z0-9_.-]*)"
    return [
        (f"{base}containers", ContainersHandler),
        (f"{base}containers/{name}/(start|stop|restart)", ContainerActionHandler),
        (f"{base}containers/{name}/logs", LogsHandler),
        (f"{base}containers/{name}", ContainerHandler),
        (f"{base}gpus", GpusHandler),
        (f"{base}images", ImagesHandler),
        (f"{base}kernelspecs", KernelspecsHandler),
        (f"{base}kernelspecs/{name}", KernelspecHandler),
        (f"{base}status", StatusHandler),
    ]
