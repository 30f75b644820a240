"""Kernels started in advance: what a waiting container runs, and how a launch takes it.

Most of a container kernel's cold start is the image's Python importing ipykernel and
IPython (0.3 s in the project's image, 0.6 s with Debian's ipykernel, measured in the
container), not Podman. A kernelspec with ``pool: N`` keeps N containers that have done that
and wait. A waiting container is the cold start's container (same image, mounts, HOME,
environment, GPUs, user; kernels/containers.py) except for three things:

- its command is the kernelspec's Python with its flags and :data:`WAITER` instead of
  ``-m MODULE ARGS``: it imports what a kernel start imports, touches ``/conn/waiting`` and
  blocks opening the FIFO ``/conn/handover`` — no CPU at all while it waits;
- it mounts the server's root folder (the notebook's folder is somewhere below it) and starts
  there;
- its name is ``lc-pool-<kernel id>`` and it carries ``org.labcontainer.pool``.

A launch that takes it writes the kernel's connection file (a key of its own, made at the
launch) into the container's connection folder, then one JSON *order* into the FIFO: the
notebook's folder, the launch's environment, the module and its arguments. The waiter
changes directory, sets the environment and runs the module as ``python -m`` would
(``runpy``: the same ``sys.argv``, ``__main__``, ``sys.path[0]``). The launch renames the
container to the kernel's usual ``lc-kernel-<id>``; from then on it is an ordinary container
kernel (records, restart, adoption, culling, shutdown). A restart starts cold.

A member is recorded (``pool/<kernel id>.json`` in the kernel state directory, with its
server's id) before its container is created, so a server that dies leaves nothing the next
one cannot find: recovery removes the members of servers that are gone.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core.files import write_private_json
from .config import CONTAINER_CONNECTION_DIR, KernelContainerConfig

#: In the connection folder: the FIFO the waiter blocks on, and the file it touches once ready.
HANDOVER_FIFO = "handover"
READY_FILE = "waiting"
#: How long a launch waits for a reader on the FIFO (a waiter between touching READY_FILE and
#: opening the FIFO); after that the member counts as dead and the launch starts cold.
HANDOVER_PATIENCE = 0.5

#: Runs in the image's own Python (any 3.x): plain syntax, standard library only. The imports
#: are the ones a kernel start makes, found by listing sys.modules before and after
#: IPKernelApp.initialize with ipykernel 6.17 (Debian) and 7.4 (the project's image): the
#: modules themselves are the cost (0.05 s of unmarshalling left after the first list). Any
#: that fail are skipped, as the kernel itself would skip or fail them later in the same way.
WAITER = r"""
import json, os, runpy, sys
for _name in ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "sqlite3", "faulthandler",
              "ipykernel.debugger", "debugpy.server.api", "pydevd", "IPython.core.completerlib",
              "IPython.core.debugger", "IPython.core.oinspect", "IPython.extensions.storemagic",
              "IPython.utils.wildcard", "tornado.platform.asyncio"):
    try:
        __import__(_name)
    except Exception:
        pass
open(sys.argv[2], "w").close()
while True:
    with open(sys.argv[1]) as _fifo:
        _text = _fifo.read()
    if _text.strip():
        break
_order = json.loads(_text)
if _order.get("cwd"):
    os.chdir(_order["cwd"])
os.environ.update(_order["env"])
if sys.path and sys.path[0] == "":
    sys.path[0] = os.getcwd()
sys.argv[:] = [_order["module"]] + _order["args"]
del _name, _fifo, _text
runpy.run_module(_order.pop("module"), run_name="__main__", alter_sys=True)
"""

# Python options that take a value as the next argument (python3 -X importtime -m ...).
_OPTIONS_WITH_VALUE = {"-X", "-W", "--check-hash-based-pycs"}


@dataclass(frozen=True)
class PooledCommand:
    """A kernel command ``python [options] -m MODULE ARGS`` split for the waiter."""

    python: tuple[str, ...]  # the interpreter and its options
    module: str
    args: tuple[str, ...]

    def waiter_argv(self) -> list[str]:
        conn = CONTAINER_CONNECTION_DIR
        return [*self.python, "-c", WAITER, f"{conn}/{HANDOVER_FIFO}", f"{conn}/{READY_FILE}"]


def pooled_command(argv: Sequence[str]) -> PooledCommand | None:
    """None when the kernel command is not ``python [options] -m MODULE ...`` (a hand-written
    kernelspec): such a kernel starts cold."""
    if len(argv) < 3:
        return None
    index, expect_value = 1, False
    while index < len(argv):
        arg = argv[index]
        if expect_value:
            expect_value = False
        elif arg == "-m":
            break
        elif arg in _OPTIONS_WITH_VALUE:
            expect_value = True
        elif not arg.startswith("-") or arg in ("-c", "-"):
            return None
        index += 1
    if index + 1 >= len(argv):
        return None
    return PooledCommand(tuple(argv[:index]), argv[index + 1], tuple(argv[index + 2 :]))


def why_not_pooled(config: KernelContainerConfig, argv: Sequence[str]) -> str | None:
    """Why a kernelspec's kernels cannot wait in a pool (None: they can)."""
    obstacle = config.pool_obstacle()
    if obstacle is not None:
        return obstacle[0]
    if pooled_command(argv) is None:
        return "its command is not `python -m MODULE ...`"
    return None


