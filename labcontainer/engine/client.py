"""PodmanEngine: one REST verb per method, over podman-py's HTTP client.

Every method has the meaning of the podman CLI command of the same name, takes and
returns labcontainer records (core/models.py) and raises only labcontainer errors
(core/errors.py). Calls block (async callers run them with ``asyncio.to_thread``); the
terminals are async. Container names go into URL paths escaped: a name is user input.

Container verbs are its own methods; the rest are parts it is composed of, each built on
what it needs: ``images`` (images.py) and ``registries`` (registries.py) on its API client,
``terminals`` (tty.py) on its socket's URL.
"""

from __future__ import annotations

import json
import socket
import threading
from contextlib import suppress
from datetime import datetime
from typing import Any, Iterator, Mapping, Sequence
from urllib.parse import quote

from podman import PodmanClient

from ..core.errors import ContainerNotFound, InvalidSpec, LabContainerError, PodmanError
from ..core.models import (
    ContainerInfo,
    ContainerSpec,
    ContainerStats,
    EngineInfo,
    ExecResult,
)
from . import connection
from .convert import (
    EPOCH,
    container_info_from_inspect,
    container_info_from_list,
    container_stats,
    create_kwargs,
    current_user,
    engine_info,
    filters_param,
)
from .exec import ExecSession
from .images import PodmanImages
from .logs import LogOptions, container_log_batches, read_through_service
from .registries import PodmanRegistries
from .streams import demux, split_streams
from .translate import ServiceText, translate, translated
from .tty import PodmanTerminals

#: How long one REST call may take before we call the service unresponsive (seconds).
DEFAULT_TIMEOUT = 60


