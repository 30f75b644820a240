"""The engine layer: the only code that imports podman-py. Private behind ``service``.

client.py     PodmanEngine: one REST verb per method; its parts:
images.py       .images: list, pull, remove, prune, disk use
registries.py   .registries: login, logout, search, the registries Podman uses
tty.py          .terminals: ``podman exec -it`` and ``podman attach`` (async)
convert.py    Podman's JSON <-> labcontainer records
logs.py       ``podman logs``: from the log file (logfile.py) or through the service
logfile.py    reading and following conmon's log file, as the podman CLI does
streams.py    multiplexed frames, log lines, following a log through the service
exec.py       ``podman exec`` streams (with stdin)
connection.py where the service is, and starting one
translate.py  podman-py / HTTP failures -> labcontainer errors
"""

from .client import EventStream, PodmanEngine
from .exec import ExecSession
from .images import PodmanImages
from .registries import PodmanRegistries
from .tty import PodmanTerminals, TtySession

__all__ = ["EventStream", "ExecSession", "PodmanEngine", "PodmanImages", "PodmanRegistries", "PodmanTerminals", "TtySession"]
