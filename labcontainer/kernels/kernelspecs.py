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
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_core.paths import jupyter_data_dir

from ..core.errors import InvalidSpec, LabContainerError, NotFoundError
from ..core.specs import parse_volume
from .bundle import check_ipykernel
from .config import KernelContainerConfig

if TYPE_CHECKING:
    from ..service import LabService

PROVISIONER_NAME = "labcontainer-podman"
NAME_PREFIX = "lc-"
LOGO = Path(__file__).parent.parent / "static" / "container-kernel.svg"
#: A kernelspec name is a folder name and the kernel's name in Jupyter (jupyter_client allows
#: [a-z0-9._-]); starting with a letter or digit keeps it a valid container name part too.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$", re.IGNORECASE)
MAX_NAME_LENGTH = 64


@dataclass(frozen=True)
class KernelspecInfo:
    name: str
    display_name: str
    image: str
    gpus: str | None
    volumes: tuple[str, ...]
    language: str = "python"
    pool: int = 0  # kernels kept started in advance (kernels/pool.py)
    resource_dir: str = ""
    #: The server(s) its kernels run on (podman connection names); empty: this machine.
    connection: tuple[str, ...] = ()
    #: Something the user should know about the new kernelspec (e.g. its image was not
    #: checked for ipykernel because it is not on this machine yet); not part of to_json.
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "image": self.image,
            "gpus": self.gpus,
            "volumes": list(self.volumes),
            "language": self.language,
            "pool": self.pool,
            "connection": list(self.connection),
        }


class KernelspecNotFound(NotFoundError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is no labcontainer kernelspec named '{name}'.",
            hint="List them with `labcontainer kernelspec list`.",
        )


class KernelspecExists(LabContainerError):
    """A labcontainer kernelspec of that name exists; replaced only when the caller says so."""

    http_status = 409

    def __init__(self, name: str, image: str, resource_dir: str) -> None:
        self.name, self.image, self.resource_dir = name, image, resource_dir
        super().__init__(
            f"A container kernel named '{name}' (image {image or 'unknown'}) already exists in {resource_dir}.",
            hint='It is replaced only when you ask for it (--replace, or "replace": true over REST); otherwise choose another name.',
        )


class ForeignKernelspec(LabContainerError):
    """A kernelspec of that name exists and is not labcontainer's: it is never replaced."""

    http_status = 409

    def __init__(self, name: str, resource_dir: str) -> None:
        self.name, self.resource_dir = name, resource_dir
        super().__init__(
            f"There is already a kernelspec named '{name}' in {resource_dir}, and labcontainer did not make it, so it was left as it is.",
            hint="Choose another name for the container kernel (--name); labcontainer never replaces or shadows someone else's kernel.",
        )


def check_kernelspec_name(name: str) -> str:
    """Return ``name`` if it can be a kernelspec's folder and kernel name; else InvalidSpec."""
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidSpec(
            f"The kernelspec name '{name[:40]}…' is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}.",
            hint="Choose a shorter name, or leave it out to get one made from the image.",
        )
    if not NAME_PATTERN.match(name):
        raise InvalidSpec(
            f"'{name}' cannot be a kernelspec name.",
            hint="Use letters, digits, '_', '.' and '-', starting with a letter or digit (it becomes a folder name).",
        )
    return name


def is_labcontainer_spec(spec: Mapping[str, Any]) -> bool:
    """Whether a kernel.json's content is one of labcontainer's container kernelspecs."""
    metadata = spec.get("metadata") if isinstance(spec, Mapping) else None
    if not isinstance(metadata, Mapping) or metadata.get("labcontainer") is not True:
        return False
    provisioner = metadata.get("kernel_provisioner")
    return isinstance(provisioner, Mapping) and provisioner.get("provisioner_name") == PROVISIONER_NAME


def default_name(image: str, gpus: str | None, connection: tuple[str, ...] = ()) -> str:
    base = image.rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "image"
    gpu_part = f"-gpu{re.sub(r'[^a-z0-9]+', '', gpus.lower())}" if gpus and gpus != "none" else ""
    # The same image on another server is another kernelspec, not a replacement of this one.
    server_part = "".join(f"-{re.sub(r'[^a-z0-9]+', '', n.lower())}" for n in connection if n != "local")
    return f"{NAME_PREFIX}{slug}{gpu_part}{server_part}"[:60]


def default_display_name(image: str, gpus: str | None, connection: tuple[str, ...] = ()) -> str:
    servers = [n for n in connection if n != "local"]
    where = f" on {' or '.join(servers)}" if servers else ""
    return _display_name(image, gpus) + where


