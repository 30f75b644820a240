"""The ``%container`` subcommand table: each subcommand's parser sits beside its function.

A module declares a subcommand with :func:`subcommand`, adds its options to the returned
parser, and decorates the function that runs it::

    ps = subcommand("ps", "List containers (running ones; -a for all).")
    ps.add_argument("-a", "--all", action="store_true", help="stopped ones too")

    @ps.runs
    def do_ps(service, args): ...

The help text is generated from the registry, so it never drifts from what is accepted.
Parsing mistakes raise UsageError (a short message, no traceback); ``--help`` prints the
help once and stops (HelpShown). The line is split like a shell would (``shlex``), but
nothing ever goes through a shell.
"""

from __future__ import annotations

import argparse
import difflib
import shlex
from typing import Any, Callable, NoReturn

from IPython.core.error import UsageError

from ..service import LabService

Runner = Callable[[LabService, argparse.Namespace], Any]


class HelpShown(Exception):
    """``--help`` was asked for and printed: stop quietly."""


class MagicParser(argparse.ArgumentParser):
    """argparse that reports mistakes as UsageError instead of exiting."""

    runner: Runner | None = None

    def error(self, message: str) -> NoReturn:
        required = "the following arguments are required: "
        if message.startswith(required):
            # argparse lists a REMAINDER (an optional command) as required: it is not.
            optional = {a.dest for a in self._actions if a.nargs == argparse.REMAINDER}
            names = [n for n in message.removeprefix(required).split(", ") if n not in optional]
            message = required + ", ".join(names)
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        # argparse calls exit() after printing --help; the help is already shown.
        raise HelpShown()

    def runs(self, function: Runner) -> Runner:
        """Decorator: ``function(service, args)`` runs this subcommand."""
        self.runner = function
        return function


SUBCOMMANDS: dict[str, MagicParser] = {}


def subcommand(name: str, summary: str) -> MagicParser:
    """Declare ``%container NAME``; returns its parser to add options to."""
    parser = MagicParser(prog=f"%container {name}", description=summary)
    SUBCOMMANDS[name] = parser
    return parser


def split_line(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%container: cannot parse the line ({exc}). Check your quotes.") from None


def global_connection(words: list[str]) -> tuple[str | None, list[str]]:
    """The podman CLI's global flag, before the subcommand: ``-c NAME``, ``--connection NAME``
    or ``--connection=NAME``; returns (the name or None, the words after it)."""
    if words and words[0].startswith("--connection="):
        name = words[0].split("=", 1)[1]
        if not name:
            raise UsageError("%container: --connection needs a connection name, e.g. %container -c gpu2 ps")
        return name, words[1:]
    if words and words[0] in ("-c", "--connection"):
        if len(words) < 2 or words[1].startswith("-"):
            raise UsageError(f"%container: {words[0]} needs a connection name, e.g. %container -c gpu2 ps")
        return words[1], words[2:]
    return None, words


def unknown_subcommand(name: str) -> UsageError:
    """The podman CLI's "did you mean" for a mistyped subcommand."""
    close = difflib.get_close_matches(name, SUBCOMMANDS, n=1)
    guess = f" Did you mean `%container {close[0]}`?" if close else ""
    return UsageError(f"%container: unknown subcommand '{name}'.{guess} `%container help` lists them all.")


def help_text() -> str:
    """The overview ``%container help`` prints, generated from the registered parsers."""
    lines = ["%container SUBCOMMAND [OPTIONS] — the podman CLI in a notebook.",
             "%container -c NAME SUBCOMMAND ... (or --connection NAME): on another server, one of your `podman system connection`s.", ""]
    for name, parser in SUBCOMMANDS.items():
        usage = parser.format_usage().strip().removeprefix("usage: ")
        lines.append(f"  {usage}")
        lines.append(f"      {parser.description}")
    lines += [
        "",
        "Cell magic: %%container exec [--bash|--python] NAME   runs the cell in the container.",
        "%container system connection ls lists the servers and whether each answers.",
        "%gpus [-c NAME | --all] shows who uses which GPU; %gpus --free prints the free ones for --gpus.",
        "Python variables expand: %container logs {name}.  `%container SUBCOMMAND --help` for details.",
    ]
    return "\n".join(lines)


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


def add_exec_options(parser: argparse.ArgumentParser) -> None:
    """``-w`` and ``-e``, shared by ``exec``, ``run`` and the ``%%container exec`` cell magic."""
    parser.add_argument("-w", "--workdir", metavar="DIR", help="working directory inside the container")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE", help="set an environment variable (repeatable)")
