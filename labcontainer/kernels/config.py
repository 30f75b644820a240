"""KernelContainerConfig: the one typed description of a container kernel's settings.

Declared once here and read from every place a user states them — a kernelspec's
``metadata.kernel_provisioner.config``, the ``labcontainer kernelspec install`` flags, the
REST body of the side panel's form — with the same validation and one-paragraph messages
that name the field. The provisioner turns it into a ContainerSpec directly (records, no
CLI text to parse again).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core.errors import InvalidSpec
from ..core.models import KERNEL_CONTAINER_PREFIX  # noqa: F401  (its home is core.models: kernel_container_name)
from ..core.models import LABEL_KERNEL_ID, LABEL_NOTEBOOK, PURPOSE_KERNEL, ContainerSpec, PortSpec, VolumeSpec
from ..core.specs import check_image_reference, check_network, parse_env, parse_gpus, parse_size, parse_volume

#: Labels labcontainer sets itself; a kernelspec may not override them (clean-up and
#: adoption select containers by them).
RESERVED_LABEL_PREFIX = "org.labcontainer."
TRANSPORTS = ("ipc", "tcp")
#: The most kernels one kernelspec may keep waiting (each holds a container and its memory).
MAX_POOL = 8
CONTAINER_CONNECTION_DIR = "/conn"
CONTAINER_CONNECTION_FILE = f"{CONTAINER_CONNECTION_DIR}/kernel.json"
BUNDLE_MOUNT = "/opt/labcontainer-ipykernel"
#: Under the kernel's HOME: where Python keeps the .pyc files of a mounted (read-only)
#: ipykernel. Without it every start compiles ipykernel again (measured: 0.85 s against 0.24 s).
PYCACHE_IN_HOME = ".cache/labcontainer-pycache"


def _field(default: Any, help: str, **metadata: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, **metadata})
    return field(default=default, metadata={"help": help, **metadata})


@dataclass(frozen=True)
class KernelContainerConfig:
    """How a container kernel's container is made. Field docs are the CLI's help too."""

    image: str = _field("", "image to run the kernel in (required)")
    gpus: str | None = _field(None, "GPUs: all, 0, 0,1, GPU-<uuid> or count=N (any N free ones)")
    volumes: tuple[str, ...] = _field((), "extra HOST:CONTAINER[:ro] mounts", flag="--volume", short="-v")
    env: tuple[str, ...] = _field((), "extra NAME=VALUE environment variables", short="-e")
    shm_size: str | None = _field(None, "size of /dev/shm, e.g. 8g (PyTorch data loaders want more than 64m)")
    network: str | None = _field(None, "container network (default: Podman's default)")
    labels: Mapping[str, str] = _field({}, "extra KEY=VALUE labels on the kernel container", flag="--label")
    transport: str = _field("ipc", "ipc (no TCP port at all) or tcp (127.0.0.1 only)")
    mount_workdir: bool = _field(True, "mount the notebook's folder at the same path")
    inject_ipykernel: bool = _field(
        False, "mount this server's own ipykernel (same Python minor version only; no longer needed: "
        "an image without ipykernel gets one built for its Python)"
    )
    startup_timeout: float = _field(60.0, "seconds the kernel may take to open its sockets (after any pull)")
    pool: int = _field(
        0, "kernels kept started in advance, 0 to 8: a launch takes a waiting one and another starts in the "
        "background (ipc transport and fixed GPUs only)"
    )

    connection: tuple[str, ...] = _field(
        (), "the server to run on: a podman connection's name (default: this machine); several, with gpus "
        "count=N: the first of them with N free GPUs", flag="--connection",
    )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "the kernelspec's config") -> "KernelContainerConfig":
        """Validate a mapping of user settings (JSON-like) into a config; raises InvalidSpec
        naming the field at fault. Unknown fields are refused, not ignored."""
        if not isinstance(data, Mapping):
            raise InvalidSpec(
                f"{where[0].upper()}{where[1:]} must be an object of settings, not {type(data).__name__}.",
                hint=f"Known settings: {', '.join(cls.field_names())}.",
            )
        unknown = sorted(set(data) - set(cls.field_names()))
        if unknown:
            raise InvalidSpec(
                f"Unknown setting(s) {', '.join(unknown)} in {where}.", hint=f"Known settings: {', '.join(cls.field_names())}."
            )
        if isinstance(data.get("connection"), str):  # one server, as the form and a hand-written spec say it
            data = {**data, "connection": [data["connection"]]}
        values = {name: _check_type(name, value, where) for name, value in data.items() if value is not None}
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Check every value the way Podman and the provisioner will read it."""
        if not self.image or self.image.startswith("-") or any(c.isspace() for c in self.image):
            raise InvalidSpec(
                "A container kernel needs an image.",
                hint="Give one, e.g. --image localhost/labcontainer-kernel:latest.",
            )
        check_image_reference(self.image)
        if self.network is not None:
            check_network(self.network)  # syntax; a named network's existence: LabService.check_network
        if self.gpus is not None:
            # Only the syntax: which GPUs count=N takes is decided when the kernel starts.
            parse_gpus(self.gpus, free=range(10_000))
        for volume in self.volumes:
            parse_volume(volume)
        _parse_env_strictly(self.env)
        if self.shm_size:
            parse_size(self.shm_size, field="shm_size")
        if self.transport not in TRANSPORTS:
            raise InvalidSpec(f"Unknown transport '{self.transport}'.", hint="Use ipc (the default) or tcp.")
        if self.transport == "tcp" and self.on_other_server:
            raise InvalidSpec("A kernel on another server uses the ipc transport: its sockets are forwarded over the "
                              "server's SSH link, and no TCP port is opened there.", hint="Leave the transport out (ipc).")
        for key in self.labels:
            if key.startswith(RESERVED_LABEL_PREFIX):
                raise InvalidSpec(
                    f"The label '{key}' is reserved for labcontainer.",
                    hint=f"Choose a label that does not start with '{RESERVED_LABEL_PREFIX}'.",
                )
        for name in self.connection:
            if not name or name.startswith("-") or any(c.isspace() or c in "/:" for c in name):
                raise InvalidSpec(f"'{name}' is not a connection name.",
                                  hint="Use the name `podman system connection ls` shows, e.g. gpu2.")
        if len(self.connection) > 16:
            raise InvalidSpec("A kernel may name 16 servers at most.", hint="Name the servers it should try, in order.")
        if len(set(self.connection)) != len(self.connection):
            raise InvalidSpec("A connection is named twice in the kernel's servers.", hint="Name each server once.")
        self._validate_pool()
        if not 0 < self.startup_timeout <= 3600:
            raise InvalidSpec(
                f"startup_timeout {self.startup_timeout} is out of range.", hint="Use a number of seconds from 1 to 3600."
            )

    def _validate_pool(self) -> None:
        if not 0 <= self.pool <= MAX_POOL:
            raise InvalidSpec(f"pool {self.pool} is out of range.", hint=f"Use 0 (no pool) to {MAX_POOL} waiting kernels.")

    def check_pool_possible(self) -> None:
        """Refuse, as a kernelspec is written, a pool its other settings make impossible. (A
        kernelspec edited by hand that has one anyway still starts: cold, with a warning in
        the server log; see kernels/pool.py why_not_pooled.)"""
        obstacle = self.pool_obstacle() if self.pool else None
        if obstacle is not None:
            raise obstacle[1]

    def pool_obstacle(self) -> tuple[str, InvalidSpec] | None:
        """What keeps kernels of these settings from waiting in a pool: a short reason (for
        the server log) and the refusal a kernelspec being written gets; None if nothing."""
        if self.gpus and self.gpus.strip().startswith("count="):
            # Which GPUs count=N takes depends on what is free at the launch; a kernel
            # started in advance would have chosen them earlier.
            return f"its GPUs ({self.gpus}) are chosen at each launch", InvalidSpec(
                f"A pool needs fixed GPUs, and gpus={self.gpus} chooses them when the kernel starts.",
                hint="Name the GPUs (gpus 0, 0,1 or all), or set the pool to 0.",
            )
        if self.on_other_server:
            # A waiting kernel's sockets would be forwarded over an SSH link for nobody; we
            # chose to keep pools on this machine, where taking one costs no round trip.
            return "it runs on another server", InvalidSpec(
                f"A pool works on this machine only, and this kernel runs on {', '.join(self.connection)}.",
                hint="Set the pool to 0 for a kernel on another server, or leave its connection out.",
            )
        if self.transport != "ipc":
            return "its transport is tcp", InvalidSpec(
                "A pool works with the ipc transport only (a tcp kernel's ports are chosen at its launch).",
                hint="Use the ipc transport (the default), or set the pool to 0.",
            )
        return None

    @property
    def on_other_server(self) -> bool:
        """Whether the kernel runs over a podman connection rather than on this machine."""
        return any(name != "local" for name in self.connection)

    def to_kernelspec_config(self) -> dict[str, Any]:
        """The JSON written in a kernelspec: only what differs from the defaults."""
        defaults = KernelContainerConfig()
        out: dict[str, Any] = {"image": self.image}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "image" and value != getattr(defaults, f.name):
                out[f.name] = list(value) if isinstance(value, tuple) else dict(value) if isinstance(value, Mapping) else value
        return out

    def container_spec(
        self,
        *,
        name: str,
        kernel_id: str,
        argv: Sequence[str],
        connection_dir: Path,
        workdir: str | None,
        home: Path | None,
        env: Mapping[str, str],
        gpu_devices: tuple[str, ...],
        tcp_ports: Sequence[int] = (),
        rootless: bool,
        uid: int,
        gid: int,
        ipykernel_bundle: str | None = None,
        notebook: str | None = None,
    ) -> ContainerSpec:
        """The container for one kernel start. ``env`` is what the launch adds (session
        name...); ``gpu_devices`` are already-resolved CDI names."""
        volumes = [VolumeSpec(str(connection_dir), CONTAINER_CONNECTION_DIR)]
        if self.mount_workdir and workdir:
            volumes.append(VolumeSpec(workdir, workdir))
        if home is not None:
            volumes.append(VolumeSpec(str(home), str(home)))
        volumes += [parse_volume(v) for v in self.volumes]
        environment = {"PYDEVD_DISABLE_FILE_VALIDATION": "1", **env}
        if home is not None:
            environment["HOME"] = str(home)
        if ipykernel_bundle:
            volumes.append(VolumeSpec(ipykernel_bundle, BUNDLE_MOUNT, read_only=True))
            environment["PYTHONPATH"] = BUNDLE_MOUNT
            if home is not None:
                # The bundle is read-only and its .pyc files could not be made on the host
                # (another Python): the kernel writes them once into its persistent HOME.
                environment["PYTHONPYCACHEPREFIX"] = str(home / PYCACHE_IN_HOME)
        environment.update(_parse_env_strictly(self.env))
        return ContainerSpec(
            image=self.image,
            command=tuple(a.replace("{connection_file}", CONTAINER_CONNECTION_FILE) for a in argv),
            name=name,
            volumes=tuple(volumes),
            env=environment,
            ports=tuple(PortSpec(host_port=p, container_port=p, host_ip="127.0.0.1") for p in tcp_ports),
            gpus=gpu_devices,
            shm_size=parse_size(self.shm_size, field="shm_size") if self.shm_size else None,
            workdir=workdir if self.mount_workdir else None,
            network=self.network,
            # init: as PID 1 the kernel ignores SIGTERM, so every stop would wait for SIGKILL.
            init=True,
            # Files written in the work folder must belong to the user on the host.
            userns="keep-id" if rootless else None,
            user=None if rootless else f"{uid}:{gid}",
            labels={**self.labels, LABEL_KERNEL_ID: kernel_id, **({LABEL_NOTEBOOK: notebook} if notebook else {})},
            purpose=PURPOSE_KERNEL,
        )


