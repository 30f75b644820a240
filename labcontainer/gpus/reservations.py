"""The lab-wide reservations folder: which GPUs other members' labcontainer containers hold.

One member cannot see another's containers (each has their own rootless Podman), so "free"
would ignore a GPU a colleague's container reserved but does not use yet. When the lab's
admin makes a shared folder (``c.LabContainer.shared_reservations_dir``, or the
``LABCONTAINER_SHARED_RESERVATIONS`` environment variable that the server app sets for its
kernels too), each member's labcontainer keeps one small JSON file there:

- ``<folder>/<user name>.json``, mode 0644, written only by that member: the folder is
  made ``1777`` (sticky, like /tmp) by the admin, so nobody else can write, replace or
  delete it. A reader ignores a file not owned by the user it is named for.
- each write and read holds ``flock`` on the file (exclusive to write, shared to read), the
  way genv keeps its lab-wide GPU bookkeeping, so a reader never sees half a file.
- an entry is one running labcontainer container that asked for GPUs: its id, name, GPUs
  (its ``org.labcontainer.gpus`` label), host PID and that PID's start time (field 22 of
  ``/proc/PID/stat``, readable by anyone). An entry whose PID is gone, or now belongs to a
  process started at another time, is stale: the container is gone. Readers ignore stale
  entries; the writer drops them on its next write.

Written when labcontainer runs a container with GPUs and each time the GPU view is built.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from ..core.models import ContainerInfo

ENV_VAR = "LABCONTAINER_SHARED_RESERVATIONS"


@dataclass(frozen=True)
class Reservation:
    """One running labcontainer container of a member, and the GPUs it asked for."""

    user: str
    id: str
    name: str
    gpus: tuple[str, ...]
    pid: int
    started: int  # the PID's start time, in clock ticks after boot

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "gpus": list(self.gpus), "pid": self.pid, "started": self.started}


def process_start_time(pid: int, proc_root: str | Path = "/proc") -> int | None:
    """When process ``pid`` started (clock ticks after boot), or None when there is none."""
    try:
        text = (Path(proc_root) / str(pid) / "stat").read_text()
    except OSError:
        return None
    try:  # the command name (field 2) may hold spaces and parentheses: count after the last ')'
        return int(text.rsplit(")", 1)[1].split()[19])
    except (IndexError, ValueError):
        return None


def alive(entry: Reservation, proc_root: str | Path = "/proc") -> bool:
    """The container's process still runs: the same PID, started at the same time."""
    return process_start_time(entry.pid, proc_root) == entry.started


def this_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _locked_read(handle) -> list[dict[str, Any]]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
    except ValueError:
        return []
    entries = data.get("containers", []) if isinstance(data, dict) else []
    return [e for e in entries if isinstance(e, dict)]


def _entry(user: str, raw: dict[str, Any]) -> Reservation | None:
    try:
        return Reservation(user, str(raw["id"]), str(raw["name"]), tuple(str(g) for g in raw["gpus"]), int(raw["pid"]), int(raw["started"]))
    except (KeyError, TypeError, ValueError):
        return None


class SharedReservations:
    """One member's side of the folder: ``publish`` this member's entries, read ``others``'.

    ``folder``: None reads ``LABCONTAINER_SHARED_RESERVATIONS`` each time (unset or empty:
    not shared, and every method does nothing); ``local=False`` (another server's Podman)
    never shares: the folder is on this machine."""

    def __init__(self, folder: str | Path | None = None, *, local: bool = True, user: Callable[[], str] = this_user,
                 proc_root: str | Path = "/proc") -> None:
        self._folder = folder
        self._local = local
        self._user = user
        self._proc = proc_root

    @property
    def folder(self) -> Path | None:
        """The shared folder, or None when the admin has not enabled one."""
        if not self._local:
            return None
        folder = self._folder if self._folder is not None else os.environ.get(ENV_VAR, "")
        return Path(folder) if str(folder) else None

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def entries_of(self, running: Iterable[ContainerInfo]) -> list[Reservation]:
        """This member's running labcontainer containers that asked for GPUs."""
        user = self._user()
        found = []
        for c in running:
            started = process_start_time(c.pid, self._proc) if c.pid else None
            if c.running and c.managed and c.gpu_ids and started is not None:
                found.append(Reservation(user, c.id, c.name, c.gpu_ids, int(c.pid or 0), started))
        return found

    def after_run(self, info: ContainerInfo, gpus: Iterable[str], running: Callable[[], list[ContainerInfo]]) -> ContainerInfo:
        """After a run with GPUs: publish at once, so other members see them reserved."""
        if gpus and self.enabled:
            self.publish(running())
        return info

    def publish(self, running: Iterable[ContainerInfo]) -> None:
        """Write this member's file: the containers of ``running`` that reserved GPUs, plus
        entries still alive that this service does not list (another Podman of the same
        member); stale ones are dropped. A folder that cannot be written is skipped: the
        GPU view must not fail for it."""
        folder = self.folder
        if folder is None:
            return
        running = list(running)
        mine = self.entries_of(running)
        listed = {c.id for c in running}
        path = folder / f"{self._user()}.json"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError:
            return
        with os.fdopen(fd, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_uid != os.geteuid():
                    return  # not ours (a file planted before we made it): never write into it
                os.fchmod(fd, 0o644)
                kept = [e for e in (_entry(self._user(), raw) for raw in _locked_read(handle))
                        if e is not None and e.id not in listed and alive(e, self._proc)]
                handle.seek(0)
                handle.truncate()
                json.dump({"user": self._user(), "containers": [e.to_json() for e in kept + mine]}, handle, indent=1)
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def others(self) -> list[Reservation]:
        """Other members' live reservations. A file not owned by the user it is named for,
        one that cannot be read, and stale entries are ignored."""
        folder = self.folder
        if folder is None:
            return []
        me = self._user()
        found: list[Reservation] = []
        try:
            paths = sorted(folder.glob("*.json"))
        except OSError:
            return []
        for path in paths:
            user = path.stem
            if user == me:
                continue
            try:
                with open(path, "r", opener=lambda p, flags: os.open(p, flags | os.O_NOFOLLOW)) as handle:
                    if os.fstat(handle.fileno()).st_uid != pwd.getpwnam(user).pw_uid:
                        continue
                    fcntl.flock(handle, fcntl.LOCK_SH)
                    raw_entries = _locked_read(handle)
            except (OSError, KeyError):
                continue
            found += [e for e in (_entry(user, raw) for raw in raw_entries) if e is not None and alive(e, self._proc)]
        return found
