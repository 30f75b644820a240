"""``%container`` and ``%gpus``: the podman CLI, in a notebook cell.

``%load_ext labcontainer`` registers them. Each group of subcommands lives in its own
module (containers.py, images.py) with each parser beside its function; commands.py routes
to them and generates the help. This module is the one place failures become what the
user sees, one paragraph and never a traceback: a parsing mistake or a labcontainer error
the user can fix in the line (a 4xx kind: bad spec, no such container, wrong state) is a
UsageError; a failure of the machine, the network or Podman (a 5xx kind: pull failed, no
service, not supported here) is a ContainerFailure, shown as ``PullFailed: ...`` so it
does not read as the user's mistake.
"""

from __future__ import annotations

from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from ..core.errors import LabContainerError
from ..core.specs import parse_env
from ..service import LabService, Services, default_service, open_service
from . import containers, images, registry_commands, terminal  # noqa: F401  (they register their subcommands)
from .containers import ExitStatus, stream_session
from .gpus import FreeGpus, GpuReport, gpu_report
from .commands import (
    SUBCOMMANDS, HelpShown, MagicParser, add_exec_options, global_connection, help_text, split_line, unknown_subcommand,
)
from .servers import connection_table, gpus_everywhere, on_server

__all__ = ["ContainerFailure", "ContainerMagics", "ExitStatus", "FreeGpus", "GpuReport", "load_ipython_extension"]


class ContainerFailure(Exception):
    """A failure that is not the user's mistake (network, Podman, this machine). It stops
    the cell like any error, but IPython shows only ``Kind: message`` (its
    ``_render_traceback_`` hook, honoured by the terminal and by ipykernel): no traceback,
    and not the word "UsageError". ``error`` is the labcontainer error, for code."""

    def __init__(self, error: LabContainerError) -> None:
        super().__init__(str(error))
        self.error = error

    def _render_traceback_(self) -> list[str]:
        return f"{self.error.kind}: {self.error}".splitlines()


def _exec_cell_parser() -> MagicParser:
    parser = MagicParser(prog="%%container exec", description="Run the cell as a script in a container.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--bash", dest="interpreter", action="store_const", const="bash", help="run it with bash (default)")
    group.add_argument("--python", dest="interpreter", action="store_const", const="python", help="run it with python3")
    add_exec_options(parser)
    parser.add_argument("name", help="container name or id")
    return parser


@magics_class
class ContainerMagics(Magics):
    def __init__(self, shell=None, service: LabService | None = None) -> None:
        super().__init__(shell)
        self._service = service
        self._servers: Services[LabService] | None = None

    @property
    def service(self) -> LabService:
        """This kernel's service (no ``-c``)."""
        return self._service or default_service()

    def servers(self) -> Services[LabService]:
        """Every server: this one and the user's `podman system connection`s (read once; none connects until used)."""
        if self._servers is None:
            self._servers = Services(open_service, self.service)
        return self._servers

    def service_for(self, name: str | None) -> LabService:
        """``-c NAME``'s service (None: this kernel's); "which server" is this choice, made once per line."""
        if name is None:
            return self.service
        servers = self.servers()
        if name not in servers.by_name:
            servers.refresh()  # added since the first -c
        return servers.get(name)

    @line_cell_magic
    def container(self, line: str, cell: str | None = None):
        """Manage Podman containers: `%container help` lists the subcommands."""
        return _user_facing(lambda: self._container(line, cell))

    def _container(self, line: str, cell: str | None) -> Any:
        name, words = global_connection(split_line(line))
        if words[:2] == ["system", "connection"]:
            if words[2:] not in (["ls"], ["list"]):
                raise UsageError("%container system connection ls lists the servers; add one as for podman: "
                                 "`podman system connection add NAME ssh://USER@HOST/run/user/UID/podman/podman.sock`.")
            return connection_table(self.servers())
        if not words or words[0] in ("help", "-h", "--help"):
            print(help_text())
            return None
        if words[0] == "panel" and cell is None:
            SUBCOMMANDS["panel"].parse_args(words[1:])  # --help, or a word it does not take
            return self._panel(name)  # it names its server itself, in its heading
        service = self.service_for(name)
        return on_server(name, lambda: self._run(service, words, cell))

    def _panel(self, name: str | None) -> Any:
        """The widget panel on every server, ``-c NAME``'s shown first (none: the default connection)."""
        from ..widgets import panel  # ipywidgets only when a panel is asked for

        servers = self.servers()
        if name is not None:
            servers.get(name, refresh=True)  # one added since the first -c is read from podman's files
        return panel(servers=servers, server=name)

    def _run(self, service: LabService, words: list[str], cell: str | None) -> Any:
        if cell is not None:
            return self._exec_cell(service, words, cell)
        parser = SUBCOMMANDS.get(words[0])
        if parser is None or parser.runner is None:
            raise unknown_subcommand(words[0])
        return parser.runner(service, parser.parse_args(words[1:]))

    def _exec_cell(self, service: LabService, words: list[str], cell: str) -> ExitStatus:
        if not words or words[0] != "exec":
            raise UsageError("The cell magic runs a script in a container: %%container exec [--bash|--python] NAME")
        args = _exec_cell_parser().parse_args(words[1:])
        command = ["python3", "-"] if args.interpreter == "python" else ["bash", "-s"]
        session = service.exec_stream(args.name, command, workdir=args.workdir, env=parse_env(args.env), stdin=cell.encode())
        return stream_session(session, args.name)

    @line_magic
    def gpus(self, line: str):
        """Who uses which GPU; `%gpus --free` gives the free ones in --gpus form; `-c NAME`:
        another server's; `--all`: every server's."""
        words = split_line(line)
        name = None
        for flag in ("-c", "--connection"):  # anywhere: %gpus --free -c gpu2
            if flag in words:
                at = words.index(flag)
                name, words = global_connection(words[at:at + 2])[0], words[:at] + words[at + 2:]
        everywhere = "--all" in words
        unknown = [w for w in words if w not in ("--free", "--all")]
        if unknown or (everywhere and name):
            raise UsageError(f"%gpus: unknown option {' '.join(unknown) or '-c with --all'}; use %gpus [-c NAME | --all] [--free]")
        if everywhere:
            return _user_facing(lambda: gpus_everywhere(self.servers(), free_only="--free" in words))
        return _user_facing(lambda: on_server(name, lambda: gpu_report(self.service_for(name), free_only="--free" in words)))


def _user_facing(action: Callable[[], Any]) -> Any:
    """Run a magic's work; the one translation of failures into what the user sees."""
    try:
        return action()
    except HelpShown:
        return None
    except LabContainerError as exc:
        if exc.http_status >= 500:
            raise ContainerFailure(exc) from None
        raise UsageError(str(exc)) from None


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(ContainerMagics(ipython))
