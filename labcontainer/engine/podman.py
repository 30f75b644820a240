"""PodmanEngine: the one place that talks to Podman (through podman-py's REST client).

Every method has the meaning of the podman CLI command of the same name, takes and
returns labcontainer records (models.py) and raises only labcontainer errors (errors.py).
Calls block; async front-ends run them in a thread.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from podman import PodmanClient
from podman import errors as podman_errors

from ..errors import (
    ContainerNotFound,
    ImageNotFound,
    InvalidSpec,
    LabContainerError,
    PodmanError,
    PullFailed,
)
from ..models import (
    LABEL_GPUS,
    LABEL_MANAGED,
    LABEL_OWNER,
    LABEL_PURPOSE,
    ContainerInfo,
    ContainerSpec,
    ContainerStats,
    EngineInfo,
    ExecResult,
    ImageInfo,
    PullProgress,
)
from . import connection
from .humanize import describe_status, parse_time
from .logs import follow_lines
from .translate import translated

ProgressCallback = Callable[[PullProgress], None]

#: How long one REST call may take before we call the service unresponsive (seconds).
DEFAULT_TIMEOUT = 60


class PodmanEngine:
    """A connection to one Podman API service.

    Args:
        url: ``unix:///path``, ``tcp://...`` or ``ssh://...``; default: discovered (see
            :mod:`labcontainer.engine.connection`).
        start_service: if no service answers at a unix socket, start
            ``podman system service`` there (opt-in; the service outlives us).
        owner: the user name written in the owner label (default: the current user).

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
    ) -> None:
        self.owner = owner or _current_user()
        self._timeout = timeout
        self.url = self._choose_url(url, start_service)
        self._client = PodmanClient(base_url=self.url, timeout=timeout)
        self._info: EngineInfo | None = None

    # -- connection -------------------------------------------------------------------

    @staticmethod
    def _choose_url(url: str | None, start_service: bool) -> str:
        urls = connection.candidate_urls(url)
        reasons = []
        for candidate in urls:
            reason = connection.probe_socket(candidate)
            if reason is None:
                return candidate
            reasons.append(reason)
        if start_service and connection.socket_path(urls[0]):
            connection.start_service(urls[0])
            return urls[0]
        # Keep the first candidate so a later ping() can succeed once the user starts it,
        # but tell them now.
        raise connection.unavailable_error(urls, reasons)

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
            host = raw.get("host", {})
            security = host.get("security", {})
            version = raw.get("version", {})
            self._info = EngineInfo(
                url=self.url,
                version=str(version.get("Version", "?")),
                api_version=str(version.get("APIVersion", "?")),
                rootless=bool(security.get("rootless", False)),
                cgroup_version=str(host.get("cgroupVersion", "?")),
            )
        return self._info

    # -- images -----------------------------------------------------------------------

    def images(self) -> list[ImageInfo]:
        """Local images, like ``podman images`` (one REST call)."""
        with translated():
            response = self._client.api.get("/images/json")
            response.raise_for_status()
            raw_images = response.json() or []
        return sorted((_image_info(raw) for raw in raw_images), key=lambda i: i.name)

    def image_exists(self, image: str) -> bool:
        with translated(image=image):
            return bool(self._client.images.exists(image))

    def pull(self, image: str, on_progress: ProgressCallback | None = None) -> ImageInfo:
        """``podman pull IMAGE``, reporting progress events as they come.

        Raises:
            PullFailed: the registry refused or could not be reached.
        """
        report = on_progress or (lambda _p: None)
        report(PullProgress(image=image, message=f"Pulling {image}", fraction=0.0))
        repository, tag = _split_reference(image)
        try:
            with translated(image=image):
                # podman-py's pull never raises on a failed pull: the 200 stream carries
                # {"error": ...}, so we read the stream ourselves.
                stream = self._client.images.pull(repository, tag=tag, stream=True, decode=True)
                for event in stream:
                    if event.get("error"):
                        raise PullFailed(image, str(event["error"]))
                    message = event.get("stream") or event.get("status") or ""
                    if message.strip():
                        report(PullProgress(image=image, message=message.strip(), fraction=_fraction(event)))
        except PullFailed:
            report(PullProgress(image=image, message="Pull failed", done=True))
            raise
        except LabContainerError as exc:
            report(PullProgress(image=image, message="Pull failed", done=True))
            raise PullFailed(image, str(exc)) from exc
        found = self.image(image)
        report(PullProgress(image=image, message=f"Pulled {found.name}", fraction=1.0, done=True))
        return found

    def image(self, image: str) -> ImageInfo:
        with translated(image=image):
            try:
                raw = self._client.images.get(image).attrs
            except podman_errors.ImageNotFound:
                raise ImageNotFound(image) from None
        return _image_info(
            {"Id": raw.get("Id", ""), "RepoTags": raw.get("RepoTags"), "Size": raw.get("Size", 0), "Created": raw.get("Created")}
        )

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
            self._remove_quietly(container_id)
            raise
        return self.get(container_id)

    def create(self, spec: ContainerSpec) -> str:
        """``podman create``; returns the container id."""
        if not spec.image:
            raise InvalidSpec("No image given.", hint="Say which image to run, e.g. `%container run -d IMAGE`.")
        kwargs = self._create_kwargs(spec)
        # A missing image comes back as 500 "image not known", which translates to
        # ImageNotFound: no separate existence check (one REST call less per start).
        with translated(container=spec.name, image=spec.image):
            container = self._client.containers.create(**kwargs)
        return container.id

    def labels_for(self, spec: ContainerSpec) -> dict[str, str]:
        """The labels that mark a container as labcontainer's (plus the spec's own)."""
        labels = dict(spec.labels)
        labels.update(
            {
                LABEL_MANAGED: "true",
                LABEL_PURPOSE: spec.purpose,
                LABEL_OWNER: self.owner,
            }
        )
        if spec.gpus:
            labels[LABEL_GPUS] = ",".join(spec.gpus)
        return labels

    def _create_kwargs(self, spec: ContainerSpec) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "image": spec.image,
            "labels": self.labels_for(spec),
            "detach": True,
        }
        if spec.command:
            kwargs["command"] = list(spec.command)
        if spec.entrypoint is not None:
            kwargs["entrypoint"] = list(spec.entrypoint)
        if spec.name:
            kwargs["name"] = spec.name
        if spec.remove:
            # podman-py drops "remove" (its run() removes client-side); auto_remove is the
            # service-side --rm.
            kwargs["auto_remove"] = True
        if spec.env:
            kwargs["environment"] = dict(spec.env)
        if spec.volumes:
            kwargs["mounts"] = [
                {"type": "bind", "source": v.host, "target": v.container, "read_only": v.read_only}
                for v in spec.volumes
            ]
        if spec.ports:
            ports: dict[str, Any] = {}
            for p in spec.ports:
                ports[f"{p.container_port}/{p.protocol}"] = (p.host_ip, p.host_port) if p.host_ip else p.host_port
            kwargs["ports"] = ports
        if spec.gpus:
            kwargs["devices"] = list(spec.gpus)
        if spec.shm_size:
            kwargs["shm_size"] = spec.shm_size
        if spec.workdir:
            kwargs["working_dir"] = spec.workdir
        if spec.network:
            kwargs["network_mode"] = spec.network
        if spec.init:
            kwargs["init"] = True
        if spec.userns:
            kwargs["userns_mode"] = spec.userns
        if spec.user:
            kwargs["user"] = spec.user
        return kwargs

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
        query = _filters_param(filters, managed_only)
        if query:
            params["filters"] = json.dumps(query)
        with translated():
            response = self._client.api.get("/containers/json", params=params)
            response.raise_for_status()
            raw = response.json() or []
        infos = [container_info_from_list(entry) for entry in raw]
        return sorted(infos, key=lambda c: (c.created or _EPOCH), reverse=True)

    def get(self, name: str) -> ContainerInfo:
        """One container by name or id (raises ContainerNotFound)."""
        return container_info_from_inspect(self.inspect(name))

    def inspect(self, name: str) -> dict[str, Any]:
        """``podman inspect NAME``: Podman's full JSON."""
        return self._container_request("get", name, "json").json()

    def exists(self, name: str) -> bool:
        with translated(container=name):
            response = self._client.api.get(f"/containers/{name}/exists")
            return response.status_code == 204

    def logs(self, name: str, *, tail: int | None = None, follow: bool = False, timestamps: bool = False) -> Iterator[str]:
        """``podman logs``: the container's output, line by line (stdout and stderr merged).

        With ``follow`` the iterator goes on until the container stops (or the caller
        stops iterating).
        """
        # podman-py's frame reader assumes each read returns the bytes it asked for; on a
        # chunked stream a short read loses whole frames (seen: 30,000 of 100,000 lines).
        # _demux buffers properly.
        first_tail: int | str = tail if tail is not None else "all"

        def is_running() -> bool:
            return self.get(name).state in ("running", "created", "paused", "restarting")

        if not follow or not is_running():
            # A stopped container's log is complete: one plain read.
            yield from self._read_logs(name, first_tail, None, timestamps)
            return

        def read(tail_now: int | str, since: int | None) -> Iterator[str]:
            return self._read_logs(name, tail_now, since, True)

        # Podman's own follow stream loses lines under fast output: see engine/logs.py.
        yield from follow_lines(read, is_running, tail=first_tail, keep_timestamps=timestamps)

    def _read_logs(self, name: str, tail: int | str, since: int | None, timestamps: bool) -> Iterator[str]:
        params: dict[str, Any] = {"stdout": True, "stderr": True, "follow": False, "timestamps": timestamps, "tail": tail}
        if since is not None:
            params["since"] = str(since)
        response = self._container_request("get", name, "logs", params=params, stream=True, timeout=(10, None))
        with translated(container=name):
            frames = (text for _stream, text in _demux(response.iter_content(chunk_size=None)))
            yield from (_timestamped_lines(frames) if timestamps else _lines_of(frames))

    def wait(self, name: str, *, condition: str = "stopped") -> int:
        """Block until the container reaches ``condition``; returns its exit code."""
        # A long wait must not be cut by the per-request timeout.
        response = self._container_request("post", name, "wait", params={"condition": condition}, timeout=(10, None))
        return int(response.json())

    def exec(
        self,
        name: str,
        command: Sequence[str],
        *,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
    ) -> ExecResult:
        """``podman exec NAME CMD...``: run a command, capture output and exit code."""
        stdout: list[str] = []
        stderr: list[str] = []
        session = self.exec_stream(name, command, workdir=workdir, env=env, user=user)
        for stream_name, text in session:
            (stdout if stream_name == "stdout" else stderr).append(text)
        return ExecResult(exit_code=session.exit_code, stdout="".join(stdout), stderr="".join(stderr))

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
        return ExecSession(self, name, exec_id, stdin)

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
        return info.started_at is not None and info.state in ("exited", "stopped", "running")

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
        path = f"/containers/{name}/{action}" if action else f"/containers/{name}"
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

    def _remove_quietly(self, name: str) -> None:
        try:
            self.remove(name, force=True)
        except LabContainerError:
            pass

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
            from .translate import translate

            raise translate(_ServiceText(str(raw["Error"].get("msg", raw["Error"]))), container=name)
        return [
            ContainerStats(
                name=s.get("Name", ""),
                id=s.get("ContainerID", ""),
                cpu_percent=float(s.get("CPU", 0.0)),
                memory_used=int(s.get("MemUsage", 0)),
                memory_limit=int(s.get("MemLimit", 0)),
                pids=int(s.get("PIDs", 0)),
            )
            for s in raw.get("Stats") or []
        ]

    def events(self, *, since: datetime | None = None, filters: Mapping[str, str | Sequence[str]] | None = None) -> Iterator[dict[str, Any]]:
        """Podman's event stream (container events by default); blocks between events."""
        query = _filters_param(filters or {"type": "container"}, False)
        params: dict[str, Any] = {"stream": True, "filters": json.dumps(query)}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        with translated():
            response = self._client.api.get("/events", params=params, stream=True, timeout=(10, None))
            response.raise_for_status()
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)


