"""What a kernel leaves when it ends: nothing.

Its container (labels checked: never anyone else's), its connection folders here and on its
server (they hold the key), the forwards of its sockets, and its record. Shutdown does this,
and so does a launch that failed (jupyter_client never calls cleanup() after a failed launch).
When Podman cannot be reached, the record stays, without the key, marked for removal: the
server retries it when Podman answers again (recovery.retry_pending_removals).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.errors import LabContainerError, ServiceUnavailable
from . import records


def remove_quietly(service: Any, container_name: str | None, kernel_id: str, log: Any) -> bool:
    """Remove the kernel's container; a failure is logged, not raised (shutdown must go on).
    False only when Podman could not be reached, i.e. the container may still be there."""
    if not container_name:
        return True
    try:
        service.remove_kernel_container(container_name, kernel_id)
    except ServiceUnavailable as exc:
        log.warning("labcontainer: could not remove %s now, will retry: %s", container_name, exc)
        return False
    except LabContainerError as exc:
        log.warning("labcontainer: could not remove %s: %s", container_name, exc)
    return True


def discard(service: Any, kernel_id: str, container_name: str | None, local: Path | None, remote: str | None, log: Any) -> None:
    """Everything the kernel left, on this machine and on its server."""
    removed = remove_quietly(service, container_name, kernel_id, log)
    service.kernel_host.discard(local, remote)
    if removed:
        records.delete_record(kernel_id)
    elif container_name:
        records.mark_for_removal(kernel_id, container_name)
