"""Where a container kernel's connection folder lives, and how its sockets reach this machine.

On this machine the folder is one 0700 folder: the container mounts it at /conn, the kernel
binds its ipc sockets there and Jupyter's clients connect to them. On another server (an
``ssh://`` connection) there are two: the one the container mounts, made in that server's
runtime dir (0700, its user's only), and one here, where the server's SSH link listens in
the kernel's name for each socket (``ssh -O forward -L here/k-N:there/k-N``), so no TCP port
is opened on either machine. The link makes the forwards again after a reconnect.

Also what a kernel on another server mounts: its notebook's folder when the same path exists
there (a shared /home), else that user's home; and a persistent HOME per user there.
"""

from __future__ import annotations

import json
import posixpath
import shutil
from pathlib import Path
from typing import Any, Callable

from .core.connection import Connection
from .core.errors import LabContainerError
from .core.files import write_private_json
from .kernels import launch

#: The kernel's HOME on another server, under that user's home (as kernel_home() is here).
REMOTE_HOME = ".local/share/jupyter/labcontainer/home"
#: Made on the server: a private folder in its runtime dir, printed back.
_MAKE_FOLDER = 'umask 077; mkdir -p "$1" && mktemp -d "$1/lck-$2-XXXXXX"'


class KernelHost:
    """One connection's side of its kernels' sockets (``service.kernel_host``)."""

    def __init__(self, engine: Callable[[], Any], ssh: Connection | None) -> None:
        self._engine = engine
        self._ssh = ssh

    @property
    def remote(self) -> bool:
        return self._ssh is not None

    @property
    def server(self) -> str:
        """The server's name, for messages and the kernel's record (``local`` here)."""
        return self._ssh.name if self._ssh else "local"

    def _run(self, script: str, *args: str, input: str | None = None) -> str:
        link = self._engine().link  # (the engine of an ssh:// connection: remote.LinkedEngine)
        return link.run(["sh", "-c", script, "sh", *args], input=input).strip()

    # -- the folder -----------------------------------------------------------------------

    def prepare(self, kernel_id: str, local: Path | None, remote: str | None) -> tuple[Path, str | None]:
        """The kernel's folder here and (on another server) there: new ones, or on a restart
        the same ones emptied of their sockets (clients keep the socket paths)."""
        if self._ssh is not None and local is not None:
            self._cancel_forwards(local)  # ssh would keep listening on the paths emptied below
        local = launch.prepare_connection_dir(local, kernel_id)
        if self._ssh is None:
            return local, None
        if remote:
            self._run('rm -f "$1"/k-*', remote)
            return local, remote
        return local, self._run(_MAKE_FOLDER, self._runtime_dir(), kernel_id[:8])

    def _runtime_dir(self) -> str:
        # The Podman socket's runtime dir (/run/user/UID/podman/podman.sock): short, private,
        # and gone at that user's last logout, as the sockets should be.
        socket = self._ssh.remote_socket if self._ssh else ""
        parts = socket.split("/")
        if socket.startswith("/run/user/") and len(parts) > 3:
            return "/".join(parts[:4])
        return "/tmp"

    def write_connection_file(self, local: Path, remote: str | None, info: dict, transport: str) -> None:
        """The connection file as the container sees it, in the folder it mounts (there, the
        key goes over the link's stdin: never on a command line, never in the folder here)."""
        seen = launch.container_connection_info(info, transport)
        if remote is None:
            write_private_json(local / "kernel.json", seen)
        else:
            self._run('umask 077; cat > "$1/kernel.json"', remote, input=json.dumps(seen))

    def listening(self, local: Path, remote: str | None, socket: str) -> bool:
        """Whether the kernel opened ``socket`` (e.g. k-50123) yet."""
        if remote is None:
            return (local / socket).exists()
        try:
            return self._run('test -S "$1/$2" && echo yes || echo no', remote, socket) == "yes"
        except LabContainerError:
            return False  # the link is down for a moment: not yet

    def forward(self, local: Path, remote: str | None, sockets: list[str]) -> None:
        """Make each of the kernel's sockets there reachable here (nothing to do locally)."""
        if remote is None:
            return
        self._engine().link.forward({str(local / name): posixpath.join(remote, name) for name in sockets})

    def discard(self, local: Path | None, remote: str | None) -> None:
        """Both folders and the forwards, gone (the key with them). A server out of reach
        keeps its folder (a 0700 folder in a runtime dir that goes at logout)."""
        if remote is not None and local is not None:
            self._cancel_forwards(local)
            try:
                self._run('rm -rf -- "$1"', remote)
            except LabContainerError:
                pass
        if local is not None:
            shutil.rmtree(local, ignore_errors=True)

    def _cancel_forwards(self, local: Path) -> None:
        self._engine().link.cancel_forwards(str(local))

    # -- what the container mounts ------------------------------------------------------------

    def work_folder(self, wanted: str) -> tuple[str, bool]:
        """The folder a kernel starts in there: ``wanted`` when it exists on the server too
        (a shared /home), else that user's home; and whether it is ``wanted``."""
        if self._ssh is None:
            return wanted, True
        answer = self._run('if [ -d "$1" ]; then echo "same"; else echo "$HOME"; fi', wanted)
        return (wanted, True) if answer == "same" else (answer, False)

    def home(self) -> str:
        """The kernel's persistent HOME on the server (made 0700 if new)."""
        return self._run(f'umask 077; mkdir -p "$HOME/{REMOTE_HOME}" && echo "$HOME/{REMOTE_HOME}"')
