"""SshLink's rules that need no server: the backoff between tries, told once per outage, and
ssh's words turned into one paragraph. A stand-in ``ssh`` (the ``ssh=`` seam) records each try;
a changed host key is tried against the real test sshd with a known_hosts that lies."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from labcontainer.core.connection import Connection
from labcontainer.core.errors import ServicePermissionDenied, ServiceUnavailable
from labcontainer.remote import ssh as ssh_module
from labcontainer.remote.ssh import SshLink

from .conftest import ssh_processes_of


def _script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_dead_server_is_tried_at_1_2_4_up_to_30_s_and_reported_once(tmp_path, monkeypatch, caplog):
    tries = tmp_path / "tries"
    fake_ssh = _script(tmp_path / "ssh", f'echo try >>{tries}\necho "ssh: connect to host gpu7 port 22: Connection refused" >&2\nexit 255\n')
    now = [1000.0]
    monkeypatch.setattr(ssh_module, "retry_clock", lambda: now[0])
    caplog.set_level(logging.WARNING, logger="labcontainer.remote")
    link = SshLink(Connection("gpu7", "ssh://alice@gpu7:22/run/user/1000/podman/podman.sock"), ssh=fake_ssh)

    def tries_after_calls_at(*moments: float) -> int:
        for moment in moments:
            now[0] = 1000.0 + moment
            with pytest.raises(ServiceUnavailable, match="gpu7"):
                link.ensure()
        return len(tries.read_text().splitlines())

    assert tries_after_calls_at(0) == 1
    assert tries_after_calls_at(0.5, 0.9) == 1  # within the first second: not again
    assert tries_after_calls_at(1.0) == 2  # then 2 s
    assert tries_after_calls_at(2.9, 3.0) == 3  # then 4 s
    assert tries_after_calls_at(6.9, 7.0, 15.0, 31.0, 63.0) == 7  # 8, 16, 32 -> 30 s
    assert tries_after_calls_at(92.9, 93.0) == 8  # capped at 30 s
    assert len([r for r in caplog.records if "gpu7" in r.getMessage()]) == 1  # one report per outage
    link.close()
    assert not link.folder.exists()


def test_a_changed_host_key_is_refused_naming_the_connection(gpu2, tmp_path):
    # The user's known_hosts says gpu2's address had another key: a changed key, or a stranger.
    lying = tmp_path / "known_hosts"
    other_key = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    lying.write_text(f"[127.0.0.1]:{gpu2.ssh_port} ssh-ed25519 {other_key}\n")
    ssh = _script(tmp_path / "ssh", f'exec ssh -o UserKnownHostsFile={lying} "$@"\n')
    link = SshLink(gpu2, ssh=ssh)

    with pytest.raises(ServicePermissionDenied) as refused:
        link.ensure()

    text = str(refused.value)
    assert "gpu2" in text and "changed" in text and f"`ssh -p {gpu2.ssh_port} gpu2@127.0.0.1`" in text
    assert "\n" not in text
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in refused.value.detail
    assert ssh_processes_of(link.folder) == []
    link.close()


def test_without_an_ssh_program_the_link_fails_in_words(tmp_path):
    link = SshLink(Connection("gpu7", "ssh://alice@gpu7:22/run/user/1000/podman/podman.sock"), ssh=str(tmp_path / "no-ssh"))
    with pytest.raises(ServiceUnavailable) as failed:
        link.ensure()
    assert "gpu7" in str(failed.value) and "no-ssh" in str(failed.value) and "\n" not in str(failed.value)
    link.close()
