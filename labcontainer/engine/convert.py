"""Podman's JSON → labcontainer records, and records → Podman's query parameters.

Pure functions over dicts: the libpod list answer and the inspect answer describe a
container in different shapes, so each has its own reader, both ending in a ContainerInfo.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from ..core.models import LABEL_GPUS, LABEL_MANAGED, LABEL_OWNER, LABEL_PURPOSE, ContainerInfo, ContainerSpec, ContainerStats, DiskUse, EngineInfo, ImageInfo
from ..core.timefmt import describe_status, parse_time

EPOCH = datetime.fromtimestamp(0, timezone.utc)


def current_user() -> str:
    """The name written in the owner label: the login name, or the uid where the
    process has no passwd entry (as in some containers)."""
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


def filters_param(filters: Mapping[str, str | Sequence[str]] | None, managed_only: bool) -> dict[str, list[str]]:
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
    started = epoch_or_none(entry.get("StartedAt"))
    exited = epoch_or_none(entry.get("ExitedAt"))
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
        gpus=gpus_of(labels),
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
        gpus=gpus_of(labels),
        labels=labels,
        exit_code=int(exit_code) if exit_code is not None else None,
        pid=int(state.get("Pid") or 0) or None,
    )


def gpus_of(labels: Mapping[str, str]) -> tuple[str, ...]:
    value = labels.get(LABEL_GPUS, "")
    return tuple(v for v in value.split(",") if v)


def _port_text(host_ip: str, host_port: Any, container_port: Any, protocol: str) -> str:
    ip = f"{host_ip}:" if host_ip and host_ip not in ("0.0.0.0", "") else ""
    return f"{ip}{host_port}->{container_port}/{protocol}"


def epoch_or_none(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value, timezone.utc)
    return None


def image_info(raw: Mapping[str, Any]) -> ImageInfo:
    tags = tuple(t for t in (raw.get("RepoTags") or raw.get("Names") or ()) if t and t != "<none>:<none>")
    created = raw.get("Created")
    return ImageInfo(
        id=str(raw.get("Id", "")),
        tags=tags,
        size=int(raw.get("Size") or 0),
        created=epoch_or_none(created) if isinstance(created, (int, float)) else parse_time(created),
    )


def split_reference(image: str) -> tuple[str, str | None]:
    """``repo/name:tag`` → (``repo/name``, ``tag``); digests and registry ports are kept intact."""
    if "@" in image:
        return image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = image.rpartition(":")
        return repository, tag
    return image, "latest"


def disk_use_rows(raw: Mapping[str, Any]) -> list[DiskUse]:
    """``/system/df`` -> the three rows of ``podman system df``, summed as the CLI sums them.

    Podman 4 adds up each image's size (an image with two names counts twice; shared layers
    too) and counts unused images as reclaimable; Podman 5 sends the layers' real total
    (``ImagesSize``) and counts what used images hold uniquely as not reclaimable.
    """
    images, containers, volumes = raw.get("Images") or [], raw.get("Containers") or [], raw.get("Volumes") or []
    active_images = sum(1 for i in images if (i.get("Containers") or 0) > 0)
    if raw.get("ImagesSize") is not None:
        used = {i.get("ImageID"): int(i.get("UniqueSize") or 0) for i in images if (i.get("Containers") or 0) > 0}
        image_size = int(raw["ImagesSize"])
        image_reclaimable = image_size - sum(used.values())
    else:
        image_size = sum(int(i.get("Size") or 0) for i in images)
        image_reclaimable = sum(int(i.get("Size") or 0) for i in images if (i.get("Containers") or 0) < 1)
    stopped = [c for c in containers if c.get("Status") != "running"]
    return [
        DiskUse("Images", len(images), active_images, image_size, image_reclaimable),
        DiskUse(
            "Containers",
            len(containers),
            len(containers) - len(stopped),
            sum(int(c.get("RWSize") or 0) for c in containers),
            sum(int(c.get("RWSize") or 0) for c in stopped),
        ),
        DiskUse(
            "Local Volumes",
            len(volumes),
            sum(int(v.get("Links") or 0) for v in volumes),
            sum(int(v.get("Size") or 0) for v in volumes),
            sum(int(v.get("ReclaimableSize") or 0) for v in volumes),
        ),
    ]


def labels_for(spec: ContainerSpec, owner: str) -> dict[str, str]:
    """The labels that mark a container as labcontainer's (plus the spec's own)."""
    labels = dict(spec.labels)
    labels.update(
        {
            LABEL_MANAGED: "true",
            LABEL_PURPOSE: spec.purpose,
            LABEL_OWNER: owner,
        }
    )
    if spec.gpus:
        labels[LABEL_GPUS] = ",".join(spec.gpus)
    return labels


def create_kwargs(spec: ContainerSpec, owner: str) -> dict[str, Any]:
    """podman-py ``containers.create`` keywords for a spec, with labcontainer's labels."""
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "labels": labels_for(spec, owner),
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
    if spec.tty:
        kwargs["tty"] = True
    if spec.stdin_open:
        kwargs["stdin_open"] = True
    return kwargs


def engine_info(raw: Mapping[str, Any], url: str) -> EngineInfo:
    """``/info`` → version and mode (rootless or not) of the service."""
    host = raw.get("host", {})
    version = raw.get("version", {})
    return EngineInfo(
        url=url,
        version=str(version.get("Version", "?")),
        api_version=str(version.get("APIVersion", "?")),
        rootless=bool(host.get("security", {}).get("rootless", False)),
        cgroup_version=str(host.get("cgroupVersion", "?")),
    )


def container_stats(entry: Mapping[str, Any]) -> ContainerStats:
    """One entry of ``/containers/stats``."""
    return ContainerStats(
        name=entry.get("Name", ""),
        id=entry.get("ContainerID", ""),
        cpu_percent=float(entry.get("CPU", 0.0)),
        memory_used=int(entry.get("MemUsage", 0)),
        memory_limit=int(entry.get("MemLimit", 0)),
        pids=int(entry.get("PIDs", 0)),
    )
