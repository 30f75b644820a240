"""Containers that are this server's kernels: shown as such, and acted on through the kernel.

Stopping a kernel's container behind Jupyter's back leaves the notebook to find out from
the restarter; the side panel instead asks first, then restarts the kernel through
Jupyter's kernel manager (a fresh container, the same kernel id, the notebook stays
connected). Remove shuts the kernel down, which removes its container.
"""

from __future__ import annotations

from typing import Any

from ..core.models import LABEL_KERNEL_ID, LABEL_NOTEBOOK, PURPOSE_KERNEL, ContainerInfo
from ..kernels import records
from ..kernels.config import KERNEL_CONTAINER_PREFIX

def kernel_id_of(info: ContainerInfo) -> str | None:
    if info.purpose != PURPOSE_KERNEL:
        return None
    return info.labels.get(LABEL_KERNEL_ID) or None


async def describe(containers: list[ContainerInfo], kernel_manager: Any, session_manager: Any) -> list[dict[str, Any]]:
    """Each container's JSON; a kernel container's gets ``kernel``: its id, whether this
    server runs it, and the notebook it serves (when Jupyter knows it)."""
    notebooks: dict[str, str] = {}
    if any(kernel_id_of(c) for c in containers):
        for session in await session_manager.list_sessions():
            kernel = session.get("kernel") or {}
            if kernel.get("id"):
                notebooks[kernel["id"]] = session.get("path")
    answer = []
    for info in containers:
        data = info.to_json()
        kernel_id = kernel_id_of(info)
        if kernel_id:
            notebook = notebooks.get(kernel_id) or info.labels.get(LABEL_NOTEBOOK) or records.notebook_of(kernel_id)
            data["kernel"] = {"id": kernel_id, "ours": kernel_id in kernel_manager, "notebook": notebook}
        answer.append(data)
    return answer


def served_kernel(name: str, kernel_manager: Any) -> str | None:
    """The id of this server's kernel whose container is ``name``, if it is one."""
    if not name.startswith(KERNEL_CONTAINER_PREFIX):
        return None
    kernel_id = name.removeprefix(KERNEL_CONTAINER_PREFIX)
    return kernel_id if kernel_id in kernel_manager else None
