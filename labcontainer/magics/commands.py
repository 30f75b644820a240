"""One small function per ``%container`` subcommand: parsed args in, records out.

Functions print what podman would print (names of stopped containers, streamed output)
and return data (lists of records that display as tables).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, Callable

from IPython.core.error import UsageError

from ..errors import LabContainerError
from ..models import ContainerInfo
from ..render import CONTAINER_COLUMNS, IMAGE_COLUMNS, STATS_COLUMNS, Records, Table, human_mib
from ..service import LabService
from .progress import pull_progress


@dataclass(frozen=True)
class ExitStatus:
    """What an attached run or an exec ended with; shows as one short line."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    container: str = ""

    def __repr__(self) -> str:
        return f"exit code {self.exit_code}"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


def containers_table(items: list[ContainerInfo], note: str = "") -> Records:
    return Records(items, CONTAINER_COLUMNS, empty="No containers. Start one with `%container run -d IMAGE`.", note=note)


def do_pull(service: LabService, args: argparse.Namespace) -> Any:
    with pull_progress(args.image) as report:
        info = service.engine.pull(args.image, on_progress=report)
    return Records([info], IMAGE_COLUMNS)


def do_images(service: LabService, args: argparse.Namespace) -> Any:
    return Records(service.engine.images(), IMAGE_COLUMNS, empty="No images. Pull one with `%container pull IMAGE`.")


def do_run(service: LabService, args: argparse.Namespace) -> Any:
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    spec = service.build_spec(
        args.image,
        command,
        name=args.name,
        # Attached, --rm is done by us once the output is read (Podman would remove the
        # container before its logs could be streamed).
        remove=args.rm and args.detach,
        volumes=args.volume,
        env=args.env,
        ports=args.publish,
        gpus=args.gpus,
        shm_size=args.shm_size,
        workdir=args.workdir,
        network=args.network,
    )
    info = service.run(spec)
    if args.detach:
        print(info.id)
        return None
    return _attach(service, info, remove=args.rm)


def _attach(service: LabService, info: ContainerInfo, *, remove: bool) -> ExitStatus:
    engine = service.engine
    try:
        for line in engine.logs(info.id, follow=True):
            print(line, flush=True)
        code = engine.wait(info.id)
    except KeyboardInterrupt:
        print(
            f"\nStopped following {info.name}; it is still running. "
            f"Use `%container logs -f {info.name}` to follow again or `%container stop {info.name}`.",
            file=sys.stderr,
        )
        return ExitStatus(exit_code=-1, container=info.name)
    if remove:
        engine.remove(info.id, force=True)
    return ExitStatus(exit_code=code, container=info.name)


def do_ps(service: LabService, args: argparse.Namespace) -> Any:
    filters: dict[str, list[str]] = {}
    for item in args.filter:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"%container ps: bad filter '{item}'; use --filter KEY=VALUE, e.g. --filter name=train")
        filters.setdefault(key, []).append(value)
    items = service.engine.ps(all=args.all, filters=filters, managed_only=args.labcontainer)
    return containers_table(items)


def do_logs(service: LabService, args: argparse.Namespace) -> Any:
    try:
        for line in service.engine.logs(args.name, tail=args.tail, follow=args.follow, timestamps=args.timestamps):
            print(line, flush=True)
    except KeyboardInterrupt:
        pass
    return None


def do_exec(service: LabService, args: argparse.Namespace) -> Any:
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("%container exec: say what to run: %container exec NAME COMMAND [ARG...]")
    from ..specs import parse_env

    session = service.engine.exec_stream(args.name, command, workdir=args.workdir, env=parse_env(args.env), user=args.user)
    return stream_session(session, args.name)


def stream_session(session, container: str) -> ExitStatus:
    out: list[str] = []
    err: list[str] = []
    for stream_name, text in session:
        target = sys.stderr if stream_name == "stderr" else sys.stdout
        (err if stream_name == "stderr" else out).append(text)
        target.write(text)
        target.flush()
    return ExitStatus(exit_code=session.exit_code, stdout="".join(out), stderr="".join(err), container=container)


def _each(names: list[str], action: Callable[[str], None]) -> None:
    failures: list[LabContainerError] = []
    for name in names:
        try:
            action(name)
            print(name)
        except LabContainerError as exc:
            failures.append(exc)
    if failures:
        raise UsageError("\n".join(str(f) for f in failures))


