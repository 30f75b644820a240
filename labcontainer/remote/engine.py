"""A PodmanEngine on a server's forwarded socket, its SSH link checked before every verb.

The engine itself is unchanged (it only knows a unix socket); what differs for another server:
- the link must be alive when a verb starts, and is re-made when it died (``SshLink.ensure``
  costs no process while the master lives). A pooled HTTP connection to the old master's socket
  is noticed as dropped by urllib3 before reuse, so the verb goes over the new one;
- a container's log file lies on that server, never read here (``local_files=False``).
"""

from __future__ import annotations

from typing import Any

from ..core.connection import Connection
from ..core.errors import ServiceUnavailable
from ..engine import PodmanEngine
from .ssh import SshLink


class LinkedEngine:
    """Stands for the ``PodmanEngine`` of one ``ssh://`` connection: every attribute (verbs,
    ``images``, ``registries``, ``terminals``, ``url``) is the engine's, reached after the
    link is made sure of. Nothing connects before the first verb."""

    def __init__(self, connection: Connection, *, owner: str | None = None) -> None:
        self.connection = connection
        self.link = SshLink(connection)
        self._owner = owner
        self._engine: PodmanEngine | None = None

    def _current(self) -> PodmanEngine:
        self.link.ensure()
        if self._engine is None:
            self._engine = PodmanEngine(self.link.url, owner=self._owner, local_files=False)
        return self._engine

    def __getattr__(self, name: str) -> Any:
        # Only for names not defined here: the engine's verbs and parts.
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._current(), name)
        if not callable(value) or isinstance(value, type):
            return value

        def verb(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except ServiceUnavailable:
                # The master died while this verb was on its way (a kill just before, a
                # network cut): once the link is re-made, the verb goes again, once. A link
                # that still works means the server's Podman itself failed: no second try.
                if not self.link.revive():
                    raise
                return getattr(self._current(), name)(*args, **kwargs)

        return verb

    def close(self) -> None:
        """Close the engine's HTTP connections, then the link: no ssh process, no socket left."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self.link.close()
