"""Tables that render as HTML in notebooks and as aligned text in terminals; how an exec
or a run ended (ExitStatus); the offer of a terminal in a notebook (TerminalOffer).

``Records`` is a list (so ``x = %container ps`` is useful in code) that knows how to show
itself: IPython picks ``_repr_html_`` in a notebook and ``_repr_pretty_`` in a terminal.
"""

from __future__ import annotations

import html
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable, Literal, Sequence

from ..core.models import kernel_of
from ..core.timefmt import human_age, human_bytes
from ..kernels.records import notebook_of

Column = tuple[str, Callable[[Any], Any]]


class Table:
    """Rows of cells with headers; text and HTML renderings."""

    def __init__(self, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "(none)", note: str = "") -> None:
        self.headers = list(headers)
        self.rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
        self.empty = empty
        self.note = note
        #: The server that answered, shown as a line above the table (set for ``-c NAME``).
        self.server = ""

    def text(self) -> str:
        above = [f"on {self.server}:"] if self.server else []
        if not self.rows:
            return "\n".join(line for line in (*above, self.empty, self.note) if line)
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) for i, h in enumerate(self.headers)]
        lines = [*above, "  ".join(h.upper().ljust(widths[i]) for i, h in enumerate(self.headers)).rstrip()]
        lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in self.rows]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def html(self) -> str:
        if not self.rows:
            body = f"<p>{html.escape(self.empty)}</p>"
        else:
            head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in self.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.rows
            )
            body = f"<table class='labcontainer-table'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if self.server:
            body = f"<p>on <b>{html.escape(self.server)}</b>:</p>{body}"
        if self.note:
            body += f"<p>{html.escape(self.note)}</p>"
        return body

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text())


class Records(list):
    """A list of records that displays as a table of the given columns."""

    def __init__(self, items: Iterable[Any], columns: Sequence[Column], *, empty: str = "(none)", note: str = "") -> None:
        super().__init__(items)
        self._columns = list(columns)
        self._empty = empty
        self._note = note
        #: The server that answered, shown as a line above the table (set for ``-c NAME``).
        self.server = ""

    def table(self) -> Table:
        table = Table([name for name, _ in self._columns], ([get(item) for _, get in self._columns] for item in self), empty=self._empty, note=self._note)
        table.server = self.server
        return table

    def __repr__(self) -> str:
        return self.table().text()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return self.table().html()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.table().text())


CONTAINER_COLUMNS: list[Column] = [
    ("container id", lambda c: c.short_id),
    ("name", lambda c: shown_name(c)),
    ("image", lambda c: c.image),
    # One line, as podman ps shows it: a `python3 -c` script's newlines would break the row.
    ("command", lambda c: " ".join(" ".join(c.command).split())[:40]),
    ("created", lambda c: human_age(c.created)),
    ("status", lambda c: c.status),
    ("ports", lambda c: ", ".join(c.ports)),
    ("gpus", lambda c: ",".join(c.gpu_ids)),
]

def shown_name(container: Any) -> str:
    """A container's name in a listing: a kernel's container is the kernel of its notebook
    (its label, or the kernel's record), as the side panel shows it; its ``lc-kernel-<id>``
    name stays in the records (``x = %container ps``), and its id in the first column."""
    if not kernel_of(container):
        return container.name
    notebook = notebook_of(container)
    return f"kernel of {PurePosixPath(notebook).name}" if notebook else container.name


IMAGE_COLUMNS: list[Column] = [
    ("repository:tag", lambda i: i.name),
    ("image id", lambda i: i.short_id),
    ("created", lambda i: human_age(i.created)),
    ("size", lambda i: human_bytes(i.size)),
]

STATS_COLUMNS: list[Column] = [
    ("name", lambda s: s.name),
    ("cpu %", lambda s: f"{s.cpu_percent:.2f}%"),
    ("mem usage / limit", lambda s: f"{human_bytes(s.memory_used)} / {human_bytes(s.memory_limit)}"),
    ("pids", lambda s: s.pids),
]

DISK_USE_COLUMNS: list[Column] = [
    ("type", lambda d: d.kind),
    ("total", lambda d: d.total),
    ("active", lambda d: d.active),
    ("size", lambda d: human_bytes(d.size)),
    ("reclaimable", lambda d: f"{human_bytes(d.reclaimable)} ({d.reclaimable_percent}%)"),
]

