"""Re-adopting container kernels a previous server left running.

Jupyter has no API for this (jupyter_client's ``load_provisioner_info`` is a hook nobody
calls), so a kernel is registered with the server's MappingKernelManager the way its own
start would have left it; docs/design/kernel-adoption.md explains each line. It runs in
the extension's load step: the kernel and session managers exist, and no HTTP socket is
bound yet, so no client can look for a session before its kernel is back. The notebook ↔
kernel mapping comes from the dead server's session database (sessions.py).
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.provisioning import KernelProvisionerFactory
from jupyter_server._tz import utcnow

from ..core.errors import LabContainerError
from ..kernels import identity, records, recovery
from ..service import LabService
from . import sessions
from .kernel_manager import is_container_kernel


@dataclass
class AdoptionReport:
    adopted: list[str] = field(default_factory=list)  # kernel ids
    removed: list[str] = field(default_factory=list)  # container names
    sessions: int = 0  # notebook sessions carried over


def adopt_orphans(
    serverapp: Any, service: LabService, *, adopt: bool = True, state_dir: Path | None = None,
    log: logging.Logger | None = None,
) -> AdoptionReport:
    """Adopt (or, with ``adopt=False``, remove) the running kernels of servers that are gone;
    clean up the rest. Podman being unreachable leaves every record for the next start."""
    log = log or logging.getLogger("labcontainer")
    state_dir = state_dir or records.default_state_dir()
    found = recovery.sort_orphans(service, state_dir=state_dir, log=log)
    report = AdoptionReport(removed=list(found.removed))
    mkm = serverapp.kernel_manager
    for record in found.adoptable:
        if adopt and _adopt(mkm, record, log):
            report.adopted.append(record.kernel_id)
            continue
        why = "kernel adoption is off (c.LabContainer.adopt_kernels)" if not adopt else "it could not be adopted"
        recovery.discard(service, record, state_dir, found, log, why=why)
    report.removed = list(found.removed)
    report.sessions = sessions.carry_over(state_dir, found.dead_servers, set(report.adopted), serverapp.session_manager)
    for server_id in recovery.finished_servers(state_dir):
        sessions.database_path(state_dir, server_id).unlink(missing_ok=True)
        identity.forget_server(state_dir, server_id)
    if report.adopted:
        mkm.initialize_culler()  # otherwise culling starts only with the next new kernel
    return report


def _adopt(mkm: Any, record: records.KernelRecord, log: logging.Logger) -> bool:
    kernel_id = record.kernel_id
    try:
        km, _, _ = mkm.pre_start_kernel(record.kernel_name, {"kernel_id": kernel_id})
        km.kernel_id = kernel_id
        km.load_connection_info(record.connection_info)
        km.provisioner = KernelProvisionerFactory.instance(parent=mkm).create_provisioner_instance(
            kernel_id, km.kernel_spec, parent=km
        )
        if not is_container_kernel(km):
            log.warning("labcontainer: kernelspec %s is no longer a container kernel", record.kernel_name)
            return False
        km.provisioner.restore(record, adopted_by="from a server that stopped")
    except (LabContainerError, OSError, ValueError, KeyError, RuntimeError) as exc:
        # e.g. its kernelspec was removed meanwhile (NoSuchKernel is a KeyError)
        log.warning("labcontainer: cannot adopt kernel %s: %s", kernel_id, exc)
        return False
    km.write_connection_file()  # so that shutdown removes it like any kernel's
    km._launch_args = dict(record.launch_args)  # restart_kernel refuses without them
    km._attempted_start = True  # lets shutdown/restart make a fresh `ready` future
    km.ready.set_result(None)  # websockets and shutdown wait on it
    km.execution_state = _execution_state(km, log)
    km.reason = ""
    km.start_restarter()
    km._connect_control_socket()
    mkm._kernels[kernel_id] = km
    mkm._kernel_connections[kernel_id] = 0
    mkm._kernel_ports[kernel_id] = km.ports
    mkm.start_watching_activity(kernel_id)  # (which sets last_activity to now)
    # The idle clock goes on from where the stopped server left it (what the culler counts).
    km.last_activity = records.parse_timestamp(record.last_activity) or utcnow()
    _not_counting_the_greeting(km)
    mkm.add_restart_callback(kernel_id, lambda: mkm._handle_kernel_died(kernel_id), "dead")
    return True


def _not_counting_the_greeting(km: Any) -> None:
    """ipykernel 7 greets each new iopub subscriber (``iopub_welcome``, no parent), which
    jupyter_server counts as activity: the adopted kernel's idle clock would restart as soon
    as the activity watcher connects. A greeting leaves the clock as it was."""
    stream = km._activity_stream
    record = stream._recv_callback

    def record_but_the_greeting(msg_list: list) -> None:
        kept = km.last_activity
        record(msg_list)
        if _is_greeting(msg_list):
            km.last_activity = kept

    stream.on_recv(record_but_the_greeting)


def _is_greeting(msg_list: list) -> bool:
    frames = [bytes(frame) for frame in msg_list]
    if b"<IDS|MSG>" not in frames:
        return False
    header = frames[frames.index(b"<IDS|MSG>") + 2]
    return b'"iopub_welcome"' in header


#: How long an idle kernel may take to answer kernel_info (it answers in milliseconds).
BUSY_AFTER = 1.0


def _execution_state(km: Any, log: logging.Logger) -> str:
    """"busy" or "idle", asked of the kernel itself: the dead server knew, but took it along.

    An idle kernel answers ``kernel_info`` at once; a busy one queues it behind the cell it
    is running (a week-long training, say), so no answer within :data:`BUSY_AFTER` means
    busy. When that cell ends, the kernel's own "idle" status reaches the new server's
    activity watcher, which then shows idle; the queued request's late reply goes nowhere."""
    client = BlockingKernelClient()
    client.load_connection_info(km.get_connection_info())
    try:
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        msg_id = client.kernel_info()
        reply = client.get_shell_msg(timeout=BUSY_AFTER)
        return "idle" if reply["parent_header"].get("msg_id") == msg_id else "busy"
    except queue.Empty:
        log.info("labcontainer: adopted kernel %s is busy (running a cell)", km.kernel_id)
        return "busy"
    finally:
        client.stop_channels()
