"""Parsers for ``%container`` subcommands, with the podman CLI's names and flags.

Every mistake raises IPython's ``UsageError`` (a short message, no traceback). The line is
split like a shell would (``shlex``) but nothing ever goes through a shell.
"""

from __future__ import annotations

import argparse
import shlex
from typing import NoReturn

from IPython.core.error import UsageError


class MagicParser(argparse.ArgumentParser):
    """argparse that reports mistakes as UsageError instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%container {self.prog.split()[-1]}: {message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        # --help: show the help and stop, without SystemExit.
        raise UsageError(message or self.format_help())


def split_line(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%container: cannot parse the line ({exc}). Check your quotes.") from None


def _parser(name: str, help_text: str) -> MagicParser:
    return MagicParser(prog=f"%container {name}", description=help_text, add_help=True)


def _names(parser: MagicParser) -> MagicParser:
    parser.add_argument("names", nargs="+", metavar="NAME")
    return parser


def build_parsers() -> dict[str, MagicParser]:
    parsers: dict[str, MagicParser] = {}

    p = parsers["pull"] = _parser("pull", "Pull an image from a registry.")
    p.add_argument("image")

    parsers["images"] = _parser("images", "List local images.")

    p = parsers["run"] = _parser("run", "Run a command in a new container (options go before IMAGE).")
    p.add_argument("-d", "--detach", action="store_true", help="run in the background")
    p.add_argument("--name")
    p.add_argument("--rm", action="store_true", help="remove the container when it exits")
    p.add_argument("-v", "--volume", action="append", default=[], metavar="HOST:CONTAINER[:ro]")
    p.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("-p", "--publish", action="append", default=[], metavar="[IP:]HOST:CONTAINER")
    p.add_argument("--gpus", metavar="all|0|0,1|count=N")
    p.add_argument("--shm-size")
    p.add_argument("-w", "--workdir")
    p.add_argument("--network")
    p.add_argument("image")
    p.add_argument("command", nargs=argparse.REMAINDER)

    p = parsers["ps"] = _parser("ps", "List containers (running ones; -a for all).")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--labcontainer", action="store_true", help="only containers labcontainer started")

    p = parsers["logs"] = _parser("logs", "Show a container's output.")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("--tail", type=_non_negative_int, metavar="N")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("name")

    p = parsers["exec"] = _parser("exec", "Run a command in a running container.")
    p.add_argument("-w", "--workdir")
    p.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("-u", "--user")
    p.add_argument("name")
    p.add_argument("command", nargs=argparse.REMAINDER)

    for verb, text in (("start", "Start stopped containers."), ("restart", "Restart containers.")):
        parsers[verb] = _names(_parser(verb, text))
    p = parsers["stop"] = _names(_parser("stop", "Stop running containers (SIGTERM, then SIGKILL)."))
    p.add_argument("-t", "--time", type=_non_negative_int, default=10, help="seconds before SIGKILL")
    p = parsers["kill"] = _names(_parser("kill", "Send a signal (default SIGKILL) to containers."))
    p.add_argument("-s", "--signal", default="SIGKILL")
    p = parsers["rm"] = _names(_parser("rm", "Remove containers you name (-f: even running ones)."))
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("-v", "--volumes", action="store_true", help="also remove their anonymous volumes")

    p = parsers["inspect"] = _parser("inspect", "Podman's full description of a container.")
    p.add_argument("name")
    p = parsers["stats"] = _parser("stats", "CPU, memory and processes of running containers.")
    p.add_argument("name", nargs="?")

    parsers["panel"] = _parser("panel", "Show the container panel (buttons instead of typing).")
    p = parsers["connect"] = _parser("connect", "(Re)connect to a Podman service.")
    p.add_argument("--url", help="unix:///path/podman.sock (default: discovered)")
    p.add_argument("--start-service", action="store_true", help="start `podman system service` if none answers")
    parsers["help"] = _parser("help", "Show this help.")
    return parsers


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


def parse_exec_cell_line(line: str) -> argparse.Namespace:
    """``%%container exec [--bash|--python] NAME``."""
    parser = MagicParser(prog="%%container exec", description="Run the cell as a script in a container.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--bash", dest="interpreter", action="store_const", const="bash")
    group.add_argument("--python", dest="interpreter", action="store_const", const="python")
    parser.add_argument("-w", "--workdir")
    parser.add_argument("name")
    words = split_line(line)
    if not words or words[0] != "exec":
        raise UsageError("The cell magic runs a script in a container: %%container exec [--bash|--python] NAME")
    args = parser.parse_args(words[1:])
    args.interpreter = args.interpreter or "bash"
    return args
