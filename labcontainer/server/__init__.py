"""The jupyter_server extension: REST API under /labcontainer/api/ and kernel crash recovery.

Enabled on install (jupyter-config/). The service connects lazily, so the server starts
even when Podman is down; ``/labcontainer/api/status`` then says why and how to fix it.
"""

from __future__ import annotations

import threading
from typing import Any

from jupyter_server.utils import url_path_join
from traitlets import Bool, Unicode
from traitlets.config import Configurable

from ..service import LabService, set_default_service
from .handlers import handler_routes


class LabContainer(Configurable):
    """Settings of the labcontainer server extension (``c.LabContainer.*``)."""

    podman_url = Unicode(None, allow_none=True, config=True, help="Podman service URL; default: discovered.")
    start_service = Bool(False, config=True, help="Start `podman system service` if none answers.")
    nvml_recording = Unicode(
        None, allow_none=True, config=True,
        help="Replay NVML readings from this JSON file instead of the driver (demos and tests without a GPU).",
    )
    recover_kernels = Bool(True, config=True, help="At start, remove kernel containers left by a crashed server.")


def build_service(settings: LabContainer) -> LabService:
    """The server's one service, from ``c.LabContainer``."""
    return LabService(url=settings.podman_url, start_service=settings.start_service, nvml_recording=settings.nvml_recording)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = LabContainer(parent=serverapp)
    service = build_service(settings)
    # The kernel provisioner finds the service through default_service(): installing this
    # one there makes container kernels and the REST API talk to the same Podman.
    set_default_service(service)
    web_app = serverapp.web_app
    web_app.settings["labcontainer"] = service
    base = url_path_join(web_app.settings["base_url"], "labcontainer", "api") + "/"
    web_app.add_handlers(".*$", handler_routes(base))
    if settings.recover_kernels:
        threading.Thread(target=_recover, args=(service, serverapp.log), name="labcontainer-recovery", daemon=True).start()
    serverapp.log.info("labcontainer: REST API at %s", base)


def _recover(service: LabService, log: Any) -> None:
    from ..core.errors import LabContainerError
    from ..kernels.recovery import reconcile_kernel_containers

    try:
        report = reconcile_kernel_containers(service, log=log)
    except LabContainerError as exc:
        log.warning("labcontainer: kernel recovery skipped: %s", exc)
        return
    if report.removed:
        log.info("labcontainer: removed %d orphaned kernel container(s): %s", len(report.removed), ", ".join(report.removed))


# jupyter_server < 2 name
load_jupyter_server_extension = _load_jupyter_server_extension
