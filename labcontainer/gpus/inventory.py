"""The GPU view: NVML readings + containers → who uses which GPU, and which are free.

``build_gpu_view`` is the one place "free" is decided (no process, no reservation by a
running labcontainer container, readable); %gpus, both panels and the REST API show it.

A GPU process is attributed to a container through its cgroup (``/proc/PID/cgroup``
names ``libpod-<container id>``) or, where containers get no cgroup of their own
(rootless Podman on a cgroup v1 host), through its PID namespace: the same
``/proc/PID/ns/pid`` as the container's first process. Another member's container is
not in our engine's list and its namespace cannot be read (``ns/`` needs ptrace rights),
so its processes are attributed through their ancestry instead: every container process
descends from a ``conmon`` whose command line (readable by anyone) names the container
(``-c <id>``, ``-n <name>``). The user is the owner of ``/proc/PID``. Only /proc is read
here; the container list comes from the engine, other members' reservations from the
shared folder (``reservations.py``).
"""

from __future__ import annotations

import os
import pwd
import re
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Mapping

from ..core.models import LABEL_POOL, ContainerInfo, GpuInfo, GpuProcess, GpuView
from .nvml import Readings
from .reservations import Reservation

_CONTAINER_ID_RE = re.compile(r"libpod-(?!conmon-)([0-9a-f]{64})")


def container_id_from_cgroup(text: str) -> str | None:
    """The Podman container id in a ``/proc/PID/cgroup`` text, if the process is in one."""
    match = _CONTAINER_ID_RE.search(text)
    return match.group(1) if match else None


def container_id_of_pid(pid: int, proc_root: str | Path = "/proc") -> str | None:
    try:
        return container_id_from_cgroup((Path(proc_root) / str(pid) / "cgroup").read_text())
    except OSError:
        return None


def pid_namespace_of(pid: int, proc_root: str | Path = "/proc") -> str | None:
    """The PID namespace of a process (``pid:[4026532253]``), or None if it cannot be read."""
    try:
        return os.readlink(Path(proc_root) / str(pid) / "ns" / "pid")
    except OSError:
        return None


def container_resolver(
    containers: Iterable[ContainerInfo], proc_root: str | Path = "/proc"
) -> Callable[[int], str | None]:
    """A pid → container id function: by cgroup first, else by PID namespace."""
    by_namespace: dict[str, str] = {}
    host_namespace = pid_namespace_of(1, proc_root) if os.getuid() == 0 else pid_namespace_of(os.getpid(), proc_root)
    for container in containers:
        if container.pid:
            namespace = pid_namespace_of(container.pid, proc_root)
            # A container sharing the host's PID namespace (--pid host) says nothing.
            if namespace and namespace != host_namespace:
                by_namespace[namespace] = container.id

    def resolve(pid: int) -> str | None:
        found = container_id_of_pid(pid, proc_root)
        if found:
            return found
        namespace = pid_namespace_of(pid, proc_root)
        return by_namespace.get(namespace) if namespace else None

    return resolve


