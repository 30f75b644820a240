"""Another server's Podman through one SSH link: what a lab member does with gpu2, and what
happens when the link or the server is not what it should be. Real sshd, real rootless Podman
as gpu2; the podman CLI as gpu2 is the witness. Runs as root and as the rootless test user,
each with their own key and known_hosts (scripts/setup-remote.sh)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from labcontainer.core.connection import Connection
from labcontainer.core.errors import ServicePermissionDenied, ServiceUnavailable
from labcontainer.service import open_service

from ..conftest import wait_until
from .conftest import ssh_processes_of


def _link(service):
    # The link is private to the service; a test looks at it to find the ssh master's pid.
    return service._engine.link


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # our child: dead, not reaped yet
    except FileNotFoundError:
        return True


def test_a_container_run_through_gpu2s_service_lives_on_gpu2(gpu2_service, gpu2_cli, gpu2_name, test_image_on_gpu2):
    name = gpu2_name("hello")
    spec = gpu2_service.build_spec(test_image_on_gpu2, ["python3", "-c", "print('hello from gpu2')"], name=name)

    gpu2_service.run(spec)

    assert name in gpu2_cli.names()
    assert name in {info.name for info in gpu2_service.containers(all=True, scope="labcontainer")}
    assert gpu2_service.wait(name) == 0
    assert gpu2_cli("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "exited"


def test_a_gpu2_containers_logs_come_through_its_service(gpu2_service, gpu2_cli, gpu2_name, test_image_on_gpu2, monkeypatch):
    name = gpu2_name("logs")
    gpu2_service.run(gpu2_service.build_spec(test_image_on_gpu2, ["sh", "-c", "echo one; echo two >&2; echo three"], name=name))
    gpu2_service.wait(name)

    # The log file is gpu2's: whatever this machine could read at that path is not it.
    def no_local_file(*args, **kwargs):
        raise AssertionError("a remote container's log was read from a local file")

    monkeypatch.setattr("labcontainer.engine.logs.read_log_file", no_local_file)

    lines = list(gpu2_service.logs(name))
    # stdout and stderr both, each in its order (the service does not keep their interleaving)
    assert sorted(lines) == ["one", "three", "two"] and lines.index("one") < lines.index("three")
    assert len(list(gpu2_service.logs(name, tail=1))) == 1
    assert gpu2_cli("logs", name).stdout.split() == ["one", "three"]  # the witness (stdout only here)


def test_the_link_runs_commands_on_gpu2(gpu2_service):
    assert gpu2_service.info().rootless
    assert _link(gpu2_service).run(["id", "-un"]) == "gpu2\n"


def test_an_untrusted_host_key_is_refused_in_words_and_nothing_is_left(gpu2):
    # Same sshd, named "localhost": known_hosts holds its key for [127.0.0.1]:PORT only.
    stranger = Connection("gpu2-unknown", gpu2.url.replace("@127.0.0.1:", "@localhost:"))
    service = open_service(stranger)

    with pytest.raises(ServicePermissionDenied) as refused:
        service.containers()
    link = _link(service)

    text = str(refused.value)
    assert "gpu2-unknown" in text and "host key" in text
    assert f"`ssh -p {gpu2.ssh_port} gpu2@localhost`" in text
    assert "\n" not in text
    assert ssh_processes_of(link.folder) == []
    assert not link.socket_path.exists()
    service.close()
    assert not link.folder.exists()


def _a_port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_where_nothing_listens_fails_within_10_s_named(gpu2):
    port = _a_port_nobody_listens_on()
    nowhere = Connection("gpu9", f"ssh://gpu2@127.0.0.1:{port}/run/user/1009/podman/podman.sock")
    service = open_service(nowhere)
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable) as failed:
        service.containers()

    assert time.monotonic() - started < 10
    assert "gpu9" in str(failed.value) and f"127.0.0.1:{port}" in str(failed.value)
    # Within the backoff the next call does not try again: the same error, at once.
    with pytest.raises(ServiceUnavailable) as again:
        service.containers()
    assert again.value is failed.value
    service.close()


def test_a_server_that_accepts_but_never_speaks_fails_within_10_s(gpu2):
    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        service = open_service(Connection("mute", f"ssh://gpu2@127.0.0.1:{port}/run/user/1009/podman/podman.sock"))
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as failed:
            service.containers()
        link = _link(service)
        assert time.monotonic() - started < 10
        assert "mute" in str(failed.value)
        assert ssh_processes_of(link.folder) == []
        service.close()


def test_a_killed_ssh_master_is_replaced_by_the_next_call_reported_once(gpu2_service, caplog):
    gpu2_service.containers()
    link = _link(gpu2_service)
    first = link.master_pid
    assert first is not None and ssh_processes_of(link.folder)

    caplog.set_level(logging.WARNING, logger="labcontainer.remote")
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: _gone(first), message="the killed master to end")

    assert gpu2_service.containers(all=True) is not None  # the next call: reconnected, and it works
    assert gpu2_service.info().version
    assert link.master_pid not in (None, first)
    lost = [r for r in caplog.records if "was lost" in r.getMessage()]
    back = [r for r in caplog.records if "works again" in r.getMessage()]
    assert len(lost) == 1 and len(back) == 1, [r.getMessage() for r in caplog.records]


def test_a_master_killed_while_a_call_is_on_its_way_costs_that_call_nothing(gpu2_service):
    gpu2_service.containers()
    link = _link(gpu2_service)
    first = link.master_pid
    os.kill(first, signal.SIGKILL)  # no waiting: the call may still find it alive, and dying

    assert gpu2_service.containers(all=True) is not None
    assert link.master_pid not in (None, first)


def test_close_leaves_no_ssh_process_and_no_socket(gpu2):
    service = open_service(gpu2)
    service.containers()
    link = _link(service)
    pid = link.master_pid
    assert ssh_processes_of(link.folder) and link.socket_path.is_socket()

    service.close()

    assert ssh_processes_of(link.folder) == []
    assert _gone(pid)
    assert not link.folder.exists()


def test_reconnecting_a_gpu2_service_stays_on_gpu2(gpu2_service):
    gpu2_service.containers()
    old = _link(gpu2_service)

    assert gpu2_service.reconnect().rootless

    assert _link(gpu2_service) is not old and _link(gpu2_service).run(["id", "-un"]) == "gpu2\n"
    assert not old.folder.exists()

