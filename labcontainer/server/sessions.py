"""Notebook ↔ kernel sessions that survive a server crash.

Jupyter's SessionManager keeps its table in memory unless ``database_filepath`` names a
file. Each server gets its own file, named by its server id, in the kernel state
directory: two servers of the same user never prune each other's rows (SessionManager
deletes any row whose kernel it does not know). At start, the rows of kernels this server
adopted are copied from the dead servers' files into its own; then those files go.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

_COLUMNS = "session_id, path, name, type, kernel_id"


def database_path(state_dir: Path, server_id: str) -> Path:
    return state_dir / f"sessions-{server_id}.db"


def carry_over(state_dir: Path, dead_servers: set[str], kernel_ids: set[str], session_manager: Any) -> int:
    """Copy the sessions of ``kernel_ids`` from the dead servers' databases into the
    live SessionManager's. Returns the rows copied."""
    rows: list[tuple] = []
    for server_id in dead_servers:
        path = database_path(state_dir, server_id)
        if not server_id or not path.is_file():
            continue
        try:
            with sqlite3.connect(path) as old:
                rows += [r for r in old.execute(f"SELECT {_COLUMNS} FROM session") if r[4] in kernel_ids]
        except sqlite3.Error:
            pass  # no table yet, or a damaged file: nothing to carry
    if rows:
        cursor = session_manager.cursor  # creates the table if it is new
        cursor.executemany(f"INSERT INTO session ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)
