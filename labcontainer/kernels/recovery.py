"""After a server crash: find the kernel containers it left behind and remove them.

Called by the server extension when it loads (in a thread). Only containers named in this
state directory's kernel records are considered, only when the server that started them
is gone, and only if they still carry labcontainer's kernel labels with the same kernel
id. Everything else — other users', other servers', anything unlabelled — is left alone.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ContainerNotFound, LabContainerError
from ..core.models import LABEL_KERNEL_ID, LABEL_MANAGED, LABEL_PURPOSE, PURPOSE_KERNEL
from ..service import LabService
from . import records


@dataclass
class ReconcileReport:
    removed: list[str] = field(default_factory=list)  # container names
    kept: list[str] = field(default_factory=list)  # records whose server still runs
    forgotten: list[str] = field(default_factory=list)  # records whose container was already gone


def reconcile_kernel_containers(
    service: LabService, *, state_dir: Path | None = None, log: logging.Logger | None = None
) -> ReconcileReport:
    """Remove the containers of kernels whose server died; forget their records."""
    log = log or logging.getLogger("labcontainer")
    report = ReconcileReport()
    for record in records.load_records(state_dir):
        if records.process_alive(record.server_pid):
            report.kept.append(record.kernel_id)
            continue
        try:
            labels = service.get(record.container_id or record.container_name).labels
        except ContainerNotFound:
            report.forgotten.append(record.kernel_id)
            _forget(record, state_dir)
            continue
        except LabContainerError as exc:
            log.warning("labcontainer: cannot check kernel container %s: %s", record.container_name, exc)
            continue
        ours = (
            labels.get(LABEL_MANAGED) == "true"
            and labels.get(LABEL_PURPOSE) == PURPOSE_KERNEL
            and labels.get(LABEL_KERNEL_ID) == record.kernel_id
        )
        if not ours:
            log.warning("labcontainer: %s is not the kernel container its record names; left alone", record.container_name)
            _forget(record, state_dir)
            continue
        try:
            service.remove(record.container_id, force=True)
            report.removed.append(record.container_name)
            log.info("labcontainer: removed kernel container %s left by a server that stopped", record.container_name)
        except ContainerNotFound:
            report.forgotten.append(record.kernel_id)
        except LabContainerError as exc:
            log.warning("labcontainer: could not remove %s: %s", record.container_name, exc)
            continue
        _forget(record, state_dir)
    return report


def _forget(record: records.KernelRecord, state_dir: Path | None) -> None:
    records.delete_record(record.kernel_id, state_dir)
    if record.connection_dir:
        shutil.rmtree(record.connection_dir, ignore_errors=True)
