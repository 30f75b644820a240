"""labcontainer: your lab's rootless Podman containers and GPU container kernels, from Jupyter.

``%load_ext labcontainer`` registers the ``%container`` and ``%gpus`` magics.
"""

from __future__ import annotations

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:  # pragma: no cover - thin hook
    from .magics import load_ipython_extension as load

    load(ipython)


def panel(*args, **kwargs):
    """The container panel (see :func:`labcontainer.widgets.panel`)."""
    from .widgets import panel as make_panel

    return make_panel(*args, **kwargs)


def _jupyter_server_extension_points() -> list[dict]:
    # One point: the server app owns everything the server side keeps, and its one stop ends it.
    from .server.app import LabContainer

    return [{"module": "labcontainer.server", "app": LabContainer}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "labcontainer"}]
