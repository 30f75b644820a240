"""The jupyter_server extension: REST API under /labcontainer/api/, and container kernels
that outlive the server (adopted by the next one).

Enabled on install (jupyter-config/). One extension app, :class:`~.app.LabContainer`
(``c.LabContainer.*``), owns everything the server side keeps (app.py says what and how it
starts and stops). The service connects lazily, so the server starts even when Podman is
down; ``/labcontainer/api/status`` then says why and how to fix it.
"""

from __future__ import annotations

from .app import LabContainer

__all__ = ["LabContainer"]