def conmon_container_of_pid(pid: int, proc_root: str | Path = "/proc", depth: int = 32) -> tuple[str, str | None] | None:
    """(container id, name) of the conmon ``pid`` descends from, or None: no privileges
    needed (``stat``, ``comm`` and ``cmdline`` of any process are readable by anyone)."""
    root = Path(proc_root)
    while pid > 1 and depth > 0:
        try:
            if (root / str(pid) / "comm").read_text().strip() == "conmon":
                args = (root / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
                found = {flag: args[i + 1] for i, flag in enumerate(args[:-1]) if flag in ("-c", "--cid", "-n", "--name")}
                cid = found.get("-c") or found.get("--cid")
                return (cid, found.get("-n") or found.get("--name")) if cid else None
            pid = int((root / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None
        depth -= 1
    return None


def user_of_pid(pid: int, proc_root: str | Path = "/proc") -> str | None:
    try:
        uid = (Path(proc_root) / str(pid)).stat().st_uid
    except OSError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def build_gpu_view(
    readings: Readings,
    containers: Iterable[ContainerInfo] = (),
    *,
    container_of_pid: Callable[[int], str | None] | None = None,
    user_of: Callable[[int], str | None] = user_of_pid,
    notebooks: Mapping[str, str] | None = None,
    shared: Iterable[Reservation] = (),
    foreign_container_of: Callable[[int], tuple[str, str | None] | None] | None = None,
) -> GpuView:
    """Join NVML readings with the containers Podman knows (pass the running ones) and
    ``shared``: other members' live reservations (the shared folder), which are not free.

    ``notebooks``: container id -> the notebook a kernel's container serves (the service
    reads it: Jupyter's sessions, the container's label), so holders read "kernel of
    train.ipynb", not ``lc-kernel-<uuid>``."""
    containers = list(containers)
    by_id = {c.id: c for c in containers}
    reserved = containers_by_gpu(containers)
    for entry in shared:
        for gpu in entry.gpus:
            reserved.setdefault(gpu, []).append(f"{entry.name} of {entry.user}")
    # reserved_by keeps the names (what others look containers up by); holders says them as shown.
    shown = {holder_name(c): holder_name(c, notebooks) for c in containers}
    if container_of_pid is None:
        container_of_pid = container_resolver(containers)
        foreign_container_of = foreign_container_of or conmon_container_of_pid
    gpus = []
    for reading in readings.gpus:
        processes = []
        for proc in reading.processes:
            container_id = container_of_pid(proc.pid)
            container = by_id.get(container_id) if container_id else None
            name = container.name if container else None
            if container is None and foreign_container_of is not None:  # another member's, or unlisted
                found = foreign_container_of(proc.pid)
                if found and (container_id is None or found[0] == container_id):
                    container_id, name = found
            processes.append(
                GpuProcess(
                    pid=proc.pid,
                    used_memory=proc.used_memory,
                    user=user_of(proc.pid),
                    container_id=container_id,
                    container_name=name,
                    holder=holder_name(container, notebooks) if container else None,
                )
            )
        reserved_by = tuple(sorted({*reserved.get(str(reading.index), ()), *reserved.get(reading.uuid, ()), *reserved.get("all", ())}))
        gpus.append(
            GpuInfo(
                reserved_by=reserved_by,
                holders=tuple(shown.get(name, name) for name in reserved_by),
                index=reading.index,
                uuid=reading.uuid,
                name=reading.name,
                memory_used=reading.memory_used,
                memory_total=reading.memory_total,
                utilization=reading.utilization,
                temperature=reading.temperature,
                power_draw=reading.power_draw,
                power_limit=reading.power_limit,
                processes=tuple(processes),
                error=reading.error,
            )
        )
    return GpuView(gpus=tuple(gpus), driver_version=readings.driver_version)


def containers_by_gpu(containers: Iterable[ContainerInfo]) -> dict[str, list[str]]:
    """GPU id ("0", "all", a UUID) → names of running containers that asked for it (label-based)."""
    result: dict[str, list[str]] = {}
    for container in containers:
        if container.running:
            for gpu in container.gpu_ids:
                result.setdefault(gpu, []).append(holder_name(container))
    return result


def holder_name(container: ContainerInfo, notebooks: Mapping[str, str] | None = None) -> str:
    """How a GPU's holder is named: a kernel's container as the kernel of its notebook
    ("kernel of train.ipynb", ``notebooks``: container id -> notebook path); a kernel waiting
    in a pool is nobody's container yet (no listing shows its lc-pool-<id> name), so it is
    named for its kernelspec. It still holds the GPU: the next notebook on that kernelspec
    gets it, so ``count=N`` must not pick it."""
    if container.waiting_in_pool:
        return f"kernel kept ready ({container.labels[LABEL_POOL]})"
    notebook = (notebooks or {}).get(container.id)
    return f"kernel of {PurePosixPath(notebook).name}" if notebook else container.name


def default_reader():
    """The production NVML reader; ``LABCONTAINER_NVML_RECORDING`` (a JSON file) replays
    recorded readings instead, for demos and tests on machines without a GPU."""
    from .nvml import PynvmlReader, RecordedReader

    recording = os.environ.get("LABCONTAINER_NVML_RECORDING")
    return RecordedReader(recording) if recording else PynvmlReader()
