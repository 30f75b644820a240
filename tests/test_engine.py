"""The engine against a real Podman service: what a lab member does with the podman CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from labcontainer.core import errors
from labcontainer.engine import PodmanEngine
from labcontainer.core.models import LABEL_MANAGED, LABEL_OWNER, LABEL_PURPOSE, ContainerSpec
from labcontainer.core.specs import parse_gpus, parse_port, parse_volume

from .conftest import wait_until


def sleeper(image: str, name: str, **extra) -> ContainerSpec:
    return ContainerSpec(image=image, name=name, command=("sleep", "infinity"), init=True, **extra)


def test_run_ps_logs_exec_stop_restart_kill_rm(engine: PodmanEngine, test_image, unique_name, podman_cli, tmp_path):
    name = unique_name()
    (tmp_path / "input.txt").write_text("hello from the host\n")
    info = engine.run(
        ContainerSpec(
            image=test_image,
            name=name,
            command=("sh", "-c", "echo started; echo oops >&2; exec sleep infinity"),
            volumes=(parse_volume(f"{tmp_path}:/data:ro"),),
            env={"GREETING": "hi"},
            workdir="/data",
            init=True,
        )
    )
    assert info.name == name and info.running
    assert podman_cli.state(name) == "running"
    assert info.labels[LABEL_MANAGED] == "true" and info.labels[LABEL_PURPOSE] == "container"
    assert info.labels[LABEL_OWNER] == engine.owner

    assert name in [c.name for c in engine.ps()]
    wait_until(lambda: list(engine.logs(name)) == ["started", "oops"], message="both log lines")
    assert list(engine.logs(name, tail=1)) == ["oops"]

    result = engine.exec(name, ["sh", "-c", "pwd; cat input.txt; echo $GREETING; echo err >&2; exit 7"])
    assert result.exit_code == 7
    assert result.stdout == "/data\nhello from the host\nhi\n"
    assert result.stderr == "err\n"
    # read-only really is read-only
    assert engine.exec(name, ["sh", "-c", "touch /data/x"]).exit_code != 0

    engine.stop(name, timeout=2)
    assert podman_cli.state(name) == "exited"
    assert name not in [c.name for c in engine.ps()]
    assert name in [c.name for c in engine.ps(all=True)]
    engine.start(name)
    assert podman_cli.state(name) == "running"
    first_start = engine.get(name).started_at  # Podman's inspect gives it to the nanosecond
    engine.restart(name, timeout=2)
    assert podman_cli.state(name) == "running"
    assert engine.get(name).started_at > first_start
    engine.kill(name)
    wait_until(lambda: podman_cli.state(name) == "exited", message="killed container to exit")
    assert engine.get(name).exit_code == 137
    engine.remove(name)
    assert not podman_cli.exists(name)


def test_exec_feeds_a_script_on_stdin(engine, test_image, unique_name):
    name = unique_name()
    engine.run(sleeper(test_image, name))
    session = engine.exec_stream(name, ["python3", "-"], stdin=b"import sys\nprint(6*7)\nprint('e', file=sys.stderr)\n")
    chunks = list(session)
    assert "".join(t for s, t in chunks if s == "stdout") == "42\n"
    assert "".join(t for s, t in chunks if s == "stderr") == "e\n"
    assert session.exit_code == 0


def test_logs_follow_streams_until_the_container_exits(engine, test_image, unique_name):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.3; done")))
    lines = list(engine.logs(name, follow=True))
    assert lines == ["line 1", "line 2", "line 3"]
    assert engine.wait(name) == 0


def test_run_with_rm_removes_itself(engine, test_image, unique_name, podman_cli):
    name = unique_name()
    info = engine.run(ContainerSpec(image=test_image, name=name, remove=True, command=("sleep", "0.5")))
    assert info.name == name
    wait_until(lambda: not podman_cli.exists(name), message="--rm container to remove itself")


def test_published_port_shows_in_ps(engine, test_image, unique_name, rootless):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    name = unique_name()
    engine.run(sleeper(test_image, name, ports=(parse_port(f"127.0.0.1:{port}:8888"),)))
    listed = {c.name: c for c in engine.ps()}[name]
    assert listed.ports == (f"127.0.0.1:{port}->8888/tcp",)


@pytest.mark.parametrize("gpus, visible, nodes", [("0", "0", ["/dev/nvidia0"]), ("all", "0,1", ["/dev/nvidia0", "/dev/nvidia1"])])
def test_gpus_reach_the_container_as_cdi_devices(engine, test_image, unique_name, gpus, visible, nodes):
    name = unique_name()
    devices = parse_gpus(gpus)
    info = engine.run(sleeper(test_image, name, gpus=devices))
    assert info.gpus == devices
    # CDI env is set for PID 1 only (exec sessions do not see it): read it from /proc/1.
    environ = engine.exec(name, ["cat", "/proc/1/environ"]).stdout.split("\0")
    assert f"NVIDIA_VISIBLE_DEVICES={visible}" in environ
    listing = engine.exec(name, ["ls", *nodes])
    assert listing.exit_code == 0, listing.stderr


# -- errors a lab member meets, triggered for real ---------------------------------------------


def test_unknown_image_says_pull_it(engine, unique_name, podman_cli):
    with pytest.raises(errors.ImageNotFound) as caught:
        engine.run(ContainerSpec(image="localhost/no-such-image:1", name=unique_name()))
    assert "%container pull localhost/no-such-image:1" in str(caught.value)


def test_duplicate_name_is_refused_and_the_first_container_survives(engine, test_image, unique_name, podman_cli):
    name = unique_name()
    engine.run(sleeper(test_image, name))
    with pytest.raises(errors.NameInUse) as caught:
        engine.run(sleeper(test_image, name))
    assert f"'{name}' already exists" in str(caught.value)
    assert podman_cli.state(name) == "running"


def test_unknown_gpu_says_how_to_make_the_cdi_spec_and_leaves_nothing(engine, test_image, unique_name, podman_cli):
    name = unique_name()
    with pytest.raises(errors.GpuDeviceUnknown) as caught:
        engine.run(sleeper(test_image, name, gpus=("nvidia.com/gpu=7",)))
    assert "nvidia-ctk cdi generate" in str(caught.value)
    assert "nvidia.com/gpu=7" in str(caught.value)
    assert not podman_cli.exists(name), "a container that could not start must not be left in Created state"


def test_no_such_container(engine):
    for operation in (engine.stop, engine.start, engine.restart, engine.kill, engine.remove, engine.get):
        with pytest.raises(errors.ContainerNotFound) as caught:
            operation("lct-does-not-exist")
        assert "%container ps -a" in str(caught.value)
    with pytest.raises(errors.ContainerNotFound):
        list(engine.logs("lct-does-not-exist"))
    with pytest.raises(errors.ContainerNotFound):
        engine.exec("lct-does-not-exist", ["true"])


def test_pull_from_an_unreachable_registry_mentions_mirrors(engine):
    events = []
    with pytest.raises(errors.PullFailed) as caught:
        engine.images.pull("localhost:1/nothing/here:1", on_progress=events.append)
    assert "registries.conf" in str(caught.value)
    assert events[0].fraction == 0.0 and events[-1].done


def test_stopped_service_says_how_to_start_one(private_service, test_image, unique_name, podman_cli):
    name = unique_name()
    podman_cli("create", "--name", name, test_image, "true")
    engine = PodmanEngine(private_service.url)
    assert engine.ping()
    private_service.stop()
    with pytest.raises(errors.ServiceUnavailable) as caught:
        engine.ps()
    assert "systemctl --user enable --now podman.socket" in str(caught.value)
    with pytest.raises(errors.ServiceUnavailable) as caught:
        PodmanEngine(private_service.url)
    assert "podman system service --time=0" in str(caught.value)
    private_service.start()
    # the same engine works again, and sees the same containers as the CLI
    assert name in [c.name for c in engine.ps(all=True)]


def test_engine_can_start_the_service_when_asked(tmp_path_factory):
    import shutil
    import uuid

    directory = f"/tmp/lct-start-{uuid.uuid4().hex[:8]}"
    url = f"unix://{directory}/podman.sock"
    try:
        engine = PodmanEngine(url, start_service=True)
        assert engine.ping()
        assert engine.info().version.startswith("4.")
    finally:
        subprocess.run(["pkill", "-f", f"podman system service --time=0 {url}"], check=False)
        shutil.rmtree(directory, ignore_errors=True)


def test_permission_denied_on_roots_socket_is_explained():
    """A lab member pointing at root's socket gets told to use their own rootless Podman."""
    code = (
        "from labcontainer.engine import PodmanEngine\n"
        "from labcontainer.core.errors import ServicePermissionDenied\n"
        "try:\n    PodmanEngine('unix:///run/podman/podman.sock')\n"
        "except ServicePermissionDenied as e:\n    print('DENIED', e)\n"
    )
    command = [sys.executable, "-c", code]
    if os.getuid() == 0:  # root can open any socket: ask as the unprivileged user
        import shutil
        import tempfile
        from pathlib import Path

        import labcontainer

        # The work tree may sit where that user cannot read (a clone under a 0700 dir).
        readable = Path(tempfile.mkdtemp(prefix="lct-src-"))
        readable.chmod(0o755)
        shutil.copytree(Path(labcontainer.__file__).parent, readable / "labcontainer")
        user = os.environ.get("LABCONTAINER_ROOTLESS_USER", "lab")
        command = ["runuser", "-u", user, "--", "env", f"PYTHONPATH={readable}", *command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
    finally:
        if os.getuid() == 0:
            shutil.rmtree(readable, ignore_errors=True)
    out = done.stdout
    assert out.startswith("DENIED"), done.stdout + done.stderr
    assert "permission denied" in out and "rootless" in out


def test_stats_report_or_explain(engine, test_image, unique_name, rootless):
    name = unique_name()
    engine.run(sleeper(test_image, name))
    if rootless and engine.info().cgroup_version == "v1":
        with pytest.raises(errors.NotSupportedHere) as caught:
            engine.stats(name)
        assert "cgroup" in str(caught.value)
    else:
        (stats,) = engine.stats(name)
        assert stats.name == name and stats.pids >= 1 and stats.memory_used > 0


def test_events_stream_container_lifecycle(engine, test_image, unique_name):
    from datetime import datetime, timezone

    name = unique_name()
    seen: list[str] = []
    since = datetime.now(timezone.utc)

    def watch():
        for event in engine.events(since=since, filters={"container": name}):
            seen.append(event.get("Action") or event.get("status"))
            if "died" in seen:
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    engine.run(ContainerSpec(image=test_image, name=name, command=("true",)))
    thread.join(20)
    assert "start" in seen and "died" in seen


def test_nothing_unlabelled_is_touched_by_listing_ours(engine, unlabelled_container, test_image, unique_name):
    ours = unique_name()
    engine.run(sleeper(test_image, ours))
    managed = {c.name for c in engine.ps(all=True, managed_only=True)}
    assert ours in managed and unlabelled_container not in managed
    everything = {c.name: c for c in engine.ps(all=True)}
    assert not everything[unlabelled_container].managed


def test_fast_output_is_read_and_followed_without_losing_a_line(engine, test_image, unique_name):
    """Podman 4.3's follow stream and podman-py's frame reader both lost lines here (about a
    third of 100,000); every line must arrive, in order, including long ones Podman stores in
    parts, and the ones written after a pause just before exit."""
    name = unique_name()
    long_line = "x" * 20000
    script = f"seq 1 30000; echo {long_line}; sleep 1.2; seq 30001 30010"
    engine.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", script)))
    expected = [str(i) for i in range(1, 30001)] + [long_line] + [str(i) for i in range(30001, 30011)]
    assert list(engine.logs(name, follow=True)) == expected
    assert list(engine.logs(name)) == expected
    stamped = list(engine.logs(name, timestamps=True))
    assert [line.split(" ", 1)[1] for line in stamped] == expected
    assert list(engine.logs(name, tail=3)) == expected[-3:]