class ExecSession:
    """An exec in progress: iterate for output; ``exit_code`` is set at the end."""

    def __init__(self, engine: PodmanEngine, container: str, exec_id: str, stdin: bytes | None) -> None:
        self._engine = engine
        self._container = container
        self.exec_id = exec_id
        self._stdin = stdin
        self.exit_code: int = -1

    def __iter__(self) -> Iterator[tuple[str, str]]:
        client = self._engine._client
        with translated(container=self._container):
            if self._stdin is None:
                response = client.api.post(
                    f"/exec/{self.exec_id}/start",
                    data=json.dumps({"Detach": False, "Tty": False}),
                    stream=True,
                    timeout=(10, None),
                )
                response.raise_for_status()
                yield from _demux(response.iter_content(chunk_size=None))
            else:
                yield from _exec_with_stdin(self._engine.url, self.exec_id, self._stdin)
            info = client.api.get(f"/exec/{self.exec_id}/json")
            info.raise_for_status()
            code = info.json().get("ExitCode")
            self.exit_code = int(code) if code is not None else -1


# -- helpers: conversion ------------------------------------------------------------------

_EPOCH = datetime.fromtimestamp(0, timezone.utc)


class _ServiceText(Exception):
    """An error text the service put in a 200 answer."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.explanation = text


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        import os

        return str(os.getuid())


def _filters_param(filters: Mapping[str, str | Sequence[str]] | None, managed_only: bool) -> dict[str, list[str]]:
    # podman-py stringifies a list given as a label filter value, silently matching
    # nothing; we build the JSON ourselves: {"label": ["k=v", ...]}.
    query: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        query.setdefault(key, []).extend(values)
    if managed_only:
        query.setdefault("label", []).append(f"{LABEL_MANAGED}=true")
    return query


def container_info_from_list(entry: Mapping[str, Any]) -> ContainerInfo:
    """A ContainerInfo from one entry of libpod's ``/containers/json``."""
    labels = dict(entry.get("Labels") or {})
    state = str(entry.get("State", "unknown"))
    started = _epoch_or_none(entry.get("StartedAt"))
    exited = _epoch_or_none(entry.get("ExitedAt"))
    exit_code = entry.get("ExitCode")
    ports = tuple(
        _port_text(p.get("host_ip", ""), p.get("host_port"), p.get("container_port"), p.get("protocol", "tcp"))
        for p in entry.get("Ports") or []
    )
    return ContainerInfo(
        id=str(entry.get("Id", "")),
        name=(entry.get("Names") or [""])[0],
        image=str(entry.get("Image", "")),
        state=state,
        status=describe_status(state, started, exited, exit_code),
        created=parse_time(entry.get("Created")),
        started_at=started,
        command=tuple(entry.get("Command") or ()),
        ports=ports,
        gpus=_gpus_of(labels),
        labels=labels,
        exit_code=int(exit_code) if exit_code is not None else None,
        pid=int(entry.get("Pid") or 0) or None,
    )


