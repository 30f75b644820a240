"""Persisted kernel records: what a later server needs to adopt (or clean up) a kernel.

Jupyter Server never calls ``load_provisioner_info`` on start and ipykernel cannot see its
parent die across the container boundary, so container kernels outlive a server that
crashed. Each container kernel therefore writes a record (0600: it holds the connection
key) in a state directory, naming the server that owns it (see identity.py); the next
server reads them at start-up and adopts the kernels whose owner is gone.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from ..core.files import write_private_json
from ..core.models import LABEL_NOTEBOOK, ContainerInfo, kernel_of
from . import identity


def default_state_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(os.environ.get("LABCONTAINER_KERNEL_STATE_DIR") or Path(jupyter_runtime_dir()) / "labcontainer-kernels")


@dataclass
class KernelRecord:
    kernel_id: str
    container_name: str
    container_id: str
    connection_dir: str
    connection_info: dict[str, Any] = field(default_factory=dict)  # includes the key
    server_pid: int = 0  # informative only: PIDs say nothing across PID namespaces
    kernel_name: str = ""
    server_id: str = ""  # the owning server (identity.py); "" in records of older versions
    launch_args: dict[str, Any] = field(default_factory=dict)  # what a restart needs again: cwd, env
    #: When the kernel was last busy or talked to (ISO 8601, UTC; "" unknown): the culler's
    #: idle clock, which an adoption carries on instead of starting it again.
    last_activity: str = ""
    #: The kernel was shut down but Podman could not be reached to remove its container:
    #: whichever server sees this next removes it (the key is already gone from the record).
    remove_pending: bool = False
    #: The server it runs on (a podman connection's name) and, there, its connection folder.
    connection: str = "local"
    remote_dir: str = ""


def timestamp(when: datetime | None) -> str:
    """A record's time (``last_activity``): ISO 8601, "" for none."""
    return when.isoformat() if isinstance(when, datetime) else ""


def parse_timestamp(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def save_activity(kernel_id: str, when: datetime, state_dir: Path | None = None) -> None:
    """Rewrite a kernel's ``last_activity`` (its record otherwise as it is; none: nothing)."""
    record = load_record(kernel_id, state_dir)
    if record is not None and not record.remove_pending and record.last_activity != timestamp(when):
        save_record(replace(record, last_activity=timestamp(when)), state_dir)


def save_record(record: KernelRecord, state_dir: Path | None = None) -> Path:
    directory = state_dir or default_state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{record.kernel_id}.json"
    data = asdict(record)
    data["connection_info"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in record.connection_info.items()}
    return write_private_json(path, data)


def load_records(state_dir: Path | None = None) -> list[KernelRecord]:
    directory = state_dir or default_state_dir()
    paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    return [record for record in map(_read, paths) if record is not None]


def load_record(kernel_id: str, state_dir: Path | None = None) -> KernelRecord | None:
    return _read((state_dir or default_state_dir()) / f"{kernel_id}.json")


def _read(path: Path) -> KernelRecord | None:
    try:
        data = json.loads(path.read_text())
        return KernelRecord(**{k: v for k, v in data.items() if k in _FIELDS})
    except (OSError, ValueError, TypeError):
        return None  # missing, or half-written: says nothing reliable


_FIELDS = {f.name for f in fields(KernelRecord)}


def notebook_of(container: ContainerInfo, sessions: Mapping[str, str] | None = None, state_dir: Path | None = None) -> str | None:
    """The notebook a kernel container serves (None for any other container).

    ``sessions`` (kernel id -> notebook path, from Jupyter's session manager) knows best, a
    renamed notebook included; then the label set when the container was made; then the
    kernel's record: a kernel that took a container started in advance (pool.py) has no
    notebook label (labels are fixed at create)."""
    kernel_id = kernel_of(container)
    if not kernel_id:
        return None
    known = (sessions or {}).get(kernel_id) or container.labels.get(LABEL_NOTEBOOK)
    if known:
        return known
    record = load_record(kernel_id, state_dir)
    env = (record.launch_args.get("env") if record else None) or {}
    return env.get("JPY_SESSION_NAME") or None


def mark_for_removal(kernel_id: str, container_name: str, state_dir: Path | None = None) -> None:
    """Keep only what it takes to remove the container later; drop the connection key."""
    old = load_record(kernel_id, state_dir)
    save_record(
        KernelRecord(
            kernel_id=kernel_id,
            container_name=container_name,
            container_id=old.container_id if old else "",
            connection_dir="",
            server_id=old.server_id if old else "",
            remove_pending=True,
            # Which server to remove it on (and its folder there), for a kernel on another one.
            connection=old.connection if old else "local",
            remote_dir=old.remote_dir if old else "",
        ),
        state_dir,
    )


def delete_record(kernel_id: str, state_dir: Path | None = None) -> None:
    (state_dir or default_state_dir()).joinpath(f"{kernel_id}.json").unlink(missing_ok=True)


def owner_alive(record: KernelRecord, state_dir: Path | None = None) -> bool:
    """Is the server that started this kernel still running?"""
    if record.server_id:
        return identity.server_alive(state_dir or default_state_dir(), record.server_id)
    # A record from before server ids: its PID is all there is. PID 1 is never taken as
    # proof of life (it is whatever init this namespace has, not that server).
    return record.server_pid > 1 and _process_alive(record.server_pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