def kernel_home() -> Path:
    """HOME inside container kernels: one persistent folder per user, under their Jupyter
    data dir — not the notebook folder, where ``.ipython/``, ``pip install --user``, caches
    and dotfiles would land beside the notebooks. Mounted at the same path."""
    from jupyter_core.paths import jupyter_data_dir

    home = Path(os.environ.get("LABCONTAINER_KERNEL_HOME") or Path(jupyter_data_dir()) / "labcontainer" / "home")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def _parse_env_strictly(items: Sequence[str]) -> dict[str, str]:
    # A kernelspec is read later, elsewhere: a bare NAME (value taken from the current
    # process, as `podman run -e NAME` does) would mean something different each time.
    for item in items:
        if "=" not in item:
            raise InvalidSpec(f"Environment setting '{item}' has no value.", hint="Write it as NAME=VALUE.")
    return parse_env(items, inherit=False)


def _check_type(name: str, value: Any, where: str) -> Any:
    expected = {f.name: f.type for f in dataclasses.fields(KernelContainerConfig)}[name]
    wrong = InvalidSpec(f"The setting '{name}' in {where} has the wrong type ({type(value).__name__}).")
    if expected.startswith("tuple"):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise InvalidSpec(f"The setting '{name}' in {where} must be a list of strings.")
        return tuple(value)
    if expected.startswith("Mapping"):
        if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise InvalidSpec(f"The setting '{name}' in {where} must be an object of string values.")
        return dict(value)
    if expected == "bool":
        if not isinstance(value, bool):
            raise wrong
        return value
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidSpec(f"The setting '{name}' in {where} must be a whole number.")
        return value
    if expected == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
        return float(value)
    if not isinstance(value, str):
        raise wrong
    return value
