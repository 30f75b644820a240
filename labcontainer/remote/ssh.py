"""One OpenSSH master per connection: another server's Podman socket forwarded to a private
local socket, and commands run over the same master (nvidia-smi and /proc, later).

Why our own master and not podman-py's ``ssh://`` transport (../shared/remote-here.md): that
one turns host-key checking off, opens one ``ssh`` per pooled HTTP connection and waits up to
300 s for an unreachable host. Here the user's own ``ssh`` runs with their ~/.ssh/config, agent,
keys and known_hosts, with ``StrictHostKeyChecking=yes`` always (a command-line option beats
any config file), ``BatchMode=yes`` (nothing may wait for a password prompt nobody sees) and a
deadline, so an unreachable server fails within ``CONNECT_DEADLINE`` seconds, named.

The master is our child process (``ssh -M -N``); the forward is added to it with
``ssh -O forward -L local.sock:remote.sock``, so every engine path (REST, exec, terminals,
events) talks to a unix socket as it does locally. A master that died (network, a killed
process) is started again by the next call: at once, then after 1 s, 2 s... up to 30 s between
tries; the loss and the return are logged once each, not per call.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.connection import Connection
from ..core.errors import LabContainerError, ServicePermissionDenied, ServiceUnavailable

log = logging.getLogger("labcontainer.remote")

#: An unreachable server fails within this many seconds (ssh's own ConnectTimeout is shorter:
#: it covers the TCP connect, this also covers a server that accepts and never speaks SSH).
CONNECT_DEADLINE = 9.0
CONNECT_TIMEOUT = 7
FIRST_RETRY = 1.0
LONGEST_RETRY = 30.0
#: The clock the backoff waits on (a test turns it by hand).
retry_clock = time.monotonic
HOST_KEY_SIGNS = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED", "No ED25519 host key", "host key is known")


_spawner: ThreadPoolExecutor | None = None
_spawned: list[subprocess.Popen[bytes]] = []  # the masters it started (some may have ended)
_spawner_lock = threading.Lock()


def _spawn(argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Start a master that ends with this process, however it ends (a SIGKILL included):
    ``setpriv --pdeathsig TERM`` asks the kernel to signal it when its parent goes. "Parent"
    is the thread that started it, so every master is started from one thread that lives
    as long as any master it started (:func:`_spawner_done` ends it after the last one)."""
    global _spawner
    if shutil.which("setpriv"):
        argv = ["setpriv", "--pdeathsig", "TERM", "--", *argv]
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labcontainer-ssh")
        started = _spawner.submit(subprocess.Popen, argv, **options).result()
        _spawned.append(started)
        return started


def _local_forwards(sockets: dict[str, str]) -> list[str]:
    """``-L here:there`` for each socket: one ``ssh -O forward`` or ``cancel`` makes them all."""
    return [option for local, remote in sockets.items() for option in ("-L", f"{local}:{remote}")]


def _spawner_done() -> None:
    """A master ended: when none it started lives any more, its thread goes too (a server's
    stop leaves no thread of ours; the next link starts a new one)."""
    global _spawner
    with _spawner_lock:
        _spawned[:] = [master for master in _spawned if master.poll() is None]
        if _spawner is not None and not _spawned:
            _spawner.shutdown(wait=True)
            _spawner = None


