"""``%container`` subcommands about containers: run, ps, logs, exec, lifecycle, inspect, stats.

Functions print what podman would print (names of stopped containers, streamed output)
and return data (lists of records that display as tables). Mistakes raise labcontainer
errors; the magic turns them into one UsageError paragraph.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import weakref
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable

from ..core.errors import InvalidSpec, LabContainerError
from ..core.models import ContainerInfo
from ..core.specs import parse_env, parse_filters
from ..service import LabService
from .images import PULL_POLICIES, pull_for_run
from .commands import add_exec_options, non_negative_int, subcommand
from .render import CONTAINER_COLUMNS, STATS_COLUMNS, ExitStatus, Inspection, Records
from .terminal import interactive, reads_stdin


def containers_table(items: list[ContainerInfo], note: str = "") -> Records:
    return Records(items, CONTAINER_COLUMNS, empty="No containers. Start one with `%container run -d IMAGE`.", note=note)


def _command_words(words: list[str]) -> list[str]:
    return words[1:] if words[:1] == ["--"] else words


def _add_terminal_options(parser: argparse.ArgumentParser) -> None:
    """podman's -i and -t, also as -it / -ti: either one asks for a terminal."""
    parser.add_argument("-i", "--interactive", action="store_true", help="keep stdin open (with -t: a terminal)")
    parser.add_argument("-t", "--tty", action="store_true", help="a terminal: here in terminal IPython, a button in a notebook")


run = subcommand("run", "Run a command in a new container (options go before IMAGE).")
run.add_argument("-d", "--detach", action="store_true", help="run in the background and print the container id")
run.add_argument("--name", help="a name for the container")
run.add_argument("--rm", action="store_true", help="remove the container when it exits")
run.add_argument("-v", "--volume", action="append", default=[], metavar="HOST:CONTAINER[:ro]", help="mount a host folder (repeatable)")
run.add_argument("-p", "--publish", action="append", default=[], metavar="[IP:]HOST:CONTAINER", help="publish a port (repeatable)")
run.add_argument("--gpus", metavar="all|0|0,1|count=N", help="GPUs to give the container (see %%gpus --free)")
run.add_argument("--shm-size", metavar="SIZE", help="size of /dev/shm, e.g. 8g")
run.add_argument("--network", help="container network (default: Podman's)")
run.add_argument("--pull", choices=PULL_POLICIES, default="missing",
                 help="pull the image first: missing (default: only when it is not here), always, never")
add_exec_options(run)
_add_terminal_options(run)
run.add_argument("image", help="image to run")
run.add_argument("command", nargs=argparse.REMAINDER, help="command and arguments (default: the image's)")


@run.runs
def do_run(service: LabService, args: argparse.Namespace) -> Any:
    spec = service.build_spec(
        args.image,
        _command_words(list(args.command)),
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
        podman_cli=True,  # -e NAME and -p H:C as podman does: this kernel is the user's own
    )
    # As `podman run` does: pull first (with `%container pull`'s progress), then create. A
    # failed or interrupted pull raises here, before any container exists.
    pull_for_run(service, spec.image, args.pull)
    terminal = args.interactive or args.tty
    if terminal:  # a TTY and open stdin, so that an attach can type into it; Podman does --rm
        spec = dataclasses.replace(spec, tty=True, stdin_open=True, remove=args.rm)
    held = service.gpu_check.note(spec.gpus)  # asked before the run: then this container holds them too
    info = service.run(spec)
    if held:
        print(held, flush=True)
    if spec.gpus:
        _note_gpus_without_nvml(service, spec.gpus)
    if terminal and not args.detach:
        return interactive(service, info.name, "attach")
    if args.detach:
        print(info.id)
        return None
    return _attach(service, info, remove=args.rm)


#: Services that already gave the note below: once per session is enough.
_gpu_note_given: weakref.WeakSet[LabService] = weakref.WeakSet()


def _note_gpus_without_nvml(service: LabService, devices: tuple[str, ...]) -> None:
    """--gpus was taken on trust: say so when NVML cannot see the GPUs it names."""
    if service in _gpu_note_given or service.gpu_view(running=[]).gpus:
        return
    _gpu_note_given.add(service)
    names = ", ".join(devices)
    print(f"Note: NVML sees no GPU here, so labcontainer cannot check --gpus; using the CDI device(s) {names} as configured.")