def fingerprint(kernel_name: str, argv: Sequence[str], spec_env: Mapping[str, str] | None,
                config: KernelContainerConfig, root_dir: str, home: str) -> str:
    """What a waiting member was made from: a member whose fingerprint differs from the
    kernelspec's now (it was replaced, HOME moved) is removed instead of handed out."""
    data = [kernel_name, list(argv), dict(spec_env or {}), config.to_kernelspec_config(), root_dir, home]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class PoolMember:
    kernel_id: str  # the id the kernel gets when a launch takes it
    kernel_name: str
    container_name: str
    connection_dir: str
    root_dir: str  # mounted at the same path; the hand-over changes directory below it
    fingerprint: str
    server_id: str
    image_id: str = ""
    container_id: str = ""
    #: Set (and saved) once the server hands it out: started and in its pool's queue.
    waiting: bool = False

    @property
    def started(self) -> bool:
        """Whether its waiter has done its imports (it touches READY_FILE then)."""
        return Path(self.connection_dir, READY_FILE).exists()

    def serves(self, cwd: str | None) -> bool:
        """Whether the notebook's folder is inside what this member mounts."""
        if not cwd:
            return True
        root = os.path.join(os.path.realpath(self.root_dir), "")
        return os.path.join(os.path.realpath(cwd), "").startswith(root)


def hand_over(member: PoolMember, *, cwd: str | None, env: Mapping[str, str], command: PooledCommand) -> bool:
    """Send the waiting kernel its order; False when nobody waits on the FIFO (the
    container died, or never got ready): the caller then starts cold."""
    order = json.dumps({"cwd": cwd, "env": dict(env), "module": command.module, "args": list(command.args)}).encode()
    fifo = Path(member.connection_dir, HANDOVER_FIFO)
    deadline = time.monotonic() + HANDOVER_PATIENCE
    while True:
        try:
            # Non-blocking: fails at once (ENXIO) when no process has the FIFO open to read.
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
    try:
        os.set_blocking(descriptor, True)
        os.write(descriptor, order)
    except OSError:
        return False
    finally:
        os.close(descriptor)
    return True


def remove_member(service: Any, member: PoolMember, state_dir: Path) -> None:
    """Remove a member no launch will take: its container (labels checked), its connection
    folder and its record. Raises LabContainerError when Podman could not remove the
    container; the record then stays for a later try."""
    service.remove_kernel_container(member.container_id or member.container_name, member.kernel_id)
    shutil.rmtree(member.connection_dir, ignore_errors=True)
    delete_member(member.kernel_id, state_dir)


def make_fifo(connection_dir: Path) -> None:
    os.mkfifo(connection_dir / HANDOVER_FIFO, 0o600)


# -- records --------------------------------------------------------------------------------


def pool_dir(state_dir: Path) -> Path:
    return state_dir / "pool"


def save_member(member: PoolMember, state_dir: Path) -> None:
    directory = pool_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_json(directory / f"{member.kernel_id}.json", asdict(member))


def load_members(state_dir: Path) -> list[PoolMember]:
    found = []
    for path in sorted(pool_dir(state_dir).glob("*.json")):
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            found.append(PoolMember(**{k: v for k, v in data.items() if k in _FIELDS}))
        except (OSError, ValueError, TypeError):
            continue  # unreadable (written atomically, so not half-written): nothing reliable in it
    return found


def delete_member(kernel_id: str, state_dir: Path) -> None:
    (pool_dir(state_dir) / f"{kernel_id}.json").unlink(missing_ok=True)


_FIELDS = {f.name for f in fields(PoolMember)}
