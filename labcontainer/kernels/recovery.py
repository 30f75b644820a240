"""At server start: sort the kernel records other servers left into what to adopt and what
to clean up. And, while a server runs: finish removals that Podman was down for.

Only containers named in this state directory's records are considered, only when the
server that owns the record is gone (identity.py, not a bare PID), and only if they still
carry labcontainer's kernel labels with the same kernel id. Everything else — other users',
other servers', anything unlabelled — is left alone.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import LabContainerError, ServiceUnavailable
from ..service import LabService, default_servers
from . import identity, pool, records


@dataclass
class RecoveryReport:
    adoptable: list[records.KernelRecord] = field(default_factory=list)  # running, owner gone
    removed: list[str] = field(default_factory=list)  # container names
    kept: list[str] = field(default_factory=list)  # kernel ids whose server still runs
    forgotten: list[str] = field(default_factory=list)  # kernel ids whose container was gone
    unchecked: list[str] = field(default_factory=list)  # kernel ids Podman could not be asked about
    dead_servers: set[str] = field(default_factory=set)  # server ids whose records were read


def service_of(service: LabService, record: records.KernelRecord) -> LabService:
    """The service of the server a record's kernel runs on (``service``: this machine's).
    Raises NotFoundError for a connection the user removed since."""
    return service if record.connection in ("", "local") else default_servers().get(record.connection, refresh=True)


def sort_orphans(service: LabService, *, state_dir: Path | None = None, log: logging.Logger | None = None) -> RecoveryReport:
    """Clean up what cannot be adopted; return the running kernels whose server is gone.
    A kernel on another server is asked about on that server (its record names it)."""
    log = log or logging.getLogger("labcontainer")
    state_dir = state_dir or records.default_state_dir()
    report = RecoveryReport()
    for record in records.load_records(state_dir):
        if record.remove_pending:
            _finish_removal(service, record, state_dir, report, log)
            continue
        if records.owner_alive(record, state_dir):
            report.kept.append(record.kernel_id)
            continue
        report.dead_servers.add(record.server_id)
        try:
            container = service_of(service, record).kernel_container(record.container_id or record.container_name, record.kernel_id)
        except LabContainerError as exc:
            log.warning("labcontainer: cannot check kernel container %s: %s", record.container_name, exc)
            report.unchecked.append(record.kernel_id)
            continue
        if container is None:  # gone, or no longer this kernel's (labels checked)
            report.forgotten.append(record.kernel_id)
            forget(record, state_dir, service)
        elif container.running:
            report.adoptable.append(record)
        else:
            discard(service, record, state_dir, report, log, why="its container had stopped")
    return report


def discard(
    service: LabService, record: records.KernelRecord, state_dir: Path, report: RecoveryReport,
    log: logging.Logger, *, why: str,
) -> None:
    """Remove a kernel's container (labels checked) and forget it."""
    try:
        service_of(service, record).remove_kernel_container(record.container_name, record.kernel_id)
    except LabContainerError as exc:
        log.warning("labcontainer: could not remove %s: %s", record.container_name, exc)
        report.unchecked.append(record.kernel_id)
        return
    report.removed.append(record.container_name)
    log.info("labcontainer: removed kernel container %s: %s", record.container_name, why)
    forget(record, state_dir, service)


def retry_pending_removals(service: LabService, *, state_dir: Path | None = None, log: logging.Logger | None = None) -> int:
    """Remove the containers of kernels shut down while Podman was unreachable. Returns
    how many are still waiting."""
    log = log or logging.getLogger("labcontainer")
    state_dir = state_dir or records.default_state_dir()
    report = RecoveryReport()
    for record in records.load_records(state_dir):
        if record.remove_pending:
            _finish_removal(service, record, state_dir, report, log)
    return len(report.unchecked)


def _finish_removal(
    service: LabService, record: records.KernelRecord, state_dir: Path, report: RecoveryReport, log: logging.Logger
) -> None:
    try:
        service_of(service, record).remove_kernel_container(record.container_id or record.container_name, record.kernel_id)
    except ServiceUnavailable:
        report.unchecked.append(record.kernel_id)
        return
    except LabContainerError as exc:
        log.warning("labcontainer: could not remove %s: %s", record.container_name, exc)
        report.unchecked.append(record.kernel_id)
        return
    log.info("labcontainer: removed %s, whose kernel was shut down while Podman was unreachable", record.container_name)
    report.removed.append(record.container_name)
    forget(record, state_dir, service)


def forget(record: records.KernelRecord, state_dir: Path | None = None, service: LabService | None = None) -> None:
    """The record and its connection folder(s) go (on another server too, when ``service``
    is given and that server answers; else its 0700 folder stays in its runtime dir)."""
    records.delete_record(record.kernel_id, state_dir)
    if record.remote_dir and service is not None:
        try:
            service_of(service, record).kernel_host.discard(Path(record.connection_dir) if record.connection_dir else None, record.remote_dir)
        except LabContainerError:
            pass
    if record.connection_dir:
        shutil.rmtree(record.connection_dir, ignore_errors=True)


def finished_servers(state_dir: Path) -> list[str]:
    """Ids of servers that are gone and that no record names any more: their lock files
    (and whatever else is named by their id) can go."""
    named = {r.server_id for r in records.load_records(state_dir)}
    return [sid for sid in identity.known_servers(state_dir) if sid not in named and not identity.server_alive(state_dir, sid)]


def remove_orphaned_pool_members(
    service: LabService, *, state_dir: Path | None = None, log: logging.Logger | None = None
) -> list[str]:
    """Remove the waiting kernels (pool.py) of servers that are gone: nobody's kernels, and a
    new server starts its own. One that a launch had taken is a kernel now (it has a kernel
    record under the same id): adoption's business, so only its pool record goes."""
    log = log or logging.getLogger("labcontainer")
    state_dir = state_dir or records.default_state_dir()
    removed = []
    for member in pool.load_members(state_dir):
        if identity.server_alive(state_dir, member.server_id):
            continue
        if records.load_record(member.kernel_id, state_dir) is not None:
            pool.delete_member(member.kernel_id, state_dir)
            continue
        try:
            pool.remove_member(service, member, state_dir)
        except LabContainerError as exc:
            log.warning("labcontainer: could not remove the waiting kernel %s: %s", member.container_name, exc)
            continue
        removed.append(member.container_name)
    return removed
