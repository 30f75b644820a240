"""``podman exec`` as a stream: output pieces as they come, the exit code at the end.

Why not podman-py's ``exec_run``: it cannot send standard input (``socket=True`` is
ignored against Podman 4.3) and its stream reader loses frames on short reads. Starting
an exec with stdin upgrades the HTTP connection to a raw stream, which ``requests``
cannot write to, so that one exchange speaks HTTP over the service socket itself.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any, Callable, Iterable, Iterator

from ..core.errors import InvalidSpec, LabContainerError
from ..core.models import ExecResult
from .connection import socket_path
from .streams import demux
from .translate import exec_failure, translated

#: Podman's own lines in an exec's stderr when the command could not start: the runtime's
#: reason ("Error: runc: exec failed: ... executable file not found ...") and the attach
#: socket's noise after it ("Error: read unixpacket @->/proc/self/fd/15/attach: ...").
#: They are not the command's output; the reason becomes our error instead.
_START_FAILURE_RE = re.compile(r"^Error: .*(?:exec failed|OCI runtime)")
_ATTACH_NOISE_RE = re.compile(r"^Error: read unixpacket .*/attach: ")


class ExecSession:
    """An exec in progress: iterate for output; ``exit_code`` is set at the end."""

    def __init__(self, api: Any, url: str, container: str, exec_id: str, stdin: bytes | None) -> None:
        self._api = api  # podman-py's HTTP client (APIClient): get/post on the service
        self._url = url
        self._container = container
        self.exec_id = exec_id
        self._stdin = stdin
        self.exit_code: int = -1

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """``(stream, text)`` pieces of the command's output; raises InvalidSpec when the
        command never started (not found, not executable, no such working directory)."""
        failure: list[str] = []
        with translated(container=self._container):
            yield from _without_podman_lines(self._pieces(), failure)
            info = self._api.get(f"/exec/{self.exec_id}/json")
            info.raise_for_status()
            code = info.json().get("ExitCode")
            self.exit_code = int(code) if code is not None else -1
        if failure:
            raise exec_failure(failure[0], container=self._container, exit_code=self.exit_code)

    def _pieces(self) -> Iterator[tuple[str, str]]:
        if self._stdin is not None:
            yield from _exec_with_stdin(self._url, self.exec_id, self._stdin)
            return
        response = self._api.post(
            f"/exec/{self.exec_id}/start", data=json.dumps({"Detach": False, "Tty": False}), stream=True, timeout=(10, None)
        )
        response.raise_for_status()
        yield from demux(response.iter_content(chunk_size=None))

    def collect(self, on_output: Callable[[str, str], None] | None = None) -> ExecResult:
        """Run to the end and return the output; ``on_output(stream, text)`` sees each piece
        as it comes (e.g. to print it live)."""
        output: dict[str, list[str]] = {"stdout": [], "stderr": []}
        for stream_name, text in self:
            output[stream_name].append(text)
            if on_output is not None:
                on_output(stream_name, text)
        return ExecResult(exit_code=self.exit_code, stdout="".join(output["stdout"]), stderr="".join(output["stderr"]))


def _without_podman_lines(pieces: Iterable[tuple[str, str]], failure: list[str]) -> Iterator[tuple[str, str]]:
    """The pieces minus Podman's own start-failure lines, whose reason goes into ``failure``."""
    for stream_name, text in pieces:
        if stream_name == "stderr" and text.startswith("Error: "):
            kept = []
            for line in text.splitlines(keepends=True):
                if _START_FAILURE_RE.match(line):
                    failure.append(line.strip())
                elif not _ATTACH_NOISE_RE.match(line):
                    kept.append(line)
            text = "".join(kept)
        if text:
            yield stream_name, text

def _exec_with_stdin(url: str, exec_id: str, data: bytes) -> Iterator[tuple[str, str]]:
    """Start an exec with ``data`` on its standard input (see the module's docstring)."""
    path = socket_path(url)
    if path is None:
        raise InvalidSpec("Sending input to `exec` needs a unix-socket connection to Podman.")
    body = json.dumps({"Detach": False, "Tty": False}).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    try:
        sock.sendall(
            f"POST /v4.0.0/libpod/exec/{exec_id}/start HTTP/1.1\r\nHost: d\r\n"
            f"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = b""
        while b"\r\n\r\n" not in head:
            piece = sock.recv(4096)
            if not piece:
                break
            head += piece
        header, _, rest = head.partition(b"\r\n\r\n")
        status_line = header.split(b"\r\n", 1)[0].decode(errors="replace")
        if " 101 " not in status_line and " 200 " not in status_line:
            raise LabContainerError("Podman refused to start the exec.", detail=status_line, quote=True)
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)

        def chunks() -> Iterator[bytes]:
            if rest:
                yield rest
            while True:
                piece = sock.recv(65536)
                if not piece:
                    return
                yield piece

        yield from demux(chunks())
    finally:
        sock.close()

