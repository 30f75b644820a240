"""Everyday friction in %container, typed into a real IPython shell against real Podman.

What a lab member meets daily: the result of an attached run, Podman's own words when
something fails (always on their own line after ours), a stop that waits out a container
ignoring SIGTERM, and --gpus taken on trust when NVML sees no GPU.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerFailure, ContainerMagics
from labcontainer.service import LabService

from ..conftest import start_private_service
from .conftest import NO_DRIVER, line

#: A container that ignores SIGTERM (sh as PID 1 with TERM trapped): only SIGKILL ends it.
DEAF_TO_SIGTERM = ["sh", "-c", "trap '' TERM; sleep 600"]


def failure_of(shell, text: str) -> Exception:
    """The error the magic raises for this line: a UsageError (the user's to fix) or a
    ContainerFailure (the machine's or the network's)."""
    with pytest.raises((UsageError, ContainerFailure)) as caught:
        line(shell, text)
    assert caught.value.__cause__ is None  # no chained traceback behind the paragraph
    return caught.value


def assert_ours_then_podmans(message: str, ours: str, podmans: str) -> None:
    """Our sentence first; Podman's text alone on the next line, never run into ours."""
    first, *rest = message.split("\n")
    assert ours in first, message
    assert len(rest) == 1 and rest[0].startswith("Podman said: ") and podmans in rest[0], message
    assert podmans not in first, message


# -- 1. an attached run's result holds what it printed -----------------------------------

def test_attached_run_fills_stdout_and_stderr_and_still_streams(shell, test_image, unique_name, podman_cli, capsys):
    name = unique_name()
    shell.user_ns.update(image=test_image, cname=name)
    shell.run_cell("r = %container run --rm --name {cname} {image} sh -c 'echo captured-text; echo on-stderr >&2; printf no-newline'")
    streamed = capsys.readouterr().out
    assert "captured-text\n" in streamed and "on-stderr\n" in streamed  # live, as before
    r = shell.user_ns["r"]
    assert r.exit_code == 0
    assert r.stdout == "captured-text\nno-newline" and r.stderr == "on-stderr\n"
    assert not podman_cli.exists(name)  # --rm still honoured


# -- 2. Podman's words on their own line, after ours ---------------------------------------

def _running(shell, podman_cli, image, name):
    line(shell, f"run -d --name {name} {image} sleep infinity")
    assert podman_cli.state(name) == "running"


REAL_FAILURES = [
    # (id, line, needs a running container, error class, our sentence, Podman's words)
    ("rm-running", "rm {name}", True, UsageError,
     "is running, so it was not removed. Stop it first with `%container stop {name}`, or remove it anyway with `%container rm -f {name}`",
     "as it is running"),
    ("exec-not-found", "exec {name} nosuchcommand", True, UsageError,
     "'nosuchcommand' was not found in container '{name}', so nothing ran (exit code 127", "executable file not found"),
    ("exec-not-executable", "exec {name} /etc/passwd", True, UsageError,
     "'/etc/passwd' could not be run in container '{name}': permission denied (exit code 126", "OCI permission denied"),
    ("exec-no-workdir", "exec -w /nonexistent {name} true", True, UsageError,
     "The working directory '/nonexistent' does not exist in container '{name}'", 'chdir to cwd ("/nonexistent")'),
    ("exec-no-user", "exec -u nosuchuser {name} true", True, UsageError,
     "There is no user 'nosuchuser' in container '{name}'", "unable to find user nosuchuser"),
    ("exec-stopped", "exec {name} true", False, UsageError,
     "Container '{name}' is not running. Start it first with `%container start {name}`", "container state improper"),
    # (a refused pull says no Podman words: tests/images/test_pull.py::test_a_stopped_registry_is_unreachable_and_said_so)
    ("pull-no-host", "pull lct-no-such-registry.invalid/nope:latest", False, ContainerFailure,
     "this server cannot find the registry host 'lct-no-such-registry.invalid'", "no such host"),
]


@pytest.mark.parametrize("text, running, kind, ours, podmans", [r[1:] for r in REAL_FAILURES], ids=[r[0] for r in REAL_FAILURES])
def test_podmans_words_follow_ours_on_their_own_line(shell, test_image, unique_name, podman_cli, capsys, text, running, kind, ours, podmans):
    name = unique_name()
    if running:
        _running(shell, podman_cli, test_image, name)
    elif "{name}" in text:
        podman_cli("create", "--name", name, test_image, "true")
    capsys.readouterr()
    error = failure_of(shell, text.format(name=name))
    assert isinstance(error, kind)
    message = str(error)
    assert_ours_then_podmans(message, ours.format(name=name), podmans)
    # the attach socket's noise after a failed exec reaches the user nowhere
    printed = capsys.readouterr()
    assert "unixpacket" not in message + printed.out + printed.err
    assert "podman load" not in message  # there is no %container load to follow it with
    if running:
        assert podman_cli.state(name) == "running"  # nothing was done to it


def test_a_failed_pull_does_not_read_as_the_users_mistake_in_a_terminal(podman_url):
    # A host that does not resolve: a failure whose Podman words are shown (a refused port's are not).
    code = "%load_ext labcontainer\n%container pull lct-no-such-registry.invalid/nope:latest\nprint('went on')\n"
    done = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", "-c", code],
                          capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert "PullFailed: Could not pull 'lct-no-such-registry.invalid/nope:latest'" in output, output
    assert "\nPodman said: initializing source" in output
    assert "Traceback" not in output and "UsageError" not in output
    assert "went on" not in output  # it still stops the cell, as an error must


def test_a_failed_pull_in_a_notebook_kernel_shows_no_traceback(podman_url):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute_interactive("%load_ext labcontainer", timeout=60)
        errors = []

        def on_message(message):
            if message["msg_type"] == "error":
                errors.append(message["content"])

        reply = client.execute_interactive("%container pull lct-no-such-registry.invalid/nope:latest", timeout=120, output_hook=on_message)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "error"
    (error,) = errors
    shown = "\n".join(error["traceback"])  # what JupyterLab renders
    assert shown.startswith("PullFailed: Could not pull 'lct-no-such-registry.invalid/nope:latest': this server cannot find the registry host")
    assert "\nPodman said: " in shown and "Traceback" not in shown and "File " not in shown


def test_a_missing_host_folder_is_refused_before_podman_is_asked(test_image, unique_name, podman_cli):
    service = start_private_service(log_level="debug")  # its log witnesses every request
    try:
        magics = ContainerMagics(InteractiveShell.instance(), service=LabService(url=service.url, nvml=RecordedReader(NO_DRIVER)))
        name = unique_name()
        missing = f"/tmp/lct-missing-{uuid.uuid4().hex[:8]}"
        with pytest.raises(UsageError) as caught:
            magics.container(f"run -d --name {name} -v {missing}:/data {test_image} true")
        message = str(caught.value)
        assert message.startswith(f"The host folder '{missing}' does not exist, so no container was created.")
        assert "statfs" not in message and "\n" not in message  # ours alone: Podman said nothing
        assert not podman_cli.exists(name)
        assert podman_cli("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}").stdout.strip() == ""
        assert "containers/create" not in service.log.read_text(errors="replace")
    finally:
        service.stop()
        shutil.rmtree(service.directory, ignore_errors=True)


def test_stats_report_or_say_why_not_with_podmans_words_apart(shell, test_image, unique_name, podman_cli, engine, rootless):
    name = unique_name()
    _running(shell, podman_cli, test_image, name)
    if rootless and engine.info().cgroup_version == "v1":
        error = failure_of(shell, f"stats {name}")
        assert isinstance(error, ContainerFailure)
        assert_ours_then_podmans(str(error), "Podman cannot do this on this machine. Rootless Podman on a cgroup v1 host", "stats resource only available")
    else:
        assert [s.name for s in line(shell, f"stats {name}")] == [name]


# -- 3. a stop that has to wait says so ---------------------------------------------------

@pytest.mark.parametrize("command, stop_timeout, seconds", [
    ("stop {name}", 3, 3),  # no -t: the container's own stop timeout, as podman stop does
    ("stop -t 2 {name}", 10, 2),
    ("rm -f {name}", 3, 3),
])
def test_waiting_for_a_container_that_ignores_sigterm_is_announced(shell, test_image, unique_name, podman_cli, capsys, command, stop_timeout, seconds):
    name = unique_name()
    podman_cli("run", "-d", "--name", name, "--stop-timeout", str(stop_timeout), test_image, *DEAF_TO_SIGTERM)
    assert podman_cli.state(name) == "running"
    capsys.readouterr()
    line(shell, command.format(name=name))
    out = capsys.readouterr().out
    assert out == f"Waiting up to {seconds} s for {name} to stop, then SIGKILL (it has not exited on SIGTERM).\n{name}\n"
    if command.startswith("rm"):
        assert not podman_cli.exists(name)
    else:
        assert podman_cli.state(name) == "exited"
        exit_code = podman_cli("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert exit_code == "137"  # it was SIGKILLed, as announced


# -- 4. --gpus taken on trust when NVML sees no GPU ---------------------------------------

def test_gpus_without_nvml_are_noted_once_per_session(shell, engine, test_image, unique_name, podman_cli, capsys):
    if not any(Path(d).glob("*.yaml") for d in ("/etc/cdi", "/var/run/cdi") if Path(d).is_dir()):
        pytest.fail("No CDI spec: run scripts/install-fake-cdi.sh", pytrace=False)
    # Where NVML sees the GPU, --gpus 0 is checked against it: nothing to note.
    seen = {"gpus": [{"index": 0, "name": "NVIDIA A100", "memory_used": 0, "memory_total": 40 << 30, "utilization": 0, "temperature": 40}]}
    with_nvml = ContainerMagics(InteractiveShell.instance(), service=LabService(engine, nvml=RecordedReader(seen)))
    checked = unique_name("checked")
    capsys.readouterr()
    with_nvml.container(f"run -d --name {checked} --gpus 0 {test_image} sleep infinity")
    assert "NVML" not in capsys.readouterr().out
    # Where it sees none (the shell's recorded machine has no driver), the CDI spec decides alone.
    first, second = unique_name("a"), unique_name("b")
    line(shell, f"run -d --name {first} --gpus 0 {test_image} sleep infinity")
    line(shell, f"run -d --name {second} --gpus 0 {test_image} sleep infinity")
    out = capsys.readouterr().out
    note = "Note: NVML sees no GPU here, so labcontainer cannot check --gpus; using the CDI device(s) nvidia.com/gpu=0 as configured.\n"
    assert out.count(note) == 1 and out.startswith(note)  # once, before the id, and not an error
    for name in (checked, first, second):
        assert podman_cli.state(name) == "running"
        env = podman_cli("exec", name, "cat", "/proc/1/environ").stdout
        assert "NVIDIA_VISIBLE_DEVICES" in env  # the CDI device really reached it
