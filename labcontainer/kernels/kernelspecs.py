"""Container kernelspecs: standard Jupyter kernelspecs whose metadata selects our provisioner.

They live in the user's Jupyter data path (``jupyter kernelspec list`` shows them) and look
like::

    {"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
     "display_name": "Python (container: pytorch:24.05, GPU 0)", "language": "python",
     "metadata": {"labcontainer": true,
                  "kernel_provisioner": {"provisioner_name": "labcontainer-podman",
                                         "config": {"image": "...", "gpus": "0", ...}}}}
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from ..core.errors import NotFoundError
from ..core.specs import check_container_name
from .config import KernelContainerConfig

PROVISIONER_NAME = "labcontainer-podman"
NAME_PREFIX = "lc-"
LOGO = Path(__file__).parent.parent / "static" / "container-kernel.svg"


@dataclass(frozen=True)
class KernelspecInfo:
    name: str
    display_name: str
    image: str
    gpus: str | None
    volumes: tuple[str, ...]
    language: str = "python"
    resource_dir: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "image": self.image,
            "gpus": self.gpus,
            "volumes": list(self.volumes),
            "language": self.language,
        }


class KernelspecNotFound(NotFoundError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is no labcontainer kernelspec named '{name}'.",
            hint="List them with `labcontainer kernelspec list`.",
        )


def default_name(image: str, gpus: str | None) -> str:
    base = image.rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "image"
    gpu_part = f"-gpu{re.sub(r'[^a-z0-9]+', '', gpus.lower())}" if gpus and gpus != "none" else ""
    return f"{NAME_PREFIX}{slug}{gpu_part}"[:60]


def default_display_name(image: str, gpus: str | None) -> str:
    short = image.rsplit("/", 1)[-1]
    if not gpus or gpus == "none":
        gpu_text = "no GPU"
    elif gpus == "all":
        gpu_text = "all GPUs"
    elif gpus.startswith("count="):
        gpu_text = f"{gpus.removeprefix('count=')} free GPU(s)"
    else:
        gpu_text = f"GPU {gpus}"
    return f"Python (container: {short}, {gpu_text})"


def install_kernelspec(
    config: KernelContainerConfig | str,
    *,
    name: str | None = None,
    display_name: str | None = None,
    prefix: str | None = None,
    **settings: Any,
) -> KernelspecInfo:
    """Write (or replace) a container kernelspec; raises InvalidSpec naming a bad setting.

    ``config`` is a KernelContainerConfig, or an image name with the other settings as
    keywords (``install_kernelspec("IMG", gpus="0")``), read the way a kernelspec is."""
    if isinstance(config, str):
        config = KernelContainerConfig.from_mapping({"image": config, **settings}, where="install_kernelspec()")
    elif settings:
        config = dataclasses.replace(config, **settings)
    config.validate()
    name = (name or default_name(config.image, config.gpus)).lower()
    check_container_name(name)
    spec = {
        "argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name or default_display_name(config.image, config.gpus),
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {
            "labcontainer": True,
            "debugger": False,
            "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME, "config": config.to_kernelspec_config()},
        },
    }
    with tempfile.TemporaryDirectory() as staging:
        (Path(staging) / "kernel.json").write_text(json.dumps(spec, indent=1))
        if LOGO.exists():
            shutil.copy(LOGO, Path(staging) / "logo-svg.svg")
        destination = KernelSpecManager().install_kernel_spec(staging, kernel_name=name, user=prefix is None, prefix=prefix, replace=True)
    return _info(name, spec, destination)


def list_kernelspecs() -> list[KernelspecInfo]:
    """labcontainer's container kernelspecs (others are left out)."""
    manager = KernelSpecManager()
    found = []
    for name, entry in sorted(manager.get_all_specs().items()):
        spec = entry.get("spec", {})
        if spec.get("metadata", {}).get("labcontainer"):
            found.append(_info(name, spec, entry.get("resource_dir", "")))
    return found


def remove_kernelspec(name: str) -> None:
    """Remove one of labcontainer's kernelspecs (never anyone else's)."""
    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(name)
    except NoSuchKernel:
        raise KernelspecNotFound(name) from None
    if not spec.metadata.get("labcontainer"):
        raise KernelspecNotFound(name)
    manager.remove_kernel_spec(name)


def _info(name: str, spec: dict[str, Any], resource_dir: str) -> KernelspecInfo:
    config = spec.get("metadata", {}).get("kernel_provisioner", {}).get("config", {})
    return KernelspecInfo(
        name=name,
        display_name=spec.get("display_name", name),
        image=config.get("image", ""),
        gpus=config.get("gpus"),
        volumes=tuple(config.get("volumes", ())),
        language=spec.get("language", "python"),
        resource_dir=str(resource_dir),
    )
