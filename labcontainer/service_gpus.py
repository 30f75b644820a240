"""What a container's ``--gpus`` meets on this machine: ``service.gpu_check``.

Two things the GPU view knows and Podman does not say:

- a GPU that does not exist: ``--gpus 3`` on a machine with GPUs 0 and 1 is refused naming
  the GPUs there are (Podman would blame the CDI set-up, which is fine);
- a GPU someone holds: a running container asked for it, a container kernel of a notebook
  runs on it, or a process (this user's or another's) uses it. That is a one-line note, not
  a refusal: podman shares a GPU too, and sharing is often what the user wants.

When NVML cannot see the GPUs (no driver, a machine reached without nvidia-smi), nothing is
checked: ``--gpus`` is taken on trust, as Podman takes it.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from .core.errors import InvalidSpec
from .core.models import LABEL_NOTEBOOK, PURPOSE_KERNEL, ContainerInfo, GpuInfo, GpuView, gpu_id


def _spoken_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def gpus_named(view: GpuView, devices: Iterable[str]) -> tuple[list[GpuInfo], list[str]]:
    """The GPUs of ``view`` that CDI ``devices`` name, and the ids that name none of them."""
    found: list[GpuInfo] = []
    unknown: list[str] = []
    for device in devices:
        ident = gpu_id(device)
        matches = list(view.gpus) if ident == "all" else [g for g in view.gpus if ident in (str(g.index), g.uuid)]
        if not matches:
            unknown.append(ident)
        found += [g for g in matches if g not in found]
    return found, unknown


def holders(gpu: GpuInfo, containers: Sequence[ContainerInfo], me: str | None) -> list[str]:
    """Who holds ``gpu``, in words: "container web", "the kernel of train.ipynb", "container
    train of bob" (another member's, by its process or its reservation in the shared
    folder), "process 4242 of bob" (``me``: this user, whose own host processes are "your
    process 4242")."""
    by_name = {c.name: c for c in containers}
    # Another member's container (not in our list: seen through its conmon) is named with its
    # owner, as its reservation in the shared folder is ("web of bob").
    names = sorted({
        p.container_name if p.container_name in by_name or not p.user or p.user == me else f"{p.container_name} of {p.user}"
        for p in gpu.processes if p.container_name
    } | set(gpu.reserved_by))
    words = []
    for name in names:
        container = by_name.get(name)
        notebook = container.labels.get(LABEL_NOTEBOOK, "") if container is not None else ""
        if container is not None and container.purpose == PURPOSE_KERNEL:
            words.append(f"the kernel of {notebook.rsplit('/', 1)[-1]}" if notebook else f"the container kernel {name}")
        else:
            words.append(f"container {name}")
    for process in gpu.processes:
        if process.container_name:
            continue
        if process.container_id:
            mine = me is None or not process.user or process.user == me
            words.append(f"container {process.container_id[:12]}" + ("" if mine else f" of {process.user}"))
        elif me is not None and process.user == me:
            words.append(f"your process {process.pid}")
        else:
            words.append(f"process {process.pid} of {process.user or 'another user'}")
    return words


class GpuCheck:
    """``service.gpu_check``: built by LabService on its GPU view and its running containers."""

    def __init__(self, view: Callable[[list[ContainerInfo] | None], GpuView], running: Callable[[], list[ContainerInfo]],
                 me: Callable[[], str | None]) -> None:
        """``view(running)``: the GPU view (None: it lists the running containers itself);
        ``running``: the running containers; ``me``: this user's name."""
        self._view = view
        self._running = running
        self._me = me

    def exists(self, devices: Sequence[str]) -> None:
        """Refuse CDI ``devices`` that name no GPU of this machine, saying which GPUs exist."""
        if not devices:
            return
        view = self._view(None)
        if not view.gpus:  # no driver, or NVML sees none: taken on trust, as Podman takes it
            return
        _, unknown = gpus_named(view, devices)
        if unknown:
            there = _spoken_list([str(g.index) for g in view.gpus])
            plural = "GPUs" if len(view.gpus) > 1 else "GPU"
            missing = _spoken_list(unknown)
            raise InvalidSpec(
                f"There is no GPU {missing} on this machine: it has {plural} {there}.",
                hint="`%gpus` shows them and who uses them; e.g. --gpus 0, --gpus all or --gpus count=1.",
            )

    def note(self, devices: Sequence[str]) -> str:
        """One line naming who holds the GPUs ``devices`` name ('' when nobody does, or when
        the GPUs cannot be seen). Ask before the run: afterwards the new container holds them too."""
        if not devices:
            return ""
        running = self._running()
        view = self._view(running)
        gpus, _ = gpus_named(view, devices)
        try:
            me = self._me()
        except Exception:  # noqa: BLE001 - a note never fails a run
            me = None
        held = [(g, holders(g, running, me)) for g in gpus if g.processes or g.reserved_by]
        if not held:
            return ""
        parts = [f"GPU {g.index} is in use by {_spoken_list(who)}" for g, who in held]
        it = "it" if len(held) == 1 else "them"
        return f"Note: {'; '.join(parts)}. The container shares {it} (memory and compute)."