def _print_batches(batches: Iterable[list[str]]) -> None:
    # One write per read, not one per line: in a notebook every flushed write becomes a
    # message to the browser.
    for batch in batches:
        if batch:
            print("\n".join(batch), flush=True)


def _attach(service: LabService, info: ContainerInfo, *, remove: bool) -> ExitStatus:
    try:
        _print_batches(service.log_batches(info.id, follow=True))
        code = service.wait(info.id)
    except KeyboardInterrupt:
        print(
            f"\nStopped following {info.name}; it is still running. "
            f"Use `%container logs -f {info.name}` to follow again or `%container stop {info.name}`.",
            file=sys.stderr,
        )
        return ExitStatus(exit_code=-1, container=info.name)
    # The lines above were stdout and stderr merged, as they came; read once more, apart,
    # so the result holds both as `exec`'s does.
    stdout, stderr = service.output(info.id)
    if remove:
        service.remove(info.id, force=True)
    return ExitStatus(exit_code=code, stdout=stdout, stderr=stderr, container=info.name)


ps = subcommand("ps", "List containers (running ones; -a for all).")
ps.add_argument("-a", "--all", action="store_true", help="stopped containers too")
ps.add_argument("-f", "--filter", action="append", default=[], metavar="KEY=VALUE", help="Podman's filters, e.g. name=train")
ps.add_argument("--labcontainer", action="store_true", help="only containers labcontainer started")


@ps.runs
def do_ps(service: LabService, args: argparse.Namespace) -> Any:
    filters = parse_filters(args.filter, example="name=train")
    items = service.containers(all=args.all, scope="labcontainer" if args.labcontainer else "mine", filters=filters)
    return containers_table(items)


logs = subcommand("logs", "Show a container's output.")
logs.add_argument("-f", "--follow", action="store_true", help="keep printing new output until the container stops")
logs.add_argument("--tail", type=non_negative_int, metavar="N", help="only the last N lines")
logs.add_argument("-t", "--timestamps", action="store_true", help="show when each line was written")
logs.add_argument("name", help="container name or id")


@logs.runs
def do_logs(service: LabService, args: argparse.Namespace) -> Any:
    try:
        _print_batches(service.log_batches(args.name, tail=args.tail, follow=args.follow, timestamps=args.timestamps))
    except KeyboardInterrupt:
        pass
    return None


exec_ = subcommand("exec", "Run a command in a running container.")
add_exec_options(exec_)
exec_.add_argument("-u", "--user", help="user (name or uid[:gid]) to run the command as")
_add_terminal_options(exec_)
exec_.add_argument("name", help="container name or id")
exec_.add_argument("command", nargs=argparse.REMAINDER, help="command and arguments")


@exec_.runs
def do_exec(service: LabService, args: argparse.Namespace) -> Any:
    command = _command_words(list(args.command))
    if args.interactive or args.tty:
        return interactive(service, args.name, "exec", command, user=args.user, workdir=args.workdir, env=args.env)
    if not command:
        raise InvalidSpec("Say what to run.", hint="Use %container exec NAME COMMAND [ARG...], or %container exec -it NAME for a shell.")
    if reads_stdin(command):
        print(
            f"Note: `{command[0]}` waits for input, but `%container exec` gives it none (stdin is closed), so it ends at once; "
            f"for an interactive session use `%container exec -it {shlex.quote(args.name)} {shlex.join(command)}`.",
            flush=True,
        )
    session = service.exec_stream(args.name, command, workdir=args.workdir, env=parse_env(args.env), user=args.user)
    return stream_session(session, args.name)


def stream_session(session, container: str) -> ExitStatus:
    """Print an exec's output live, into the cell; return how it ended."""

    def echo(stream_name: str, text: str) -> None:
        target = sys.stderr if stream_name == "stderr" else sys.stdout
        target.write(text)
        target.flush()

    result = session.collect(echo)
    return ExitStatus(exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr, container=container)


