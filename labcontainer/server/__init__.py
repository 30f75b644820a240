"""The jupyter_server extension: REST API under /labcontainer/api/, and container kernels
that outlive the server (adopted by the next one).

Enabled on install (jupyter-config/). The service connects lazily, so the server starts
even when Podman is down; ``/labcontainer/api/status`` then says why and how to fix it.
"""

from __future__ import annotations

import threading
from typing import Any

from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, List, Unicode
from traitlets.config import Config, Configurable

from ..core.errors import LabContainerError
from ..kernels import records, recovery
from ..kernels.identity import this_server
from ..service import LabService, set_default_service
from . import sessions
from .adoption import adopt_orphans
from .handlers import handler_routes
from .kernel_manager import ContainerAwareKernelManager
from .kernel_pool import SETTINGS_KEY as POOLS_KEY
from .kernel_pool import KernelPools
from .terminal_sessions import TerminalSessions

#: Seconds between two attempts to remove containers of kernels shut down during a Podman outage.
PENDING_RETRY_INTERVAL = 5.0


class LabContainer(Configurable):
    """Settings of the labcontainer server extension (``c.LabContainer.*``)."""

    podman_url = Unicode(None, allow_none=True, config=True, help="Podman service URL; default: discovered.")
    start_service = Bool(False, config=True, help="Start `podman system service` if none answers.")
    nvml_recording = Unicode(
        None, allow_none=True, config=True,
        help="Replay NVML readings from this JSON file instead of the driver (demos and tests without a GPU).",
    )
    recover_kernels = Bool(
        True, config=True,
        help="At start, look for container kernels a previous server left: adopt the running ones "
        "(see adopt_kernels), remove the stopped ones.",
    )
    adopt_kernels = Bool(
        True, config=True,
        help="Adopt running container kernels a server that stopped left behind (same kernel id, "
        "notebook sessions, variables). False: remove them instead.",
    )
    keep_kernels = Bool(
        False, config=True,
        help="On a clean stop, leave container kernels running for the next server to adopt "
        "(default: shut them down, as Jupyter does with every kernel).",
    )
    forbidden_mounts = List(
        Unicode(), default_value=None, allow_none=True, config=True,
        help="Host paths no container may mount (a path, anything under it, and any folder holding it; '/' "
        "itself only). None (default): '/' and the Podman socket, plus /etc, /root and /var/lib/containers on a "
        "rootful service. Refused for REST, the forms, the magics and kernelspecs alike.",
    )
    terminal_keep_alive = Float(
        60.0, config=True,
        help="Seconds a container terminal whose page went away (a reload, a lost connection) keeps its "
        "shell for the page to reconnect; then the shell is ended. Closing the tab ends it at once.",
    )


def build_service(settings: LabContainer) -> LabService:
    """The server's one service, from ``c.LabContainer``."""
    return LabService(url=settings.podman_url, start_service=settings.start_service, nvml_recording=settings.nvml_recording,
                      forbidden_mounts=settings.forbidden_mounts)


def _link_jupyter_server_extension(serverapp: Any) -> None:
    """Before the server makes its kernel and session managers: give it ours, and a session
    database on disk (per server) so notebooks find their adopted kernels again."""
    overrides: dict[str, Any] = {}
    # (Reading serverapp.kernel_manager_class here would compute its default too early.)
    chosen = serverapp.config.get("ServerApp", {}).get("kernel_manager_class")
    if chosen is None and not serverapp.config.get("GatewayClient", {}).get("url"):
        overrides["ServerApp"] = {"kernel_manager_class": ContainerAwareKernelManager}
    else:
        serverapp.log.warning(
            "labcontainer: another kernel manager is configured (%s), so restarts do not check the image "
            "first, and keep_kernels and kernelspec pools have no effect", chosen or "a gateway",
        )
    if "database_filepath" not in serverapp.config.get("SessionManager", {}):
        state_dir = records.default_state_dir()
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = sessions.database_path(state_dir, this_server(state_dir).server_id)
        overrides["SessionManager"] = {"database_filepath": str(path)}
    serverapp.update_config(Config(overrides))


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = LabContainer(parent=serverapp)
    service = build_service(settings)
    # The kernel provisioner finds the service through default_service(): installing this
    # one there makes container kernels and the REST API talk to the same Podman.
    set_default_service(service)
    web_app = serverapp.web_app
    web_app.settings["labcontainer"] = service
    web_app.settings["labcontainer_kept_terminals"] = TerminalSessions(settings.terminal_keep_alive, serverapp.log)
    base = url_path_join(web_app.settings["base_url"], "labcontainer", "api") + "/"
    web_app.add_handlers(".*$", handler_routes(base))
    _remove_orphaned_pool_members(service, serverapp.log)
    if settings.recover_kernels:
        # Now, before the HTTP socket is bound: no client may ask for a session whose
        # kernel is not registered yet (SessionManager would delete the row).
        _recover(serverapp, service, adopt=settings.adopt_kernels)
    kernel_manager = serverapp.kernel_manager
    if isinstance(kernel_manager, ContainerAwareKernelManager):
        kernel_manager.keep_container_kernels = settings.keep_kernels
        pools = KernelPools(service, serverapp.kernel_spec_manager, kernel_manager.root_dir, log=serverapp.log)
        kernel_manager.kernel_pools = pools
        web_app.settings[POOLS_KEY] = pools
        pools.refresh_in_background()  # kernelspecs with `pool: N` get their waiting kernels
        threading.Thread(target=pools.keep_up, name="labcontainer-pools", daemon=True).start()
    threading.Thread(target=_retry_pending_removals, args=(service, serverapp.log), name="labcontainer-removals", daemon=True).start()
    serverapp.log.info("labcontainer: REST API at %s", base)


def _recover(serverapp: Any, service: LabService, *, adopt: bool) -> None:
    log = serverapp.log
    try:
        report = adopt_orphans(serverapp, service, adopt=adopt, log=log)
    except LabContainerError as exc:
        log.warning("labcontainer: kernels of a previous server not checked (will be at the next start): %s", exc)
        return
    if report.adopted:
        log.info("labcontainer: adopted %d running container kernel(s) with %d notebook session(s): %s",
                 len(report.adopted), report.sessions, ", ".join(report.adopted))
    if report.removed:
        log.info("labcontainer: removed %d stopped kernel container(s): %s", len(report.removed), ", ".join(report.removed))


def _remove_orphaned_pool_members(service: LabService, log: Any) -> None:
    try:
        removed = recovery.remove_orphaned_pool_members(service, log=log)
    except LabContainerError as exc:
        log.warning("labcontainer: waiting kernels of a previous server not checked (will be at the next start): %s", exc)
        return
    if removed:
        log.info("labcontainer: removed %d waiting kernel(s) a previous server left: %s", len(removed), ", ".join(removed))


def _retry_pending_removals(service: LabService, log: Any) -> None:
    """Containers of kernels shut down while Podman was unreachable are removed as soon as
    it answers again (checked every few seconds; cheap while there is nothing to do)."""
    stop = threading.Event()
    while not stop.wait(PENDING_RETRY_INTERVAL):
        try:
            recovery.retry_pending_removals(service, log=log)
        except Exception as exc:  # noqa: BLE001 - a background loop must outlive any one failure
            log.warning("labcontainer: retrying removals failed: %s", exc)


# jupyter_server < 2 name
load_jupyter_server_extension = _load_jupyter_server_extension