def do_start(service: LabService, args: argparse.Namespace) -> Any:
    _each(args.names, service.engine.start)


def do_stop(service: LabService, args: argparse.Namespace) -> Any:
    _each(args.names, lambda n: service.engine.stop(n, timeout=args.time))


def do_restart(service: LabService, args: argparse.Namespace) -> Any:
    _each(args.names, service.engine.restart)


def do_kill(service: LabService, args: argparse.Namespace) -> Any:
    signal = args.signal.upper()
    if not (signal.isdigit() or signal.startswith("SIG") or signal.isalpha()):
        raise UsageError(f"%container kill: bad signal '{args.signal}'; use e.g. -s SIGINT or -s 2")
    _each(args.names, lambda n: service.engine.kill(n, signal=signal if signal.isdigit() or signal.startswith("SIG") else f"SIG{signal}"))


def do_rm(service: LabService, args: argparse.Namespace) -> Any:
    _each(args.names, lambda n: service.engine.remove(n, force=args.force, volumes=args.volumes))


def do_inspect(service: LabService, args: argparse.Namespace) -> Any:
    return service.engine.inspect(args.name)


def do_stats(service: LabService, args: argparse.Namespace) -> Any:
    return Records(service.engine.stats(args.name), STATS_COLUMNS, empty="No running containers.")


def do_panel(service: LabService, args: argparse.Namespace) -> Any:
    try:
        from ..container_panel import panel
    except ImportError as exc:  # pragma: no cover - shipped together
        raise UsageError(f"The container panel is not available in this installation ({exc}).") from None
    return panel(service)


def do_connect(service: LabService, args: argparse.Namespace) -> Any:
    engine = service.reconnect(args.url, start_service=args.start_service)
    info = engine.info()
    mode = "rootless" if info.rootless else "rootful"
    print(f"Connected to Podman {info.version} ({mode}) at {engine.url}")


def gpu_tables(service: LabService, free_only: bool) -> Any:
    running = service.running_containers()
    inventory = service.gpu_inventory(running)
    if not inventory.available:
        return Table([], [], empty=f"No GPUs: {inventory.reason}")
    if free_only:
        return FreeGpus(service.free_gpus(inventory, running))
    gpu_rows = [
        (
            g.index,
            g.name or "?",
            f"{human_mib(g.memory_used)} / {human_mib(g.memory_total)}",
            "-" if g.utilization is None else f"{g.utilization}%",
            "-" if g.temperature is None else f"{g.temperature}°C",
            "free" if g.free else (g.error or f"{len(g.processes)} process(es)"),
        )
        for g in inventory.gpus
    ]
    process_rows = [
        (g.index, p.pid, p.user or "?", p.container_name or ("(host)" if not p.container_id else p.container_id[:12]), human_mib(p.used_memory))
        for g in inventory.gpus
        for p in g.processes
    ]
    return GpuReport(
        Table(["gpu", "name", "memory used / total", "util", "temp", "state"], gpu_rows, empty="This machine has no GPUs."),
        Table(["gpu", "pid", "user", "container", "gpu memory"], process_rows, empty="No processes on any GPU."),
        inventory,
    )


class GpuReport:
    """``%gpus``: the GPU table and the process table; ``.inventory`` holds the records."""

    def __init__(self, gpus: Table, processes: Table, inventory) -> None:
        self.gpus, self.processes, self.inventory = gpus, processes, inventory

    def __repr__(self) -> str:
        return f"{self.gpus.text()}\n\n{self.processes.text()}"

    def _repr_html_(self) -> str:
        return f"{self.gpus.html()}<h4>Processes</h4>{self.processes.html()}"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


class FreeGpus(str):
    """``%gpus --free``: "0,2" — what ``%container run --gpus`` accepts — or "none"."""

    def __new__(cls, indices: list[int]):
        obj = super().__new__(cls, ",".join(str(i) for i in indices) if indices else "none")
        obj.indices = indices
        return obj


COMMANDS: dict[str, Callable[[LabService, argparse.Namespace], Any]] = {
    "pull": do_pull,
    "images": do_images,
    "run": do_run,
    "ps": do_ps,
    "logs": do_logs,
    "exec": do_exec,
    "start": do_start,
    "stop": do_stop,
    "restart": do_restart,
    "kill": do_kill,
    "rm": do_rm,
    "inspect": do_inspect,
    "stats": do_stats,
    "panel": do_panel,
    "connect": do_connect,
}

