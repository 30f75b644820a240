"""Which Podman a service talks to: a name and how to reach it.

"Which server" is choosing a :class:`~labcontainer.service.LabService` from a mapping
``{connection name: service}`` (the server app holds it), never a parameter threaded through
every verb. Today the mapping has one entry, the local Podman; the user's own
``podman system connection`` entries (over SSH) become further entries.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    def __str__(self) -> str:
        return self.name if self.url is None else f"{self.name} ({self.url})"