class SshLink:
    """The SSH link to one server (one :class:`Connection` with an ``ssh://`` URL).

    Nothing happens until :meth:`ensure` (or :meth:`run`); :meth:`close` ends the master and
    removes the private folder (control socket, forwarded socket, ssh's log)."""

    def __init__(self, connection: Connection, *, ssh: str = "ssh") -> None:
        if not connection.is_ssh:
            raise ValueError(f"{connection} is not an ssh:// connection")
        self.connection = connection
        self._ssh = ssh
        base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
        if not os.access(base, os.W_OK):
            base = tempfile.gettempdir()
        # mkdtemp makes it 0700: only this user can reach the forwarded Podman socket. Short
        # names: a unix socket's path must fit in 108 bytes, and ssh adds 17 to the control path.
        self.folder = Path(tempfile.mkdtemp(prefix="lc-ssh-", dir=base))
        self._control = self.folder / "master"
        self.socket_path = self.folder / "podman.sock"
        self._log = self.folder / "ssh.log"
        self._lock = threading.Lock()
        self._master: subprocess.Popen[bytes] | None = None
        self._closed = False
        self._delay = 0.0
        self._retry_at = 0.0
        self._last_error: LabContainerError | None = None
        #: Extra unix-socket forwards (local path -> path on the server), made again with a new master.
        self._forwards: dict[str, str] = {}
        #: When the link was found down (time.time()), None while it works.
        self.down_since: float | None = None

    @property
    def url(self) -> str:
        """The forwarded Podman socket, as a URL the engine takes."""
        return f"unix://{self.socket_path}"

    @property
    def master_pid(self) -> int | None:
        master = self._master
        return master.pid if master is not None and master.poll() is None else None

    # -- the master -----------------------------------------------------------------------

    def _options(self) -> list[str]:
        conn = self.connection
        options = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
                   "-o", f"ControlPath={self._control}"]
        if conn.ssh_port:
            options += ["-p", str(conn.ssh_port)]
        if conn.identity:
            options += ["-i", os.path.expanduser(conn.identity)]
        return options

    def ensure(self) -> bool:
        """Make sure the master runs and the Podman socket is forwarded; True when it was
        (re)started now. Cheap while the master lives (no process is run).

        Raises:
            ServiceUnavailable: the server cannot be reached now (named, with why); while
                waiting for the next try, the same error again without trying.
            ServicePermissionDenied: the host key is not trusted, or the key was refused.
        """
        with self._lock:
            if self._closed:
                raise ServiceUnavailable(f"The connection to {self.connection.name} was closed.", url=self.connection.url or "")
            if self._master is not None and self._master.poll() is None:
                return False
            if self._master is not None and self.down_since is None:
                self.down_since = time.time()
                log.warning("The SSH link to %s was lost; reconnecting.", self.connection.name)
            if self._last_error is not None and retry_clock() < self._retry_at:
                raise self._last_error
            try:
                try:
                    self._start()
                except (OSError, subprocess.SubprocessError) as error:  # no ssh, a hung -O command
                    raise self._refusal(f"{self._ssh}: {error}") from error
            except LabContainerError as error:
                self._stop_master()
                self._delay = FIRST_RETRY if self._delay == 0 else min(self._delay * 2, LONGEST_RETRY)
                self._retry_at = retry_clock() + self._delay
                if self._last_error is None:  # once per outage, not per call
                    log.warning("%s (next try in %.0f s, then up to every %.0f s)", error, self._delay, LONGEST_RETRY)
                self._last_error = error
                self.down_since = self.down_since or time.time()
                raise
            if self.down_since is not None:
                log.warning("The SSH link to %s works again.", self.connection.name)
            self._delay, self._last_error, self.down_since = 0.0, None, None
            return True

    def revive(self) -> bool:
        """After a failed call: re-make the link if it is broken (True), else False. A master
        may still be dying when a call fails through it, so it is asked (``ssh -O check``)."""
        with self._lock:
            master = self._master
            if master is not None and master.poll() is None and self._control_command("check").returncode == 0:
                return False
            if master is not None and master.poll() is None:  # alive but not answering: ended here
                master.kill()
                master.wait(timeout=5)
        return self.ensure()

    def _start(self) -> None:
        conn = self.connection
        for stale in (self._control, self.socket_path):
            stale.unlink(missing_ok=True)
        with open(self._log, "wb") as log_file:
            # Our child, in its own session: a Ctrl-C meant for us does not cut the link.
            self._master = _spawn(
                [self._ssh, "-M", "-N", "-o", "ControlMaster=yes", "-o", "ServerAliveInterval=10",
                 "-o", "ServerAliveCountMax=3", "-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes",
                 *self._options(), conn.ssh_destination],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True,
            )
        deadline = time.monotonic() + CONNECT_DEADLINE
        while not self._control.exists():
            if self._master.poll() is not None:
                raise self._refusal(self._log.read_text(errors="replace"))
            if time.monotonic() > deadline:
                raise self._refusal(f"no answer within {CONNECT_DEADLINE:.0f} s")
            time.sleep(0.02)
        forward = self._control_command("forward", *_local_forwards({str(self.socket_path): conn.remote_socket, **self._forwards}))
        if forward.returncode != 0:
            raise self._refusal(forward.stderr)
        # Forwarding succeeds even when nothing listens there: ask the server itself.
        probe = self._command(["test", "-S", conn.remote_socket], timeout=CONNECT_DEADLINE)
        if probe.returncode != 0:
            raise ServiceUnavailable(
                f"{conn.name} answers over SSH, but no Podman service listens at {conn.remote_socket} there.",
                hint=("On that server, run `systemctl --user enable --now podman.socket` and "
                      "`loginctl enable-linger` once (as the user you log in as), then try again."),
                url=conn.url or "",
            )

    def _control_command(self, verb: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self._ssh, *self._options(), "-O", verb, *args, self.connection.ssh_destination],
                              capture_output=True, text=True, timeout=CONNECT_DEADLINE, stdin=subprocess.DEVNULL)

    def _command(self, argv: list[str], *, timeout: float, input: str | None = None) -> subprocess.CompletedProcess[str]:
        # ControlMaster=no: a command only ever rides the master; never a master of its own.
        return subprocess.run([self._ssh, *self._options(), "-o", "ControlMaster=no", self.connection.ssh_destination,
                               "--", shlex.join(argv)], capture_output=True, text=True, timeout=timeout,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL)

    def _refusal(self, said: str) -> LabContainerError:
        """ssh's failure, told as one paragraph that names the connection and what to do."""
        conn = self.connection
        where = f"{conn.ssh_host}:{conn.ssh_port}" if conn.ssh_port else conn.ssh_host
        said_line = " ".join(line.strip() for line in said.strip().splitlines() if line.strip() and not line.startswith("@"))[:300]
        if any(sign in said for sign in HOST_KEY_SIGNS):
            return ServicePermissionDenied(
                f"The server {conn.name} ({where}) was refused: its host key is not among your trusted ones "
                f"(~/.ssh/known_hosts), or it changed since you trusted it.",
                hint=(f"labcontainer always checks host keys. If this really is your server, run `{conn.trust_command}` "
                      "once in a terminal, check the key's fingerprint with your admin and answer yes; a changed key "
                      "is removed first with `ssh-keygen -R` as ssh tells you."),
                detail=said, url=conn.url or "")
        if "Permission denied" in said:
            return ServicePermissionDenied(
                f"The server {conn.name} ({where}) did not accept your SSH key for {conn.ssh_user or 'your user'}.",
                hint=f"Check that `{conn.trust_command}` logs you in without a password (your key in its ~/.ssh/authorized_keys, or loaded in your agent).",
                detail=said, url=conn.url or "")
        return ServiceUnavailable(
            f"The server {conn.name} ({where}) cannot be reached over SSH: {said_line or 'ssh ended without saying why'}.",
            hint=f"Check that it is up and that `{conn.trust_command}` works from here.",
            detail=said, url=conn.url or "")

    # -- commands -------------------------------------------------------------------------

    def run(self, argv: list[str], *, timeout: float = 30.0, input: str | None = None) -> str:
        """Run a command on the server over the master (``input``: its stdin); its stdout.

        Raises:
            LabContainerError: it exited with an error (its own words in the message).
        """
        self.ensure()
        try:
            done = self._command(argv, timeout=timeout, input=input)
        except subprocess.TimeoutExpired as error:
            raise LabContainerError(f"`{shlex.join(argv)}` did not finish within {timeout:.0f} s on {self.connection.name}.") from error
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or [""])[-1][:300]
            raise LabContainerError(
                f"`{shlex.join(argv)}` failed on {self.connection.name} (exit status {done.returncode}){': ' + said if said else ''}.",
                detail=done.stderr)
        return done.stdout

    # -- forwards -------------------------------------------------------------------------

    def forward(self, sockets: dict[str, str]) -> None:
        """Forward each unix socket on the server (a value) to its path here (its key), in one
        command, now and again after every reconnect, until :meth:`cancel_forwards` (a kernel's
        sockets: ssh listens here, so the path exists before anything answers behind it)."""
        self.ensure()
        with self._lock:
            self._forwards.update(sockets)
            done = self._control_command("forward", *_local_forwards(sockets))
        if done.returncode != 0:
            raise self._refusal(done.stderr)

    def cancel_forwards(self, folder: str) -> None:
        """Stop every forward to a socket in ``folder`` (a live master stops listening; the
        files go). By what was asked, not by the files there: someone else (jupyter_client,
        at a kernel's restart) may have removed them, and ssh would still count the forward
        as made, answering a new one for the same path with "ok" and no listener."""
        with self._lock:
            ending = {local: self._forwards.pop(local) for local in list(self._forwards) if os.path.dirname(local) == folder}
            if ending and self._master is not None and self._master.poll() is None:
                self._control_command("cancel", *_local_forwards(ending))
            for local in ending:
                Path(local).unlink(missing_ok=True)

    # -- the end --------------------------------------------------------------------------

    def _stop_master(self) -> None:
        master, self._master = self._master, None
        if master is None:
            return
        if master.poll() is None:
            master.terminate()
            try:
                master.wait(timeout=5)
            except subprocess.TimeoutExpired:
                master.kill()
                master.wait()
        for path in (self._control, self.socket_path):
            path.unlink(missing_ok=True)
        _spawner_done()

    def close(self) -> None:
        """End the master (its forwards go with it) and remove the private folder."""
        with self._lock:
            self._closed = True
            self._stop_master()
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SshLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
