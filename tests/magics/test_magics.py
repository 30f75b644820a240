"""%container and %gpus typed into a real IPython shell, against a real Podman service."""

from __future__ import annotations

import subprocess
import sys

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

from ..conftest import no_driver_reader, wait_until
from .conftest import line


def test_ps_shows_a_multi_line_command_on_its_row(shell, test_image, unique_name, podman_cli):
    """A kernel kept ready runs a `python3 -c` script: its newlines must not break the table."""
    name = unique_name()
    podman_cli("run", "-d", "--name", name, test_image, "sh", "-c", "\nsleep infinity\n")
    (row,) = [r for r in repr(line(shell, "ps")).splitlines() if name in r]
    assert "sh -c sleep infinity" in row and "Up " in row


def test_lab_guide_story(shell, test_image, unique_name, podman_cli, tmp_path, capsys):
    name = unique_name()
    (tmp_path / "data.txt").write_text("42\n")
    images = line(shell, "images")
    assert test_image in [i.name for i in images]
    assert test_image in images._repr_html_() and "REPOSITORY:TAG" in repr(images)

    line(shell, f"run -d --name {name} -v {tmp_path}:/data:ro -e WHO=lab --gpus 0 {test_image} sleep infinity")
    assert podman_cli.state(name) == "running"
    running = line(shell, "ps")
    row = [c for c in running if c.name == name][0]
    assert row.gpus == ("nvidia.com/gpu=0",)
    assert "<table" in running._repr_html_() and name in repr(running)

    capsys.readouterr()
    result = line(shell, f"exec {name} sh -c 'cat /data/data.txt; echo $WHO; echo oops >&2; exit 3'")
    out = capsys.readouterr()
    assert out.out == "42\nlab\n" and "oops" in out.err
    assert result.exit_code == 3 and repr(result) == "exit code 3"

    line(shell, f"stop -t 1 {name}")
    assert podman_cli.state(name) == "exited"
    assert name not in [c.name for c in line(shell, "ps")]
    assert name in [c.name for c in line(shell, "ps -a")]
    line(shell, f"start {name}")
    assert podman_cli.state(name) == "running"
    line(shell, f"restart {name}")
    assert podman_cli.state(name) == "running"
    assert line(shell, f"inspect {name}")["Name"] == name
    line(shell, f"kill {name}")
    wait_until(lambda: podman_cli.state(name) == "exited")
    line(shell, f"rm {name}")
    assert not podman_cli.exists(name)


def test_attached_run_streams_output_and_returns_the_exit_status(shell, test_image, unique_name, podman_cli, capsys):
    name = unique_name()
    status = line(shell, f"run --rm --name {name} {test_image} sh -c 'for i in 1 2 3; do echo line $i; done; exit 5'")
    assert capsys.readouterr().out == "line 1\nline 2\nline 3\n"
    assert status.exit_code == 5
    assert not podman_cli.exists(name)  # --rm honoured once the output was read


def test_logs_tail_and_follow(shell, test_image, unique_name, capsys, podman_cli):
    name = unique_name()
    line(shell, f"run -d --name {name} {test_image} sh -c 'echo a; echo b; echo c; sleep 2'")
    assert podman_cli.state(name) == "running"  # so `logs -f` really follows a live container
    capsys.readouterr()
    line(shell, f"logs -f {name}")  # returns when the container exits
    assert capsys.readouterr().out == "a\nb\nc\n"
    line(shell, f"logs --tail 1 {name}")
    assert capsys.readouterr().out == "c\n"


def test_python_variables_expand(shell, test_image, unique_name, podman_cli, capsys):
    name = unique_name()
    shell.user_ns["image"] = test_image
    shell.user_ns["cname"] = name
    shell.run_cell("%container run -d --name {cname} {image} sh -c 'echo expanded; sleep infinity'")
    assert podman_cli.state(name) == "running"
    wait_until(lambda: podman_cli("logs", name).stdout.strip() == "expanded")
    capsys.readouterr()
    shell.run_cell("%container logs {cname}")
    assert capsys.readouterr().out == "expanded\n"


@pytest.mark.parametrize("interpreter, body, expected", [
    ("--bash", "cd /tmp\necho \"in $(pwd) as $(id -u)\"\nexit 0\n", "in /tmp as"),
    ("--python", "import sys\nprint('py', sys.version_info[0])\n", "py 3"),
])
def test_cell_magic_runs_the_cell_in_the_container(shell, test_image, unique_name, capsys, interpreter, body, expected):
    name = unique_name()
    line(shell, f"run -d --name {name} {test_image} sleep infinity")
    capsys.readouterr()
    result = shell.run_cell_magic("container", f"exec {interpreter} {name}", body)
    assert expected in capsys.readouterr().out
    assert result.exit_code == 0


def test_gpus_with_recorded_readings(engine, test_image, unique_name):
    ip = InteractiveShell.instance()
    readings = {"gpus": [
        {"index": 0, "name": "NVIDIA A100", "memory_used": 2 << 30, "memory_total": 40 << 30, "utilization": 50, "temperature": 60,
         "processes": [{"pid": "self", "used_memory": 2 << 30}]},
        {"index": 1, "name": "NVIDIA A100", "memory_used": 0, "memory_total": 40 << 30, "utilization": 0, "temperature": 40},
    ]}
    magics = ContainerMagics(ip, service=LabService(engine, nvml=RecordedReader(readings)))
    report = magics.gpus("")
    text = repr(report)
    assert "NVIDIA A100" in text and "2,048 MiB / 40,960 MiB" in text and "50%" in text
    assert "(host)" in text  # this test process is on GPU 0, in no container
    assert "<table" in report._repr_html_()
    # GPU 0 is busy, so GPU 1 is free, in a form that --gpus accepts ...
    free = magics.gpus("--free")
    assert free == "1" and free.indices == [1]
    name = unique_name()
    magics.container(f"run -d --name {name} --gpus {free} {test_image} sleep infinity")
    # ... and once a running labcontainer container asked for it, it is not free any more
    assert magics.gpus("--free") == "none"
    with pytest.raises(UsageError):
        magics.gpus("--bogus")


def test_gpus_without_a_driver_is_one_clear_line(engine):
    magics = ContainerMagics(InteractiveShell.instance(), service=LabService(engine, nvml=no_driver_reader()))
    text = repr(magics.gpus(""))
    assert text.startswith("No GPUs: No NVIDIA driver") and "\n" not in text.strip()


def test_usage_errors_show_no_traceback_in_a_terminal(test_image, podman_url):
    code = "%load_ext labcontainer\n%container run -v nonsense " + test_image + "\n"
    done = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", "-c", code],
                          capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert "UsageError: Bad volume 'nonsense'" in output
    assert "Traceback" not in output


def test_help(shell, capsys):
    line(shell, "help")
    assert "%container SUBCOMMAND" in capsys.readouterr().out
    # --help prints the subcommand's help once, and is not an error
    assert line(shell, "run --help") is None
    out = capsys.readouterr().out
    assert out.count("usage: %container run") == 1 and "--gpus" in out
    for option in ("-a, --all", "-f KEY=VALUE"):
        line(shell, "ps --help")
        assert option in capsys.readouterr().out
