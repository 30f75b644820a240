"""Containers that are this server's kernels: shown as such, and acted on through the kernel.

Stopping a kernel's container behind Jupyter's back leaves the notebook to find out from
the restarter; the side panel instead asks first, then restarts the kernel through
Jupyter's kernel manager (a fresh container, the same kernel id, the notebook stays
connected). Remove shuts the kernel down, which removes its container.
"""

from __future__ import annotations

from typing import Any

from ..core.models import ContainerInfo, kernel_container_name, kernel_of
from ..kernels import records


async def describe(containers: list[ContainerInfo], kernel_manager: Any, session_manager: Any) -> list[dict[str, Any]]:
    """Each container's JSON; a kernel container's (core.models.kernel_of) gets ``kernel``:
    its id, whether this server runs it, and the notebook it serves (when it is known)."""
    notebooks: dict[str, str] = {}
    if any(kernel_of(c) for c in containers):
        for session in await session_manager.list_sessions():
            kernel = session.get("kernel") or {}
            if kernel.get("id") and session.get("path"):
                notebooks[kernel["id"]] = session["path"]
    answer = []
    for info in containers:
        data = info.to_json()
        kernel_id = kernel_of(info)
        if kernel_id:
            notebook = records.notebook_of(info, notebooks)
            data["kernel"] = {"id": kernel_id, "ours": kernel_id in kernel_manager, "notebook": notebook}
        answer.append(data)
    return answer


def served_kernel(name: str, kernel_manager: Any) -> str | None:
    """The id of this server's kernel whose container is ``name``, if it is one."""
    return next((k for k in kernel_manager.list_kernel_ids() if kernel_container_name(k) == name), None)
