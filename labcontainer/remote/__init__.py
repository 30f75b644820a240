"""Other servers' Podman, over SSH (private: front-ends never import it; they get a
``LabService`` from ``service.open_service``).

``ssh.py``: ``SshLink``, one OpenSSH master per connection, the Podman socket forwarded to a
private local socket, commands over the same master. ``engine.py``: ``LinkedEngine``, a
``PodmanEngine`` on that socket, the link checked (and re-made) before every verb.
"""

from .engine import LinkedEngine
from .ssh import SshLink

__all__ = ["LinkedEngine", "SshLink"]
