"""The ipywidgets container panel: ``labcontainer.panel()`` or ``%container panel``.

panel.py is the view (a VBox wired in ``__init__``) made of rows.py (a row per container),
actions.py (what its buttons do), runform.py (the Run form), logview.py (the Logs box) and
servers.py (the *Server* dropdown); layout.py keeps labels whole in a narrow notebook;
model.py holds the pure helpers (containers → rows, GPU bars, the bounded log buffer).
"""

from __future__ import annotations

from ..service import LabService, Services, default_service, open_service
from .panel import ContainerPanel


def panel(service: LabService | None = None, *, servers: Services[LabService] | None = None, server: str | None = None,
          **options) -> ContainerPanel:
    """A live panel of your containers with start/stop buttons, logs, GPUs and a Run form.

    Given no ``service``, it shows every server you added with ``podman system connection add``
    (a *Server* dropdown when there are several), ``server`` first (None: the default one, as
    the podman CLI chooses it).

    Raises:
        NotFoundError: ``server`` is not one of your connections (the known ones are named)."""
    if service is None and servers is None:
        servers = Services(open_service, default_service())
    return ContainerPanel(service, servers=servers, server=server, **options)


__all__ = ["ContainerPanel", "panel"]
