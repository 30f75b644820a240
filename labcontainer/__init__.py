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
    # The events websocket is a point of its own only for its stop hook (ends the follower);
    # so are the kept terminals (their shells end with the server) and the kernel pools.
    from .server.events import EventsExtension
    from .server.kernel_pool import PoolsExtension
    from .server.terminal_sessions import TerminalsExtension

    return [
        {"module": "labcontainer.server"},
        {"module": "labcontainer.server.events", "app": EventsExtension},
        {"module": "labcontainer.server.terminal_sessions", "app": TerminalsExtension},
        {"module": "labcontainer.server.kernel_pool", "app": PoolsExtension},
    ]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "labcontainer"}]
