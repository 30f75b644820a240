"""``%container`` and ``%gpus``: the podman CLI, in a notebook cell.

``%load_ext labcontainer`` registers them. Subcommands route through a dict to small
functions (commands.py); parsing mistakes and labcontainer errors become UsageError, so
the user sees one clear paragraph and no traceback.
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from ..errors import LabContainerError
from ..service import LabService, default_service
from .commands import COMMANDS, gpu_tables, stream_session
from .parsing import build_parsers, parse_exec_cell_line, split_line

HELP = """%container SUBCOMMAND [OPTIONS] — the podman CLI in a notebook.

  pull IMAGE                 images
  run [-d] [--name N] [--rm] [-v H:C[:ro]]... [-e K=V]... [-p H:C]... [--gpus all|0|0,1|count=N]
      [--shm-size S] [-w DIR] [--network NET] IMAGE [CMD...]
  ps [-a] [--labcontainer] [-f KEY=VALUE]       logs [-f] [--tail N] NAME
  exec [-w DIR] [-e K=V] [-u USER] NAME CMD...   inspect NAME    stats [NAME]
  start|stop|restart|kill|rm NAME...            panel           connect [--url URL] [--start-service]

Cell magic: %%container exec [--bash|--python] NAME   runs the cell in the container.
%gpus shows who uses which GPU; %gpus --free prints the free ones for --gpus.
Python variables expand: %container logs {name}.  `%container SUBCOMMAND --help` for details."""


@magics_class
class ContainerMagics(Magics):
    def __init__(self, shell=None, service: LabService | None = None) -> None:
        super().__init__(shell)
        self._service = service
        self._parsers = build_parsers()

    @property
    def service(self) -> LabService:
        return self._service or default_service()

    @line_cell_magic
    def container(self, line: str, cell: str | None = None):
        """Manage Podman containers: `%container help` lists the subcommands."""
        if cell is not None:
            return self._exec_cell(line, cell)
        words = split_line(line)
        if not words or words[0] in ("help", "-h", "--help"):
            print(HELP)
            return None
        subcommand, rest = words[0], words[1:]
        if subcommand not in COMMANDS:
            raise UsageError(f"%container: unknown subcommand '{subcommand}'. Known: {', '.join(sorted(COMMANDS))}, help.")
        args = self._parsers[subcommand].parse_args(rest)
        try:
            return COMMANDS[subcommand](self.service, args)
        except LabContainerError as exc:
            raise UsageError(str(exc)) from None

    def _exec_cell(self, line: str, cell: str):
        args = parse_exec_cell_line(line)
        command = ["bash", "-s"] if args.interpreter == "bash" else ["python3", "-"]
        try:
            session = self.service.engine.exec_stream(args.name, command, workdir=args.workdir, stdin=cell.encode())
            return stream_session(session, args.name)
        except LabContainerError as exc:
            raise UsageError(str(exc)) from None

    @line_magic
    def gpus(self, line: str):
        """Who uses which GPU; `%gpus --free` gives the free ones in --gpus form."""
        words = split_line(line)
        unknown = [w for w in words if w != "--free"]
        if unknown:
            raise UsageError(f"%gpus: unknown option {' '.join(unknown)}; use %gpus or %gpus --free")
        return gpu_tables(self.service, free_only="--free" in words)


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(ContainerMagics(ipython))
