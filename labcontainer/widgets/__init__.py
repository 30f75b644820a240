"""The ipywidgets container panel: ``labcontainer.panel()`` or ``%container panel``.

panel.py is the view (a VBox wired in ``__init__``) made of runform.py (the Run form) and
logview.py (the Logs box); layout.py keeps labels whole in a narrow notebook; model.py holds
the pure helpers (containers → rows, GPU bars, the bounded log buffer).
"""

from __future__ import annotations

from ..service import LabService, default_service
from .panel import ContainerPanel


def panel(service: LabService | None = None, **options) -> ContainerPanel:
    """A live panel of your containers with start/stop buttons, logs, GPUs and a Run form."""
    return ContainerPanel(service or default_service(), **options)


__all__ = ["ContainerPanel", "panel"]