def _each(names: list[str], action: Callable[[str], None]) -> None:
    """Act on each name like podman does: print the ones done, report all failures after."""
    failures: list[LabContainerError] = []
    for name in names:
        try:
            action(name)
            print(name)
        except LabContainerError as exc:
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        combined = LabContainerError("\n".join(str(f) for f in failures))
        combined.http_status = max(f.http_status for f in failures)  # whose fault, for the magic
        raise combined


def _names(name: str, summary: str) -> argparse.ArgumentParser:
    parser = subcommand(name, summary)
    parser.add_argument("names", nargs="+", metavar="NAME", help="container names or ids")
    return parser


#: How long a stop may take before we say what it waits for (most take well under this).
STOP_NOTE_AFTER = 1.0


def _stopping(name: str, action: Callable[[], None], seconds: Callable[[], int]) -> None:
    """Run a stop (or a forced rm); if NAME has not stopped after a moment, it is ignoring
    SIGTERM and Podman waits out its timeout: say so rather than hang in silence."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labcontainer-stop")
    try:
        future = pool.submit(action)
        if not wait([future], timeout=STOP_NOTE_AFTER).done:
            try:
                until = f"up to {seconds()} s"
            except LabContainerError:  # it may be gone by now; the stop's own result says
                until = "out its stop timeout"
            print(f"Waiting {until} for {name} to stop, then SIGKILL (it has not exited on SIGTERM).", flush=True)
        future.result()  # the stop's own failure, if any, raised here
    finally:
        pool.shutdown(wait=False)  # after Ctrl-C the stop goes on; Podman finishes it anyway


def _stop(service: LabService, name: str, time: int | None) -> None:
    seconds = service.stop_timeout(name) if time is None else time
    _stopping(name, lambda: service.stop(name, timeout=seconds), lambda: seconds)


start = _names("start", "Start stopped containers.")
start.runs(lambda service, args: _each(args.names, service.start))
stop = _names("stop", "Stop running containers (SIGTERM, then SIGKILL).")
stop.add_argument("-t", "--time", type=non_negative_int, help="seconds to wait before SIGKILL (default: the container's stop timeout, usually 10)")
stop.runs(lambda service, args: _each(args.names, lambda n: _stop(service, n, args.time)))
restart = _names("restart", "Restart containers.")
restart.runs(lambda service, args: _each(args.names, service.restart))
kill = _names("kill", "Send a signal (default SIGKILL) to containers.")
kill.add_argument("-s", "--signal", default="SIGKILL", help="signal name or number, e.g. SIGINT or 2")


@kill.runs
def do_kill(service: LabService, args: argparse.Namespace) -> Any:
    signal = args.signal.upper()
    if not (signal.isdigit() or signal.isalpha() or (signal.startswith("SIG") and signal[3:].isalpha())):
        raise InvalidSpec(f"Bad signal '{args.signal}'.", hint="Use e.g. -s SIGINT or -s 2.")
    if not signal.isdigit() and not signal.startswith("SIG"):
        signal = f"SIG{signal}"
    _each(args.names, lambda n: service.kill(n, signal=signal))


rm = _names("rm", "Remove containers you name (-f: even running ones).")
rm.add_argument("-f", "--force", action="store_true", help="stop running containers first")
rm.add_argument("-v", "--volumes", action="store_true", help="also remove their anonymous volumes")


@rm.runs
def do_rm(service: LabService, args: argparse.Namespace) -> Any:
    def remove(name: str) -> None:
        if not args.force:
            service.remove(name, volumes=args.volumes)
            return
        # rm -f stops a running container first, waiting out its stop timeout if need be.
        _stopping(name, lambda: service.remove(name, force=True, volumes=args.volumes), lambda: service.stop_timeout(name))

    _each(args.names, remove)


inspect = subcommand("inspect", "Podman's full description of a container.")
inspect.add_argument("name", help="container name or id")
inspect.runs(lambda service, args: Inspection(service.inspect(args.name)))

stats = subcommand("stats", "CPU, memory and processes of running containers.")
stats.add_argument("name", nargs="?", help="one container (default: all running)")
stats.runs(lambda service, args: Records(service.stats(args.name), STATS_COLUMNS, empty="No running containers."))

# Run by ContainerMagics itself (magics/__init__.py): the panel offers every server, not one service.
subcommand("panel", "Show the container panel (buttons instead of typing; a Server dropdown when you have several).")
