"""The engine layer: the only code that imports podman-py. Private behind ``service``.

client.py     PodmanEngine: one REST verb per method
convert.py    Podman's JSON <-> labcontainer records
streams.py    multiplexed frames, log lines, following a log
exec.py       ``podman exec`` streams (with stdin)
tty.py        terminals: ``podman exec -it`` and ``podman attach`` (async)
connection.py where the service is, and starting one
translate.py  podman-py / HTTP failures -> labcontainer errors
"""

from .client import EventStream, PodmanEngine
from .exec import ExecSession
from .tty import TtySession

__all__ = ["EventStream", "ExecSession", "PodmanEngine", "TtySession"]