def container_info_from_inspect(raw: Mapping[str, Any]) -> ContainerInfo:
    """A ContainerInfo from ``/containers/{name}/json`` (inspect)."""
    state = raw.get("State") or {}
    config = raw.get("Config") or {}
    labels = dict(config.get("Labels") or {})
    status = str(state.get("Status", "unknown"))
    started = parse_time(state.get("StartedAt"))
    finished = parse_time(state.get("FinishedAt"))
    exit_code = state.get("ExitCode")
    ports = []
    for container_port, bindings in ((raw.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, proto = container_port.partition("/")
        for binding in bindings or []:
            ports.append(_port_text(binding.get("HostIp", ""), binding.get("HostPort"), port, proto or "tcp"))
    return ContainerInfo(
        id=str(raw.get("Id", "")),
        name=str(raw.get("Name", "")).lstrip("/"),
        image=str(raw.get("ImageName") or config.get("Image") or ""),
        state=status,
        status=describe_status(status, started, finished, exit_code),
        created=parse_time(raw.get("Created")),
        started_at=started,
        command=tuple(config.get("Cmd") or ()),
        ports=tuple(ports),
        gpus=_gpus_of(labels),
        labels=labels,
        exit_code=int(exit_code) if exit_code is not None else None,
        pid=int(state.get("Pid") or 0) or None,
    )


def _gpus_of(labels: Mapping[str, str]) -> tuple[str, ...]:
    value = labels.get(LABEL_GPUS, "")
    return tuple(v for v in value.split(",") if v)


def _port_text(host_ip: str, host_port: Any, container_port: Any, protocol: str) -> str:
    ip = f"{host_ip}:" if host_ip and host_ip not in ("0.0.0.0", "") else ""
    return f"{ip}{host_port}->{container_port}/{protocol}"


def _epoch_or_none(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value, timezone.utc)
    return None


def _image_info(raw: Mapping[str, Any]) -> ImageInfo:
    tags = tuple(t for t in (raw.get("RepoTags") or raw.get("Names") or ()) if t and t != "<none>:<none>")
    created = raw.get("Created")
    return ImageInfo(
        id=str(raw.get("Id", "")),
        tags=tags,
        size=int(raw.get("Size") or 0),
        created=_epoch_or_none(created) if isinstance(created, (int, float)) else parse_time(created),
    )


def _split_reference(image: str) -> tuple[str, str | None]:
    """``repo/name:tag`` → (``repo/name``, ``tag``); digests and registry ports are kept intact."""
    if "@" in image:
        return image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = image.rpartition(":")
        return repository, tag
    return image, "latest"


def _fraction(event: Mapping[str, Any]) -> float | None:
    detail = event.get("progressDetail") or {}
    current, total = detail.get("current"), detail.get("total")
    if current and total:
        return max(0.0, min(1.0, current / total))
    return None


def _lines_of(pieces: Iterable[str]) -> Iterator[str]:
    """Reassemble output pieces (which may split or join lines) into lines without newlines."""
    pending = ""
    for piece in pieces:
        pending += piece
        *complete, pending = pending.split("\n")
        yield from complete
    if pending:
        yield pending


def _timestamped_lines(frames: Iterable[str]) -> Iterator[str]:
    """Lines of a timestamped log. Each frame is one log record, ``"<timestamp> text"``;
    a long line Podman stored in parts arrives as several records, each with its own
    timestamp, only the last one ending in a newline. A line keeps its first timestamp."""
    stamp: str | None = None
    text = ""
    for frame in frames:
        record_stamp, _, record = frame.partition(" ")
        if stamp is None:
            stamp = record_stamp
        text += record
        while "\n" in text:
            line, text = text.split("\n", 1)
            yield f"{stamp} {line}"
            stamp = record_stamp if text else None
    if stamp is not None and text:
        yield f"{stamp} {text}"


def _demux(chunks: Iterator[bytes]) -> Iterator[tuple[str, str]]:
    """Docker's multiplexed stream: 8-byte headers (stream id, 3 zero bytes, big-endian size)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            stream_id, payload, buffer = buffer[0], buffer[8 : 8 + size], buffer[8 + size :]
            yield ("stderr" if stream_id == 2 else "stdout", payload.decode("utf-8", errors="replace"))


def _exec_with_stdin(url: str, exec_id: str, data: bytes) -> Iterator[tuple[str, str]]:
    """Start an exec with stdin attached: the REST call upgrades to a raw stream, which
    requests cannot write to, so this one exchange talks HTTP over the socket itself."""
    import socket as socket_module

    from . import connection as conn

    path = conn.socket_path(url)
    if path is None:
        raise InvalidSpec("Sending input to `exec` needs a unix-socket connection to Podman.")
    body = json.dumps({"Detach": False, "Tty": False}).encode()
    sock = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
    sock.connect(path)
    try:
        sock.sendall(
            f"POST /v4.0.0/libpod/exec/{exec_id}/start HTTP/1.1\r\nHost: d\r\n"
            f"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = b""
        while b"\r\n\r\n" not in head:
            piece = sock.recv(4096)
            if not piece:
                break
            head += piece
        header, _, rest = head.partition(b"\r\n\r\n")
        status_line = header.split(b"\r\n", 1)[0].decode(errors="replace")
        if " 101 " not in status_line and " 200 " not in status_line:
            raise LabContainerError(f"Podman refused to start the exec: {status_line}")
        sock.sendall(data)
        sock.shutdown(socket_module.SHUT_WR)

        def chunks() -> Iterator[bytes]:
            if rest:
                yield rest
            while True:
                piece = sock.recv(65536)
                if not piece:
                    return
                yield piece

        yield from _demux(chunks())
    finally:
        sock.close()