class PodmanEngine:
    """A connection to one Podman API service: its container verbs, and as parts ``images``,
    ``registries`` and ``terminals``.

    Args:
        url: ``unix:///path``, ``tcp://...`` or ``ssh://...``; default: discovered (see
            :mod:`labcontainer.engine.connection`).
        start_service: if no service answers at a unix socket, start
            ``podman system service`` there (opt-in; the service outlives us).
        owner: the user name written in the owner label (default: the current user).
        local_files: whether a container's files (its log) may be on this machine; False for
            another server's socket forwarded here, whose paths must never be read locally.

    Raises:
        ServiceUnavailable: no service answers (and ``start_service`` is off or failed).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        start_service: bool = False,
        owner: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        local_files: bool = True,
    ) -> None:
        self.owner = owner or current_user()
        self.local_files = local_files
        self._timeout = timeout
        self.url = connection.choose_url(url, start_service)
        self._client = PodmanClient(base_url=self.url, timeout=timeout)
        self._info: EngineInfo | None = None
        self.images = PodmanImages(self._client)
        self.registries = PodmanRegistries(self._client)
        self.terminals = PodmanTerminals(self.url)

    # -- connection -------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def ping(self) -> bool:
        """True when the service answers; raises ServiceUnavailable when it does not."""
        reason = connection.probe_socket(self.url)
        if reason is not None:
            raise connection.unavailable_error([self.url], [reason])
        with translated():
            return bool(self._client.ping())

    def info(self) -> EngineInfo:
        """Version and mode (rootless or not) of the service; cached after the first call."""
        if self._info is None:
            with translated():
                raw = self._client.info()
            self._info = engine_info(raw, self.url)
        return self._info

    # -- containers: create and run -------------------------------------------------------

    def run(self, spec: ContainerSpec) -> ContainerInfo:
        """``podman run -d``: create and start a container labelled as labcontainer's.

        If the container was created but cannot start (e.g. an unknown GPU device), it is
        removed again: it is ours and the user never saw it, so nothing is left behind.
        """
        container_id = self.create(spec)
        try:
            self.start(container_id)
        except LabContainerError:
            with suppress(LabContainerError):
                self.remove(container_id, force=True)
            raise
        return self.get(container_id)

    def create(self, spec: ContainerSpec) -> str:
        """``podman create``; returns the container id."""
        kwargs = create_kwargs(spec, self.owner)
        # A missing image comes back as 500 "image not known", which translates to
        # ImageNotFound: no separate existence check (one REST call less per start).
        with translated(container=spec.name, image=spec.image):
            container = self._client.containers.create(**kwargs)
        return container.id

    # -- containers: query ----------------------------------------------------------------

    def ps(
        self,
        *,
        all: bool = False,
        filters: Mapping[str, str | Sequence[str]] | None = None,
        managed_only: bool = False,
    ) -> list[ContainerInfo]:
        """``podman ps [-a]``: one REST call whatever the number of containers.

        ``filters`` uses Podman's names (``name``, ``label``, ``status``, ``ancestor``...);
        a value may be a list. ``managed_only`` keeps labcontainer's containers only.
        """
        params: dict[str, Any] = {"all": all}
        query = filters_param(filters, managed_only)
        if query:
            params["filters"] = json.dumps(query)
        with translated():
            response = self._client.api.get("/containers/json", params=params)
            response.raise_for_status()
            raw = response.json() or []
        infos = [container_info_from_list(entry) for entry in raw]
        return sorted(infos, key=lambda c: (c.created or EPOCH), reverse=True)

    def get(self, name: str) -> ContainerInfo:
        """One container by name or id (raises ContainerNotFound)."""
        return container_info_from_inspect(self.inspect(name))

    def inspect(self, name: str) -> dict[str, Any]:
        """``podman inspect NAME``: Podman's full JSON."""
        return self._container_request("get", name, "json").json()

    def logs(
        self,
        name: str,
        *,
        tail: int | None = None,
        follow: bool = False,
        timestamps: bool = False,
        stop: threading.Event | None = None,
    ) -> Iterator[str]:
        """``podman logs``: the container's output line by line (see ``log_batches``)."""
        for batch in self.log_batches(name, tail=tail, follow=follow, timestamps=timestamps, stop=stop):
            yield from batch

    def log_batches(
        self,
        name: str,
        *,
        tail: int | None = None,
        follow: bool = False,
        timestamps: bool = False,
        stop: threading.Event | None = None,
    ) -> Iterator[list[str]]:
        """``podman logs`` in lists of lines (stdout and stderr merged), one list per read, so
        a front-end can write each at once. With ``follow`` it goes on until the container
        stops, the caller stops iterating, or ``stop`` is set (which also ends the wait
        between two reads). From the log file when this machine holds it, as the podman CLI
        reads it, else through the service: see logs.py."""

        def state() -> str:
            return self.get(name).state

        def read(tail_now: int | str, since: int | None, stamped: bool) -> Iterator[str]:
            return read_through_service(self._container_request, name, tail_now, since, stamped)

        options = LogOptions(tail=tail, follow=follow, timestamps=timestamps, stop=stop)
        yield from container_log_batches(self.inspect(name), self.url, state, read, options, local_files=self.local_files)

    def output(self, name: str) -> tuple[str, str]:
        """The container's whole stdout and stderr, kept apart (one read: final once it stopped)."""
        response = self._container_request("get", name, "logs", params={"stdout": True, "stderr": True}, stream=True, timeout=(10, None))
        with translated(container=name):
            return split_streams(demux(response.iter_content(chunk_size=None)))

    def wait(self, name: str, *, condition: str = "stopped") -> int:
        """Block until the container reaches ``condition``; returns its exit code."""
        # A long wait must not be cut by the per-request timeout.
        response = self._container_request("post", name, "wait", params={"condition": condition}, timeout=(10, None))
        return int(response.json())

    def exec(
        self, name: str, command: Sequence[str], *, workdir: str | None = None, env: Mapping[str, str] | None = None, user: str | None = None
    ) -> ExecResult:
        """``podman exec NAME CMD...``: run a command, capture output and exit code."""
        return self.exec_stream(name, command, workdir=workdir, env=env, user=user).collect()

    def exec_stream(
        self,
        name: str,
        command: Sequence[str],
        *,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        stdin: bytes | None = None,
    ) -> "ExecSession":
        """Start ``podman exec`` and stream its output as ``("stdout"|"stderr", text)`` pairs.

        The exit code is on the returned session once iteration ends. ``stdin`` (optional)
        is written to the command's standard input, e.g. a script for ``bash -s``.
        """
        if not command:
            raise InvalidSpec("No command given to exec.", hint="Use `%container exec NAME COMMAND...`.")
        payload: dict[str, Any] = {
            "Cmd": list(command),
            "AttachStdout": True,
            "AttachStderr": True,
            "AttachStdin": stdin is not None,
        }
        if workdir:
            payload["WorkingDir"] = workdir
        if env:
            payload["Env"] = [f"{k}={v}" for k, v in env.items()]
        if user:
            payload["User"] = user
        exec_id = self._container_request("post", name, "exec", data=json.dumps(payload)).json()["Id"]
        return ExecSession(self._client.api, self.url, name, exec_id, stdin)

    # -- containers: lifecycle ------------------------------------------------------------

    def start(self, name: str) -> None:
        """``podman start NAME`` (already running is fine)."""
        try:
            self._container_request("post", name, "start", not_modified_ok=True)
        except PodmanError as exc:
            # A container that exits at once can make Podman fail reading its cgroup after
            # it already ran ("read /proc/N/cgroup: no such process"): it did start.
            if "no such process" not in exc.detail or not self._has_run(name):
                raise

    def _has_run(self, name: str) -> bool:
        info = self.get(name)
        return info.started_at is not None and info.state != "created"

    def stop(self, name: str, *, timeout: int = 10) -> None:
        """``podman stop NAME``: SIGTERM, then SIGKILL after ``timeout`` seconds (stopped is fine)."""
        self._container_request(
            "post", name, "stop", params={"timeout": timeout}, timeout=(10, timeout + self._timeout), not_modified_ok=True
        )

    def restart(self, name: str, *, timeout: int = 10) -> None:
        """``podman restart NAME``."""
        self._container_request("post", name, "restart", params={"t": timeout}, timeout=(10, timeout + self._timeout))

    def kill(self, name: str, *, signal: str | int = "SIGKILL") -> None:
        """``podman kill [-s SIGNAL] NAME``."""
        self._container_request("post", name, "kill", params={"signal": signal})

    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> None:
        """``podman rm [-f] NAME``. Anonymous volumes go only when ``volumes`` is asked for."""
        self._container_request("delete", name, params={"force": force, "v": volumes}, timeout=(10, 30 + self._timeout))

    def rename(self, name: str, new_name: str) -> None:
        """``podman rename NAME NEW_NAME`` (a running container too)."""
        self._container_request("post", name, "rename", params={"name": new_name})

    def network_exists(self, name: str) -> bool:
        """``podman network exists NAME``."""
        with translated():
            return bool(self._client.networks.exists(name))

    def _container_request(
        self,
        method: str,
        name: str,
        action: str = "",
        *,
        params: dict[str, Any] | None = None,
        data: str | None = None,
        timeout: Any = None,
        stream: bool = False,
        not_modified_ok: bool = False,
    ):
        """One REST call on a container: 404 becomes ContainerNotFound, other failures are
        translated; ``not_modified_ok`` accepts 304 (already in the asked-for state)."""
        escaped = quote(name, safe="")
        path = f"/containers/{escaped}/{action}" if action else f"/containers/{escaped}"
        kwargs: dict[str, Any] = {"params": params}
        if data is not None:
            kwargs["data"] = data
        if timeout is not None:
            kwargs["timeout"] = timeout
        if stream:
            kwargs["stream"] = True
        with translated(container=name):
            response = getattr(self._client.api, method)(path, **kwargs)
            if response.status_code == 404:
                raise ContainerNotFound(name)
            if not (not_modified_ok and response.status_code == 304):
                response.raise_for_status()
        return response

    def stats(self, name: str | None = None) -> list[ContainerStats]:
        """``podman stats --no-stream [NAME]``: CPU, memory and pids of running containers."""
        params: dict[str, Any] = {"stream": False}
        if name:
            params["containers"] = [name]
        with translated(container=name):
            response = self._client.api.get("/containers/stats", params=params)
            if response.status_code == 404 and name:
                raise ContainerNotFound(name)
            response.raise_for_status()
            raw = response.json() or {}
        if raw.get("Error"):
            raise translate(ServiceText(str(raw["Error"].get("msg", raw["Error"]))), container=name)
        return [container_stats(entry) for entry in raw.get("Stats") or []]

    def events(self, *, since: datetime | None = None, filters: Mapping[str, str | Sequence[str]] | None = None) -> EventStream:
        """Podman's event stream (container events by default); blocks between events.

        The request is made here (a service that does not answer raises now); iterate the
        result for the events, and ``close()`` it from any thread to end a blocked wait."""
        query = filters_param(filters or {"type": "container"}, False)
        params: dict[str, Any] = {"stream": True, "filters": json.dumps(query)}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        with translated():
            response = self._client.api.get("/events", params=params, stream=True, timeout=(10, None))
            response.raise_for_status()
        return EventStream(response)


class EventStream:
    """An open ``/events`` answer: iterate it for Podman's events (dicts) until the service
    closes the stream. :meth:`close` may be called from another thread: a generator cannot be
    closed while it runs, and a thread blocked in a read only wakes when its socket is shut."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._closed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with translated():
            try:
                for line in self._response.iter_lines():
                    if line:
                        yield json.loads(line)
            except Exception:
                if self._closed:
                    return  # our own close() cut the read short: a normal end
                raise

    def close(self) -> None:
        """End the stream now, waking a thread blocked in a read; safe to call twice."""
        self._closed = True
        connection = getattr(self._response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with suppress(Exception):
            self._response.close()
