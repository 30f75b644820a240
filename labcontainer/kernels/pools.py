"""The server's kernels started in advance (pool.py says what a member is).

One :class:`KernelPools` per server, wired by the server app to its kernel manager. It reads
the kernelspecs (``pool: N``) and keeps N members of each waiting, each started in a thread
of its own; a launch takes a ready one (:meth:`KernelPools.take`, a
:class:`~labcontainer.kernels.handover.PooledLaunch` the kernel manager hands to the
provisioner by argument) and another is started behind it. A pool never pulls: its members
start once the image is on the machine (the first launch pulls it, as a cold start does). A
member that fails to start is logged and its kernelspec's pool rests for :data:`RETRY_AFTER`
seconds, so a broken image does not loop. The server's tender calls :meth:`KernelPools.tend`
now and then; its stop removes every member (:meth:`KernelPools.drain`); a server that dies
leaves them to the next one's recovery (recovery.py).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ..core.errors import ImageNotFound, LabContainerError
from ..core.models import LABEL_POOL, POOL_CONTAINER_PREFIX
from ..service import LabService
from . import launch, records
from . import pool as members
from .config import KernelContainerConfig
from .containers import kernel_container_spec
from .handover import PooledLaunch
from .identity import this_server
from .pool_specs import Wanted, kernelspec_files, wanted_pool, wanted_pools

#: Seconds a kernelspec's pool rests after one of its members failed to start.
RETRY_AFTER = 60.0
#: Seconds after a launch took a member before the next one starts (the launch's kernel first).
REFILL_DELAY = 2.0
#: Seconds between two looks at a starting member's ready file.
READY_POLL = 0.05


class KernelPools:
    def __init__(self, service: LabService, kernel_spec_manager: Any, root_dir: str, *,
                 state_dir: Path | None = None, log: logging.Logger | None = None) -> None:
        self._service = service
        self._specs = kernel_spec_manager
        self._root_dir = os.path.realpath(root_dir)
        self._state_dir = state_dir or records.default_state_dir()
        self._log = log or logging.getLogger("labcontainer")
        self._lock = threading.Lock()
        self._wanted: dict[str, Wanted] = {}
        self._waiting: dict[str, list[members.PoolMember]] = {}
        self._starting: dict[str, int] = {}
        self._resting_until: dict[str, float] = {}
        self._unremoved: dict[str, members.PoolMember] = {}  # retired while Podman did not answer
        self._told_no_image: set[str] = set()  # kernelspecs whose missing image was logged
        self._threads: set[threading.Thread] = set()
        self._stopping = False
        self._stop_event = threading.Event()  # set with _stopping: wakes delayed refills
        self._seen = kernelspec_files(kernel_spec_manager)  # what tend() compares with

    # -- what the kernel manager asks ---------------------------------------------------------

    def wants(self, kernel_name: str) -> bool:
        with self._lock:
            return kernel_name in self._wanted

    def take(self, kernel_name: str, cwd: str | None) -> PooledLaunch | None:
        """A ready member for a launch of ``kernel_name`` in ``cwd``, or None (start cold).
        Another member is started behind it."""
        with self._lock:
            wanted = self._wanted.get(kernel_name)
            queue = self._waiting.get(kernel_name, [])
            member = next((m for m in queue if m.serves(cwd)), None)
            if member is not None:
                queue.remove(member)
        if wanted is None or member is None:
            self.refresh_in_background()
            return None
        now = wanted_pool(self._specs, kernel_name, self._root_dir)
        if now is None or now.fingerprint != member.fingerprint:
            changed = f"kernelspec {kernel_name}"  # written again since it was read (the CLI does that behind the server's back)
        elif not self._image_unchanged(now, member):
            changed = now.config.image  # the tag names another image now (a pull)
        else:
            changed = ""
        if changed:  # a cold start uses what is there now
            self._log.info("labcontainer: %s changed since its pool started; the pool starts again", changed)
            self._retire(member)
            self.refresh_in_background()
            return None
        # Not at once: starting a container and its imports would take the CPU from the
        # kernel the notebook is waiting for (2 cores: warm starts took 0.17 s with it, 0.10 s without).
        self.refresh_in_background(delay=REFILL_DELAY)
        return PooledLaunch(member, self._service, state_dir=self._state_dir)

    def release(self, launch: PooledLaunch) -> None:
        """A launch that took a member failed: if no provisioner began its hand-over (the
        start failed before), remove it."""
        if not launch.spent:
            self._retire(launch.member)

    # -- keeping the pools full --------------------------------------------------------------

    def refresh_in_background(self, delay: float = 0.0) -> None:
        def later() -> None:
            if delay and self._stop_event.wait(delay):
                return
            self.refresh()

        self._spawn(later, "labcontainer-pool-refresh")

    def refresh(self) -> None:
        """Read the kernelspecs again: start what is missing, retire members of kernelspecs
        that were removed, changed or made smaller."""
        wanted = wanted_pools(self._specs, self._root_dir, self._log)
        retire: list[members.PoolMember] = []
        with self._lock:
            if self._stopping:
                return
            self._wanted = wanted
            for name in list(self._waiting):
                w = wanted.get(name)
                keep = [m for m in self._waiting[name] if w is not None and m.fingerprint == w.fingerprint]
                retire += [m for m in self._waiting[name] if m not in keep]
                excess = max(0, len(keep) - (w.size if w else 0))
                retire += keep[len(keep) - excess:] if excess else []
                self._waiting[name] = keep[: len(keep) - excess]
            to_start = []
            for name, w in wanted.items():
                if time.monotonic() < self._resting_until.get(name, 0.0):
                    continue
                missing = w.size - len(self._waiting.get(name, [])) - self._starting.get(name, 0)
                if missing > 0:
                    self._starting[name] = self._starting.get(name, 0) + missing
                    to_start += [w] * missing
        for member in retire:
            self._retire(member)
        for w in to_start:
            self._spawn(lambda w=w: self._start_member(w), f"labcontainer-pool-{w.kernel_name}")

    # -- tending, while the server runs --------------------------------------------------------

    def tend(self) -> None:
        """One round of the server's tender (app.py, every few seconds): try again the
        removals Podman did not answer, and refresh the pools when a kernelspec file changed
        (the CLI writes them behind the server's back) or a pool is short (its image arrived,
        Podman came back, its rest is over). A few stat() calls otherwise."""
        if self._stopping:
            return
        self._remove_unremoved()
        now = kernelspec_files(self._specs)
        if now != self._seen or self._short():
            self._seen = now
            self.refresh()

    def _short(self) -> bool:
        with self._lock:
            now = time.monotonic()
            return any(
                len(self._waiting.get(name, [])) + self._starting.get(name, 0) < wanted.size
                and now >= self._resting_until.get(name, 0.0)
                for name, wanted in self._wanted.items()
            )

    def _remove_unremoved(self) -> None:
        with self._lock:
            pending = list(self._unremoved.values())
        for member in pending:
            self._retire(member)

    def _start_member(self, wanted: Wanted) -> None:
        member = None
        try:
            member = self._create_member(wanted)
            if member is not None:
                self._wait_until_ready(member, wanted.config)
        except (LabContainerError, OSError) as exc:  # (a folder or FIFO that could not be made)
            self._log.warning("labcontainer: a kernel of %s's pool did not start (the pool rests %d s): %s",
                              wanted.kernel_name, RETRY_AFTER, exc)
            with self._lock:
                self._resting_until[wanted.kernel_name] = time.monotonic() + RETRY_AFTER
            if member is not None:
                self._retire(member)
            member = None
        with self._lock:
            self._starting[wanted.kernel_name] = max(0, self._starting.get(wanted.kernel_name, 0) - 1)
            current = self._wanted.get(wanted.kernel_name)
            keep = member is not None and not self._stopping and current is not None and current.fingerprint == member.fingerprint
            if keep:
                member.waiting = True
                members.save_member(member, self._state_dir)
                self._waiting.setdefault(wanted.kernel_name, []).append(member)
        if member is not None and not keep:
            self._retire(member)

    def _create_member(self, wanted: Wanted) -> members.PoolMember | None:
        try:
            image_id = self._service.images.get(wanted.config.image).id
        except ImageNotFound:
            if wanted.kernel_name not in self._told_no_image:
                self._told_no_image.add(wanted.kernel_name)
                self._log.info("labcontainer: the pool of %s waits for its image %s (its first launch pulls it)",
                               wanted.kernel_name, wanted.config.image)
            return None
        self._told_no_image.discard(wanted.kernel_name)
        kernel_id = str(uuid.uuid4())
        connection_dir = Path(tempfile.mkdtemp(prefix=f"lcp-{kernel_id[:8]}-", dir=launch.socket_base_dir()))
        os.chmod(connection_dir, 0o700)
        members.make_fifo(connection_dir)
        member = members.PoolMember(
            kernel_id=kernel_id, kernel_name=wanted.kernel_name, container_name=f"{POOL_CONTAINER_PREFIX}{kernel_id}",
            connection_dir=str(connection_dir), root_dir=self._root_dir, fingerprint=wanted.fingerprint,
            server_id=this_server(self._state_dir).server_id, image_id=image_id,
        )
        members.save_member(member, self._state_dir)  # before the container: a crash leaves a record to clean up by
        spec = kernel_container_spec(
            self._service, wanted.config, name=member.container_name, kernel_id=kernel_id,
            argv=wanted.command.waiter_argv(), connection_dir=connection_dir, workdir=self._root_dir,
            spec_env=wanted.spec_env, launch_env={}, labels={LABEL_POOL: wanted.kernel_name},
        )
        try:
            member.container_id = self._service.run(spec).id
        except LabContainerError:
            self._retire(member)
            raise
        members.save_member(member, self._state_dir)
        return member

    def _wait_until_ready(self, member: members.PoolMember, config: KernelContainerConfig) -> None:
        deadline = time.monotonic() + config.startup_timeout
        next_check = time.monotonic() + 1.0
        while not member.started:
            if self._stopping:
                return
            if time.monotonic() > deadline:
                raise LabContainerError(f"it was not ready within {config.startup_timeout:g} s")
            if time.monotonic() > next_check:  # a container that exited never gets ready
                if not self._service.get(member.container_name).running:
                    lines = "\n".join(self._service.logs(member.container_name, tail=10))
                    raise LabContainerError(f"its container stopped during start-up; last lines:\n{lines}")
                next_check = time.monotonic() + 1.0
            time.sleep(READY_POLL)

    def _image_unchanged(self, wanted: Wanted, member: members.PoolMember) -> bool:
        try:
            return self._service.images.get(wanted.config.image).id == member.image_id
        except LabContainerError:
            return False

    # -- the end ---------------------------------------------------------------------------------

    def _retire(self, member: members.PoolMember) -> None:
        """Remove a member that will not be handed out (pool.remove_member). When Podman
        does not answer, tend() and the server's stop try again."""
        try:
            members.remove_member(self._service, member, self._state_dir)
        except LabContainerError as exc:
            with self._lock:
                known = member.kernel_id in self._unremoved
                self._unremoved[member.kernel_id] = member
            if not known:
                self._log.warning("labcontainer: could not remove %s now (tried again while the server runs, "
                                  "and by the next one): %s", member.container_name, exc)
        else:
            with self._lock:
                self._unremoved.pop(member.kernel_id, None)

    def drain(self) -> None:
        """The server stops: no more members; remove every one there is (in parallel)."""
        with self._lock:
            self._stopping = True
            self._stop_event.set()
            waiting = [m for queue in self._waiting.values() for m in queue]
            self._waiting.clear()
            threads = list(self._threads)
        for thread in threads:  # members being started notice _stopping and retire themselves
            thread.join(timeout=30)
        with self._lock:  # ...or could not, like earlier removals Podman did not answer
            waiting += list(self._unremoved.values())
        removers = [threading.Thread(target=self._retire, args=(m,), name="labcontainer-pool-remove", daemon=True) for m in waiting]
        for thread in removers:
            thread.start()
        for thread in removers:
            thread.join(timeout=30)

    def _spawn(self, work: Any, name: str) -> None:
        def run() -> None:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - a pool must never take the server down
                self._log.warning("labcontainer: pool work failed: %s", exc)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            if self._stopping:
                return
            self._threads.add(thread)
        thread.start()
