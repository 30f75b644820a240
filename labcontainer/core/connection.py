"""Which Podman a service talks to: a name and how to reach it.

"Which server" is choosing a :class:`~labcontainer.service.LabService` from a mapping
``{connection name: service}`` (the server app holds it), never a parameter threaded through
every verb. Today the mapping has one entry, the local Podman; the user's own
``podman system connection`` entries (over SSH) become further entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

#: The name of the Podman beside this process (an explicit URL, ``CONTAINER_HOST``, the
#: rootless socket or the rootful one: engine/connection.py decides which answers).
LOCAL = "local"


@dataclass(frozen=True)
class Connection:
    """One Podman service: its name as the user knows it, and its URL (None: discovered)."""

    name: str = LOCAL
    url: str | None = None
    #: Start ``podman system service`` for this user when none answers (local only).
    start_service: bool = False
    #: The SSH key ``podman system connection add --identity`` recorded (None: ssh's own
    #: choice from the user's ~/.ssh/config and agent).
    identity: str | None = None

    def __str__(self) -> str:
        return self.name if self.url is None else f"{self.name} ({self.url})"

    # -- the parts of an ``ssh://USER@HOST[:PORT]/path/to/podman.sock`` URL ----------------

    @property
    def is_ssh(self) -> bool:
        """True for a server reached over SSH (``ssh://``), i.e. another machine's Podman."""
        return self.url is not None and self.url.startswith("ssh://")

    @property
    def ssh_user(self) -> str | None:
        return unquote(urlsplit(self.url or "").username or "") or None

    @property
    def ssh_host(self) -> str:
        return urlsplit(self.url or "").hostname or ""

    @property
    def ssh_port(self) -> int | None:
        return urlsplit(self.url or "").port

    @property
    def remote_socket(self) -> str:
        """The Podman socket's path on the server (an ssh:// URL's path)."""
        return unquote(urlsplit(self.url or "").path)

    @property
    def ssh_destination(self) -> str:
        """``USER@HOST`` as ssh takes it (the port goes in ``-p``)."""
        return f"{self.ssh_user}@{self.ssh_host}" if self.ssh_user else self.ssh_host

    @property
    def trust_command(self) -> str:
        """What a user runs once to see and accept the server's host key."""
        port = f"-p {self.ssh_port} " if self.ssh_port else ""
        return f"ssh {port}{self.ssh_destination}"
