"""Another server's GPUs: nvidia-smi and /proc read over that server's SSH link.

The readings are :class:`~labcontainer.gpus.smi.SmiReader`'s, each command run by the link's
``run`` (one ``ssh`` over the master, no new login). Who holds a GPU is decided as here: the
owner and the cgroup of each process, read from that server's /proc in ONE command for all
PIDs at once (anyone may read both, for every user), then :func:`build_gpu_view`, so "free"
means the same on every server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from ..core.models import ContainerInfo, GpuView
from .inventory import build_gpu_view, container_id_from_cgroup
from .nvml import NvmlUnavailable, Readings
from .reservations import Reservation
from .smi import SmiReader

#: Runs argv on the server and returns its stdout (``SshLink.run``); raises on failure.
RemoteRunner = Callable[[list[str]], str]

#: First "self NAMESPACE" (the PID namespace of the server's shell: the host's), then for each
#: PID a line "PID OWNER NAMESPACE CGROUP-LINES..." (the cgroup file's lines joined by spaces;
#: "-" for what cannot be read). POSIX sh, stat, readlink and tr: nothing of ours runs there.
PROC_SCRIPT = (
    'echo "self $(readlink /proc/$$/ns/pid 2>/dev/null || echo -)"; '
    'for p in "$@"; do '
    'u=$(stat -c %U "/proc/$p" 2>/dev/null || echo -); '
    'n=$(readlink "/proc/$p/ns/pid" 2>/dev/null || echo -); '
    'c=$(tr "\\n" " " < "/proc/$p/cgroup" 2>/dev/null || echo -); '
    'echo "$p $u $n $c"; done'
)


@dataclass(frozen=True)
class ProcFacts:
    """What the server's /proc says of one process (None / "": could not be read)."""

    user: str | None
    namespace: str | None
    cgroup: str


class RemoteSmiReader(SmiReader):
    """nvidia-smi on server ``where``, run through ``run``; a failure is NvmlUnavailable naming the server."""

    def __init__(self, run: RemoteRunner, where: str) -> None:
        super().__init__(self._smi)
        self._remote = run
        self.where = where

    def _smi(self, argv: Sequence[str]) -> str:
        try:
            return self._remote(list(argv))
        except Exception as error:  # noqa: BLE001 - any failure there means no reading, said in words
            said = str(error)
            if "not found" in said or "exit status 127" in said:
                said = f"nvidia-smi is not installed on {self.where} (no NVIDIA driver there?)"
            raise NvmlUnavailable(f"{self.where}: {said}") from error

    def processes(self, pids: Iterable[int]) -> dict[int | str, ProcFacts]:
        """PID -> its facts, read on the server in one command (key "self": the host's namespace)."""
        pids = sorted(set(pids))
        if not pids:
            return {}
        try:
            text = self._remote(["sh", "-c", PROC_SCRIPT, "sh", *map(str, pids)])
        except Exception:  # noqa: BLE001 - attribution is best effort: the GPUs are still shown
            return {}
        return parse_proc_lines(text)


def parse_proc_lines(text: str) -> dict[int | str, ProcFacts]:
    found: dict[int | str, ProcFacts] = {}
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if parts[0] == "self" and len(parts) == 2:
            found["self"] = ProcFacts(None, None if parts[1] == "-" else parts[1], "")
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        cgroup = parts[3] if len(parts) > 3 and parts[3].strip() != "-" else ""
        found[int(parts[0])] = ProcFacts(None if parts[1] == "-" else parts[1], None if parts[2] == "-" else parts[2], cgroup)
    return found


def gpu_view_of(
    reader: object, readings: Readings, running: list[ContainerInfo], *,
    notebooks: Mapping[str, str] | None = None, shared: Iterable[Reservation] = (),
) -> GpuView:
    """The GPU view of ``readings``: processes attributed through the reader's server's /proc
    for a :class:`RemoteSmiReader`, through this machine's otherwise. As here: a process's
    cgroup names its container, else its PID namespace is a container's (not the host's)."""
    if not isinstance(reader, RemoteSmiReader):
        return build_gpu_view(readings, running, notebooks=notebooks, shared=shared)
    gpu_pids = [p.pid for g in readings.gpus for p in g.processes]
    facts = reader.processes([*gpu_pids, *(c.pid for c in running if c.pid)]) if gpu_pids else {}
    unknown = ProcFacts(None, None, "")
    host = facts.get("self", unknown).namespace
    by_namespace = {facts[c.pid].namespace: c.id for c in running if c.pid and c.pid in facts}
    by_namespace.pop(host, None)
    by_namespace.pop(None, None)

    def container_of(pid: int) -> str | None:
        fact = facts.get(pid, unknown)
        return container_id_from_cgroup(fact.cgroup) or (by_namespace.get(fact.namespace) if fact.namespace else None)

    return build_gpu_view(
        readings, running, container_of_pid=container_of, user_of=lambda pid: facts.get(pid, unknown).user, notebooks=notebooks,
        shared=shared,
    )