def _display_name(image: str, gpus: str | None) -> str:
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
    config: KernelContainerConfig | Mapping[str, Any] | str,
    *,
    name: str | None = None,
    display_name: str | None = None,
    prefix: str | None = None,
    replace: bool = False,
    service: LabService | None = None,
    **settings: Any,
) -> KernelspecInfo:
    """Write a container kernelspec; raises InvalidSpec naming a bad setting.

    ``config`` is a KernelContainerConfig, a mapping of its fields, or an image name with
    the other settings as keywords (``install_kernelspec("IMG", gpus="0")``), read the way
    a kernelspec is. A kernelspec of the same name is never replaced when it is not
    labcontainer's (ForeignKernelspec), and a labcontainer one only with ``replace=True``
    (else KernelspecExists). With a ``service``, an image on this machine is probed first
    (unless ``inject_ipykernel``): ImageLacksIpykernel if it has no python3; an image with
    Python but no ipykernel is accepted with a note (its kernels get an ipykernel bundle)."""
    config = _as_config(config, settings)
    config.check_pool_possible()
    # Lower case, as jupyter_client stores kernelspec names.
    name = check_kernelspec_name(name or default_name(config.image, config.gpus, config.connection)).lower()
    kernels_dir = Path(prefix, "share", "jupyter", "kernels") if prefix else Path(jupyter_data_dir(), "kernels")
    _refuse_to_overwrite(name, kernels_dir / name, replace=replace, shadows=prefix is None)
    note = ""
    if service is not None:  # what only the service knows: its forbidden_mounts, its networks
        service.checks.mounts(parse_volume(v) for v in config.volumes)
        service.checks.network(config.network)
    if service is not None and not config.inject_ipykernel:
        note = check_ipykernel(service, config.image)
    spec = {
        "argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name or default_display_name(config.image, config.gpus, config.connection),
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {
            "labcontainer": True,
            "debugger": False,
            "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME, "config": config.to_kernelspec_config()},
        },
    }
    if prefix:
        _make_readable_dirs(kernels_dir)
    with tempfile.TemporaryDirectory() as staging:
        (Path(staging) / "kernel.json").write_text(json.dumps(spec, indent=1))
        if LOGO.exists():
            shutil.copy(LOGO, Path(staging) / "logo-svg.svg")
        # tempfile makes 0700 folders and the umask may hide files: a kernelspec under a
        # shared --prefix must be readable by every user of the machine.
        _make_readable(Path(staging))
        destination = KernelSpecManager().install_kernel_spec(staging, kernel_name=name, user=prefix is None, prefix=prefix)
    _make_readable(Path(destination))
    return dataclasses.replace(_info(name, spec, destination), note=note)


def _as_config(config: Any, settings: Mapping[str, Any]) -> KernelContainerConfig:
    where = "install_kernelspec()"
    if isinstance(config, str):
        return KernelContainerConfig.from_mapping({"image": config, **settings}, where=where)
    if isinstance(config, KernelContainerConfig):
        config = dataclasses.replace(config, **settings) if settings else config
        config.validate()
        return config
    # A mapping is read like a kernelspec's config; anything else gets from_mapping's message.
    return KernelContainerConfig.from_mapping({**config, **settings} if isinstance(config, Mapping) else config, where=where)


def _refuse_to_overwrite(name: str, destination: Path, *, replace: bool, shadows: bool) -> None:
    """Raise unless writing ``name`` at ``destination`` replaces, or (``shadows``: the user's
    own folder, searched first) hides, nothing but a labcontainer kernelspec the caller
    asked to replace."""
    found = KernelSpecManager().find_kernel_specs() if shadows else {}
    places = {destination} | ({Path(found[name])} if name in found else set())
    for place in sorted(p for p in places if p.exists()):
        try:
            spec = json.loads((place / "kernel.json").read_text())
        except (OSError, ValueError):
            spec = None  # a folder without a readable kernel.json is somebody's too
        if not isinstance(spec, dict) or not is_labcontainer_spec(spec):
            raise ForeignKernelspec(name, str(place))
        if not replace:
            raise KernelspecExists(name, _info(name, spec, str(place)).image, str(place))


def _make_readable(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _make_readable_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents as 0755, whatever the umask."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir()
        os.chmod(path, 0o755)


def list_kernelspecs() -> list[KernelspecInfo]:
    """labcontainer's container kernelspecs (others are left out)."""
    manager = KernelSpecManager()
    found = []
    for name, entry in sorted(manager.get_all_specs().items()):
        spec = entry.get("spec", {})
        if is_labcontainer_spec(spec):
            found.append(_info(name, spec, entry.get("resource_dir", "")))
    return found


def remove_kernelspec(name: str) -> None:
    """Remove one of labcontainer's kernelspecs (never anyone else's)."""
    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(name)
    except NoSuchKernel:
        raise KernelspecNotFound(name) from None
    if not is_labcontainer_spec({"metadata": spec.metadata}):
        raise KernelspecNotFound(name)
    manager.remove_kernel_spec(name)


def _info(name: str, spec: dict[str, Any], resource_dir: str) -> KernelspecInfo:
    # A hand-edited kernel.json may hold anything: list it rather than fail the whole list.
    config = spec.get("metadata", {}).get("kernel_provisioner", {}).get("config", {})
    config = config if isinstance(config, dict) else {}
    volumes = config.get("volumes")
    return KernelspecInfo(
        name=name,
        display_name=str(spec.get("display_name", name)),
        image=str(config.get("image", "")),
        gpus=config.get("gpus") if isinstance(config.get("gpus"), str) else None,
        volumes=tuple(str(v) for v in volumes) if isinstance(volumes, list) else (),
        language=spec.get("language", "python"),
        pool=config["pool"] if isinstance(config.get("pool"), int) and not isinstance(config.get("pool"), bool) else 0,
        resource_dir=str(resource_dir),
        connection=_connection_names(config.get("connection")),
    )


def _connection_names(value: Any) -> tuple[str, ...]:
    """A kernelspec's ``connection`` as read back: one name or a list (a hand edit may hold either)."""
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
