"""Persisted kernel records: what a later server needs to find a crashed server's kernels.

Jupyter Server never calls ``load_provisioner_info`` on start and ipykernel cannot see its
parent die across the container boundary, so a server that crashed leaves its kernel
containers running. Each container kernel therefore writes a record (0600: it holds the
connection key) in a state directory; the server extension reads them at start-up.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.files import write_private_json


def default_state_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(os.environ.get("LABCONTAINER_KERNEL_STATE_DIR") or Path(jupyter_runtime_dir()) / "labcontainer-kernels")


@dataclass
class KernelRecord:
    kernel_id: str
    container_name: str
    container_id: str
    connection_dir: str
    connection_info: dict[str, Any] = field(default_factory=dict)  # includes the key
    server_pid: int = 0  # the process that started the kernel
    kernel_name: str = ""


def save_record(record: KernelRecord, state_dir: Path | None = None) -> Path:
    directory = state_dir or default_state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{record.kernel_id}.json"
    data = asdict(record)
    data["connection_info"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in record.connection_info.items()}
    return write_private_json(path, data)


def load_records(state_dir: Path | None = None) -> list[KernelRecord]:
    directory = state_dir or default_state_dir()
    records = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            records.append(KernelRecord(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            continue  # a half-written record says nothing reliable
    return records


def delete_record(kernel_id: str, state_dir: Path | None = None) -> None:
    (state_dir or default_state_dir()).joinpath(f"{kernel_id}.json").unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
