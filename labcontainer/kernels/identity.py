"""Which server owns a kernel record, and is that server still alive?

A bare PID cannot answer that: a server started as PID 1 (in a container, under
``unshare --pid``) records ``1``, and every later server sees PID 1 alive forever; PIDs are
also reused. Instead each server process gets a random id and holds an exclusive
``flock`` on ``servers/<id>.lock`` in the kernel state directory for as long as it lives.
The kernel holds the lock, not the PID namespace, so the answer is right whatever PID
either server had: whoever can take the lock knows its owner is gone.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from pathlib import Path


class ServerIdentity:
    """This process's id, with the lock that proves it is alive."""

    def __init__(self, state_dir: Path) -> None:
        self.server_id = uuid.uuid4().hex
        self.state_dir = state_dir
        directory = servers_dir(state_dir)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Kept open for the life of the process: the kernel drops the lock when it dies.
        self._lock_file = open(directory / f"{self.server_id}.lock", "w")  # noqa: SIM115
        fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._lock_file.write(f"{os.getpid()}\n")
        self._lock_file.flush()

    def release(self) -> None:
        """Drop the lock and its file (a clean stop; tests)."""
        path = Path(self._lock_file.name)
        self._lock_file.close()
        path.unlink(missing_ok=True)


def servers_dir(state_dir: Path) -> Path:
    return state_dir / "servers"


def server_alive(state_dir: Path, server_id: str) -> bool:
    """True while the server that wrote ``server_id`` still holds its lock."""
    path = servers_dir(state_dir) / f"{server_id}.lock"
    try:
        handle = open(path)  # noqa: SIM115
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def known_servers(state_dir: Path) -> list[str]:
    """Ids of every server that left a lock file, alive or not."""
    return [path.stem for path in servers_dir(state_dir).glob("*.lock")]


def forget_server(state_dir: Path, server_id: str) -> None:
    """Remove the lock file of a server known to be dead (recovery.finished_servers)."""
    (servers_dir(state_dir) / f"{server_id}.lock").unlink(missing_ok=True)


_identities: dict[Path, ServerIdentity] = {}
_lock = threading.Lock()


def this_server(state_dir: Path) -> ServerIdentity:
    """The process's identity for ``state_dir``, made (and locked) on first use."""
    key = state_dir.resolve()
    with _lock:
        if key not in _identities:
            _identities[key] = ServerIdentity(key)
        return _identities[key]
