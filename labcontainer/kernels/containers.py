"""The container a kernel start asks Podman for, in one place: a cold start (the provisioner)
and a kernel started in advance (pool.py) must get the same one, or a notebook could tell
them apart (HOME, environment, GPUs, mounts, the ipykernel bundle)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core.models import ContainerSpec
from . import bundle, launch
from .config import KernelContainerConfig, kernel_home


def kernel_container_spec(
    service: Any,
    config: KernelContainerConfig,
    *,
    name: str,
    kernel_id: str,
    argv: Sequence[str],
    connection_dir: Path,
    workdir: str,
    spec_env: Mapping[str, str] | None,
    launch_env: Mapping[str, str],
    tcp_ports: Sequence[int] = (),
    labels: Mapping[str, str] | None = None,
) -> ContainerSpec:
    """``spec_env`` is the kernelspec's own ``env``; ``launch_env`` what Jupyter passes at the
    launch (only launch.kept_env of it goes in). ``labels`` are added to the kernel's."""
    env = dict(spec_env or {})
    env.update(launch.kept_env(dict(launch_env)))
    remote = bool(getattr(service, "remote", False))
    if remote:
        # A bundle is a folder of this machine: another server's image must have ipykernel
        # (a start without says so in the kernel's last lines, "No module named ipykernel").
        ipykernel_bundle: str | None = None
    elif config.inject_ipykernel:  # the older way, kept for kernelspecs that ask for it
        ipykernel_bundle = launch.ipykernel_bundle_dir()
    else:
        # Probed once per image id (cached on disk): an image with ipykernel costs one
        # image lookup here; one without gets a bundle for its Python mounted.
        ipykernel_bundle = bundle.bundle_for_image(service, config.image)
    spec = config.container_spec(
        name=name,
        kernel_id=kernel_id,
        argv=argv,
        connection_dir=connection_dir,
        workdir=workdir,
        home=Path(service.kernel_host.home()) if remote else kernel_home(),
        env=env,
        gpu_devices=service.gpu_devices(config.gpus),
        tcp_ports=tcp_ports,
        rootless=service.rootless,
        uid=os.getuid(),
        gid=os.getgid(),
        ipykernel_bundle=ipykernel_bundle,
        notebook=launch_env.get("JPY_SESSION_NAME"),
    )
    return dataclasses.replace(spec, labels={**spec.labels, **labels}) if labels else spec
