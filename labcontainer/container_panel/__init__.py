"""The ipywidgets container panel: ``labcontainer.panel()`` or ``%container panel``."""

from __future__ import annotations

from ..service import LabService, default_service
from .widget import ContainerPanel


def panel(service: LabService | None = None, **options) -> ContainerPanel:
    """A live panel of your containers with start/stop buttons, logs, GPUs and a Run form."""
    return ContainerPanel(service or default_service(), **options)


__all__ = ["ContainerPanel", "panel"]
