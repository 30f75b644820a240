"""Run things as a lab member the way a hub spawner does: a minimal environment (no
XDG_RUNTIME_DIR, no CONTAINER_HOST, no systemd user session), as that Linux user. These
tests run as root (they make users and folders of other users); the members are the ones
scripts/setup-hub.sh made, plus throwaway users a test makes and removes itself."""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
from pathlib import Path

import pytest

MEMBERS = ("hubalice", "hubbob", "hubcarol")  # scripts/setup-hub.sh makes them
VENV = Path(sys.executable).parent.parent
PATH = f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin"


def require_root() -> None:
    if os.getuid() != 0:
        pytest.fail("tests/hub run as root (they act as several lab members): run them with "
                    "scripts/test.sh's hub pass or as root with the project venv", pytrace=False)


def uid(user: str) -> int:
    return pwd.getpwnam(user).pw_uid


def member_env(user: str, **extra: str) -> list[str]:
    """``env -i`` with what a spawner gives: PATH, HOME, USER, SHELL, LANG; nothing else."""
    home = pwd.getpwnam(user).pw_dir
    pairs = {"PATH": PATH, "HOME": home, "USER": user, "LOGNAME": user, "SHELL": "/bin/bash", "LANG": "C.UTF-8", **extra}
    return ["env", "-i", *(f"{key}={value}" for key, value in pairs.items())]


def as_member(user: str, argv: list[str], timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *member_env(user, **extra), *argv],
                          capture_output=True, text=True, timeout=timeout, cwd="/tmp")


def python_as(user: str, code: str, **extra: str) -> dict:
    """Run ``code`` with the project's Python as ``user``; it prints one JSON line last."""
    done = as_member(user, [f"{VENV}/bin/python", "-c", code], **extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def podman_as(user: str, *args: str, runtime: str | None = None) -> subprocess.CompletedProcess:
    """The witness: the podman CLI as that member (with the runtime folder their service uses)."""
    extra = {"XDG_RUNTIME_DIR": runtime} if runtime else {}
    return as_member(user, ["podman", *args], **extra)


def processes_of(user: str) -> dict[int, str]:
    """PID -> command line of every process the user runs (zombies left out)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                zombie = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # ended, not yet reaped
                if entry.stat().st_uid == uid(user) and not zombie:
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except OSError:
                continue
    return found


def end_processes_of(user: str, only: tuple[str, ...] = ()) -> None:
    """End what a test left running as one of ITS members (each by its PID); ``only``: those
    whose command line is one of these."""
    for pid, command in processes_of(user).items():
        if only and command not in only:
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