SEARCH_COLUMNS: list[Column] = [
    ("registry", lambda r: r.registry),
    ("name", lambda r: r.name),
    ("description", lambda r: r.description[:60]),
    ("stars", lambda r: r.stars),
    ("official", lambda r: "[OK]" if r.official else ""),
]

REGISTRY_COLUMNS: list[Column] = [
    ("registry", lambda r: r.prefix),
    ("location", lambda r: r.location),
    ("search", lambda r: "yes" if r.search else ""),
    ("insecure", lambda r: "yes" if r.insecure else ""),
    ("blocked", lambda r: "yes" if r.blocked else ""),
    ("mirrors", lambda r: ", ".join(r.mirrors)),
    ("logged in as", lambda r: r.login),
]

PRUNE_COLUMNS: list[Column] = [
    ("image id", lambda i: i.short_id),
    ("repository:tag", lambda i: ", ".join(i.tags) or "<none>"),
    ("created", lambda i: human_age(i.created)),
    ("size", lambda i: human_bytes(i.size)),
]


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


#: The MIME type of a terminal offered by ``%container exec -it`` / ``attach`` / ``run -it``
#: in a notebook: the labextension renders it as an "Open terminal" button (docs/rest-api.md).
TERMINAL_MIME_TYPE = "application/vnd.labcontainer.terminal+json"


@dataclass(frozen=True)
class TerminalOffer:
    """A terminal a notebook cannot be: the labextension shows a button that opens it in a
    tab; without the extension, one line says how to get it (text/plain and text/html)."""

    container: str
    mode: Literal["exec", "attach"] = "exec"
    cmd: tuple[str, ...] = ()  # exec only; empty: bash if the container has it, else sh
    connection: str = "local"  # the server the container is on (the terminal opens there)

    @property
    def podman_command(self) -> str:
        server = ["-c", self.connection] if self.connection != "local" else []
        if self.mode == "attach":
            return shlex.join(["podman", *server, "attach", self.container])
        return shlex.join(["podman", *server, "exec", "-it", self.container, *(self.cmd or ("bash",))])

    def hint(self) -> str:
        """The one line for front-ends without the extension."""
        name = self.container
        return (
            f"Open a terminal on {name}: side panel → Containers → {name} → Terminal, "
            f"or run `{self.podman_command}` in a JupyterLab terminal (File → New → Terminal)."
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        name, podman = html.escape(self.container), html.escape(self.podman_command)
        return {
            TERMINAL_MIME_TYPE: {"container": self.container, "mode": self.mode, "cmd": list(self.cmd), "connection": self.connection},
            "text/plain": self.hint(),
            "text/html": (
                f"<div class='lc-terminal-offer'>Open a terminal on <b>{name}</b>: side panel → Containers → "
                f"{name} → Terminal, or run <code>{podman}</code> in a JupyterLab terminal (File → New → Terminal).</div>"
            ),
        }

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.hint())


def exact_time(value: object) -> str:
    """Podman's RFC 3339 time as written, to the nanosecond, made readable:
    ``2026-12-06 22:40:01.123456789 UTC``; '' for none (Go's zero time)."""
    text = str(value or "")
    if not text or text.startswith("0001-01-01"):
        return ""
    text = text.replace("T", " ", 1)
    return text[:-1] + " UTC" if text.endswith("Z") else text


class Inspection(dict):
    """``%container inspect``: Podman's whole description, a dict as before, shown under one
    line with the exact start (and end) time: `ps` says only "Up 3 minutes"."""

    @property
    def headline(self) -> str:
        state = self.get("State") or {}
        status = str(state.get("Status", "?"))
        words = [f"{str(self.get('Name', '')).lstrip('/')}: {status}"]
        if started := exact_time(state.get("StartedAt")):
            words.append(f"started {started}")
        if status in ("exited", "stopped") and (finished := exact_time(state.get("FinishedAt"))):
            words.append(f"finished {finished}")
        return ", ".join(words)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.headline)
        printer.text("\n")
        printer.pretty(dict(self))
