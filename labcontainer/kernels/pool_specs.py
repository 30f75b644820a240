"""What the kernelspecs ask of the server's pools (pools.py): which kernelspecs want
kernels kept ready, how many, and what those kernels are made from (a fingerprint: a member
made from anything else is never handed out). Read from kernel.json each time, since the
CLI writes kernelspecs without telling the server.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from ..core.errors import InvalidSpec
from . import launch
from . import pool as members
from .config import KernelContainerConfig, kernel_home
from .kernelspecs import PROVISIONER_NAME


@dataclass(frozen=True)
class Wanted:
    """One kernelspec's pool as its kernel.json says now."""

    kernel_name: str
    size: int
    config: KernelContainerConfig
    command: members.PooledCommand
    spec_env: dict[str, str]
    fingerprint: str


def wanted_pools(specs: Any, root_dir: str, log: logging.Logger) -> dict[str, Wanted]:
    """Every kernelspec with a pool, by name; one that cannot have one is logged and left out."""
    try:
        found = specs.get_all_specs()
    except Exception as exc:  # noqa: BLE001 - a broken kernelspec folder must not stop the server
        log.warning("labcontainer: cannot read the kernelspecs for pools: %s", exc)
        return {}
    wanted = (wanted_of(name, entry.get("spec") or {}, root_dir, log) for name, entry in found.items())
    return {w.kernel_name: w for w in wanted if w is not None}


def wanted_pool(specs: Any, kernel_name: str, root_dir: str) -> Wanted | None:
    """One kernelspec's pool as its kernel.json says at this moment (None: no pool, or no
    such kernelspec any more)."""
    try:
        spec = specs.get_kernel_spec(kernel_name).to_dict()
    except Exception:  # noqa: BLE001 - removed (NoSuchKernel), unreadable: no pool
        return None
    return wanted_of(kernel_name, spec, root_dir, None)


def wanted_of(name: str, spec: dict[str, Any], root_dir: str, log: logging.Logger | None) -> Wanted | None:
    """The pool a kernelspec's dict asks for; why it cannot have one goes to ``log``."""
    provisioner = (spec.get("metadata") or {}).get("kernel_provisioner") or {}
    settings = provisioner.get("config")
    if provisioner.get("provisioner_name") != PROVISIONER_NAME or not isinstance(settings, dict) or not settings.get("pool"):
        return None
    try:
        config = KernelContainerConfig.from_mapping(settings, where=f"kernelspec {name}")
    except InvalidSpec as exc:
        if log:
            log.warning("labcontainer: no pool for kernelspec %s: %s", name, exc)
        return None
    argv = launch.kernel_command(list(spec.get("argv") or []), [])
    why = members.why_not_pooled(config, argv)
    if why:
        if log:
            log.warning("labcontainer: no pool for kernelspec %s: %s", name, why)
        return None
    command = members.pooled_command(argv)
    assert command is not None  # why_not_pooled said so
    spec_env = dict(spec.get("env") or {})
    made_from = members.fingerprint(name, argv, spec_env, config, root_dir, str(kernel_home()))
    return Wanted(name, config.pool, config, command, spec_env, made_from)


def kernelspec_files(specs: Any) -> list[tuple[str, int, int]]:
    """(folder, mtime, size) of every kernel.json: what tells that one was written or
    removed, at the cost of a stat() each."""
    found: list[tuple[str, int, int]] = []
    try:
        folders = specs.find_kernel_specs()
    except Exception:  # noqa: BLE001 - as unreadable as at the next look
        return found
    for folder in sorted(folders.values()):
        try:
            status = os.stat(os.path.join(folder, "kernel.json"))
            found.append((folder, status.st_mtime_ns, status.st_size))
        except OSError:
            found.append((folder, 0, 0))
    return found
