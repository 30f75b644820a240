"""The one server app: REST API under /labcontainer/api/, container kernels that outlive the
server (adopted by the next one), and everything those need while the server runs.

:class:`LabContainer` owns, as attributes, the settings (``c.LabContainer.*``), the services
by connection (``connections``: the local Podman and the user's `podman system connection`s,
``default_connection`` the podman CLI's choice), the event hub, the kernel
pools, the kept terminals and one *tender* thread; :meth:`LabContainer.stop_extension` ends
every thread and task it began. Handlers reach it as ``self.labcontainer``
(``settings["labcontainer_app"]``).

Start, in jupyter_server's order:

1. link (before the kernel and session managers exist): our kernel manager, a session
   database on disk per server;
2. load (no HTTP socket bound yet): services; the waiting kernels and the container kernels of
   servers that are gone are removed or adopted, so no client asks for a session whose kernel
   is not back yet; pools; handlers; the tender;
3. stop (a clean stop, a SIGTERM, a Ctrl-C with or without a terminal): pools drained, kept
   terminals ended, the event follower and the tender ended; then jupyter_server shuts the
   kernels down (container kernels too, unless ``keep_kernels``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, List, Unicode, default
from traitlets.config import Config

from ..core.connection import LOCAL, Connection
from ..core.connections import PodmanConnections
from ..core.errors import LabContainerError
from ..kernels import records, recovery
from ..kernels.identity import this_server
from ..kernels.pools import KernelPools
from ..service import LabService, Services, set_default_service
from . import sessions
from .adoption import adopt_orphans
from .events import EventHub, listen_to_kernel_actions
from .handlers import handler_routes
from .kernel_manager import ContainerAwareKernelManager
from .terminal_sessions import TerminalSessions

#: Seconds between two rounds of the tender: removals Podman did not answer (kernels shut
#: down while it was away, pool members), kernelspecs written behind the server's back.
TEND_INTERVAL = 5.0
#: Name of the tender thread (every labcontainer thread's name starts with "labcontainer").
TENDER_THREAD = "labcontainer-tender"
#: Seconds the stop waits for a background thread to end.
JOIN_TIMEOUT = 30.0


class LabContainer(ExtensionApp):
    """The labcontainer server extension; its settings are ``c.LabContainer.*``."""

    name = "labcontainer_app"  # (also its key in the tornado settings)
    load_other_extensions = False

    podman_url = Unicode(None, allow_none=True, config=True, help="Podman service URL; default: discovered.")
    connection = Unicode(
        None, allow_none=True, config=True,
        help="The default server: one of your `podman system connection` names (else, as the podman CLI: "
        "CONTAINER_HOST, CONTAINER_CONNECTION, your default connection, this machine's Podman).",
    )
    start_service = Bool(
        config=True,
        help="Start the member's `podman system service` if none answers (stopped again with this server). "
        "Default: True under JupyterHub (JUPYTERHUB_API_TOKEN set), where nothing starts it; else False.",
    )

    @default("start_service")
    def _start_service_default(self) -> bool:
        return bool(os.environ.get("JUPYTERHUB_API_TOKEN"))
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
    shared_reservations_dir = Unicode(
        "", config=True,
        help="A lab-wide folder (the admin makes it, mode 1777) where each member's labcontainer lists the GPUs "
        "its running containers reserved, so that 'free' and --gpus count=N honour other members'. Empty: "
        "'free' is what this member can see. Sets LABCONTAINER_SHARED_RESERVATIONS for the server and its kernels.",
    )
    terminal_keep_alive = Float(
        60.0, config=True,
        help="Seconds a container terminal whose page went away (a reload, a lost connection) keeps its "
        "shell for the page to reconnect; then the shell is ended. Closing the tab ends it at once.",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: One service per Podman connection, by connection name: the local one and each of
        #: the user's `podman system connection`s (service_connections.py; none connects yet).
        self.connections: dict[str, LabService] = {}
        self.default_connection = LOCAL
        self.servers: Services[LabService] | None = None
        self.events: EventHub | None = None  # this machine's (kernel actions are told here too)
        self._event_hubs: dict[str, EventHub] = {}  # one per server someone listens to, by name
        self.pools: KernelPools | None = None
        self.terminals: TerminalSessions | None = None
        self._tender: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sigint_before: Any = None

    @property
    def service(self) -> LabService:
        """This machine's service, shared with the kernel provisioner: container kernels, their
        pools, the change notices and the tender stay here whatever the default connection is
        (kernels on another server: not yet). REST requests pick theirs (handlers.py)."""
        return self.connections[LOCAL]

    def local_connection(self) -> Connection:
        """The local Podman, from ``c.LabContainer`` (an ssh:// podman_url is another server)."""
        url = self.podman_url if self.podman_url and not self.podman_url.startswith("ssh://") else None
        return Connection(name=LOCAL, url=url, start_service=self.start_service)

    def open_connections(self) -> None:
        """``connections`` and ``default_connection``, as the podman CLI chooses (explicit
        podman_url or connection, CONTAINER_HOST, CONTAINER_CONNECTION, the default one, local)."""
        local = self.local_connection()
        local_service = self.build_service(local)
        explicit = self.podman_url or self.connection
        try:
            self.servers = Services(self.build_service, local_service, local_url=local.url, explicit=explicit)
        except LabContainerError as exc:
            self.log.warning("labcontainer: only this machine's Podman is used: %s", exc)
            self.servers = Services(self.build_service, local_service, local_url=local.url, explicit=explicit if explicit and "://" in explicit else None,
                                    known=PodmanConnections())
        self.connections = self.servers.by_name
        self.default_connection = self.servers.default

    def event_hub(self, name: str) -> EventHub:
        """The change notices of server ``name`` (another server's over its SSH link): one
        follower per server, made when its first socket opens. NotFoundError for a name
        that is no connection."""
        if name not in self._event_hubs:
            self._event_hubs[name] = EventHub(self.servers.get(name), self.serverapp.log)
        return self._event_hubs[name]

    def build_service(self, connection: Connection) -> LabService:
        if connection.is_ssh:  # another server: over one SSH link, made on its first verb
            return LabService(ssh=connection, forbidden_mounts=self.forbidden_mounts)
        return LabService(url=connection.url, start_service=connection.start_service, nvml_recording=self.nvml_recording,
                          forbidden_mounts=self.forbidden_mounts)

    # -- link: before the kernel and session managers exist ------------------------------------

    def _link_jupyter_server_extension(self, serverapp: Any) -> None:
        """Give the server our kernel manager, and a session database on disk (per server)
        so notebooks find their adopted kernels again."""
        super()._link_jupyter_server_extension(serverapp)
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

    # -- load: before the HTTP socket is bound -----------------------------------------------------

    def initialize_settings(self) -> None:
        serverapp = self.serverapp
        log = serverapp.log
        if self.shared_reservations_dir:  # read by LabService; inherited by kernels (the magics)
            os.environ["LABCONTAINER_SHARED_RESERVATIONS"] = self.shared_reservations_dir
        self.open_connections()
        service = self.service
        # The kernel provisioner's cold starts find the service through default_service():
        # installing this one there makes container kernels and the REST API talk to the same Podman;
        # a kernel on another server takes that server's service from the same servers.
        set_default_service(service, self.servers)
        self.events = EventHub(service, log)
        self._event_hubs = {LOCAL: self.events}
        self.terminals = TerminalSessions(self.terminal_keep_alive, log)
        listen_to_kernel_actions(serverapp, self.events)
        _remove_orphaned_pool_members(service, log)
        if self.recover_kernels:
            # Now, before the HTTP socket is bound: no client may ask for a session whose
            # kernel is not registered yet (SessionManager would delete the row).
            _recover(serverapp, service, adopt=self.adopt_kernels)
        kernel_manager = serverapp.kernel_manager
        if isinstance(kernel_manager, ContainerAwareKernelManager):
            kernel_manager.keep_container_kernels = self.keep_kernels
            self.pools = KernelPools(service, serverapp.kernel_spec_manager, kernel_manager.root_dir, log=log)
            kernel_manager.kernel_pools = self.pools
            self.pools.refresh_in_background()  # kernelspecs with `pool: N` get their waiting kernels
        if self.start_service:  # now, not at the first click: say once what was started, or why not
            try:
                service.info()
            except LabContainerError as exc:
                log.warning("labcontainer: %s", exc)
        started = service.started_service()
        if started:
            log.info("labcontainer: %s", started.note)  # once; GET status says it too
        self._tender = threading.Thread(target=self._tend, name=TENDER_THREAD, daemon=True)
        self._tender.start()
        self._stop_on_sigint_without_terminal()

    def initialize_handlers(self) -> None:
        web_app = self.serverapp.web_app
        base = url_path_join(web_app.settings["base_url"], "labcontainer", "api") + "/"
        web_app.add_handlers(".*$", handler_routes(base))
        self.serverapp.log.info("labcontainer: REST API at %s", base)

    def _stop_on_sigint_without_terminal(self) -> None:
        """jupyter_server asks before stopping on Ctrl-C only when stdin is a terminal; else
        Python's own handler raises KeyboardInterrupt out of the event loop and the server
        exits without its cleanup, leaving container kernels running with nobody to adopt
        them. Then a SIGINT stops the server cleanly, as SIGTERM does."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._sigint_before = signal.signal(signal.SIGINT, self.serverapp._signal_stop)

    # -- while the server runs -------------------------------------------------------------------

    def _tend(self) -> None:
        """Every TEND_INTERVAL seconds until the stop: remove the containers of kernels shut
        down while Podman was unreachable, keep the pools (kernels/pools.py), and write the
        container kernels' idle clocks into their records."""
        while not self._stopping.wait(TEND_INTERVAL):
            try:
                recovery.retry_pending_removals(self.service, log=self.serverapp.log)
            except Exception as exc:  # noqa: BLE001 - a background loop must outlive any one failure
                self.serverapp.log.warning("labcontainer: retrying removals failed: %s", exc)
            try:
                if self.pools is not None:
                    self.pools.tend()
            except Exception as exc:  # noqa: BLE001
                self.serverapp.log.warning("labcontainer: tending the pools failed: %s", exc)
            kernel_manager = self.serverapp.kernel_manager
            if isinstance(kernel_manager, ContainerAwareKernelManager):
                # On the event loop, where the provisioners write their records: never a
                # record read before a restart rewrote it and written back after.
                self.serverapp.io_loop.add_callback(kernel_manager.record_activity)

    # -- stop --------------------------------------------------------------------------------------

    async def stop_extension(self) -> None:
        """End every thread and task this app began: the pools' members go, kept terminals
        end (their shells do not outlive the server), sockets close, the follower and the
        tender end. Kernels are next (jupyter_server's cleanup_kernels)."""
        self._stopping.set()
        # Python's handler again, unless that very signal is stopping the server (a second
        # Ctrl-C must not cut the kernels' shutdown short).
        stopped_by_signal = getattr(self.serverapp, "_stopping", False)
        if self._sigint_before is not None and not stopped_by_signal and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._sigint_before)
            self._sigint_before = None
        if self.pools is not None:
            # (Not the kernel manager's shutdown_all: jupyter_server skips that when no
            # kernel runs, because an empty kernel manager is falsy.)
            await asyncio.to_thread(self.pools.drain)
        if self.terminals is not None:
            await self.terminals.end_all()
        for hub in self._event_hubs.values():
            hub.close_all()
            for thread in hub.threads:
                await asyncio.to_thread(thread.join, JOIN_TIMEOUT)
        if self._tender is not None:
            await asyncio.to_thread(self._tender.join, JOIN_TIMEOUT)
        await self._stop_started_services()
        if self.servers is not None:  # every SSH link: no ssh process left
            await asyncio.to_thread(self.servers.close)

    async def _stop_started_services(self) -> None:
        """The Podman services this server started go with it, after the kernels (whose
        removal needs them; jupyter_server's own cleanup_kernels then finds none)."""
        started = [s for s in (service.started_service() for service in self.connections.values()) if s]
        if not started:
            return
        await self.serverapp.cleanup_kernels()
        for service in started:
            if await asyncio.to_thread(service.stop):
                self.serverapp.log.info("labcontainer: stopped the Podman service it had started; containers keep running")


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
