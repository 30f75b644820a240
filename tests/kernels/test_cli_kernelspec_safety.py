"""`labcontainer kernelspec install` from a terminal is safe: it never replaces someone
else's kernel, replaces its own only with --replace, writes kernelspecs every user can
read under --prefix, and refuses bad settings and images without python3 with one paragraph."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def cli(*args: str, umask: int = -1) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labcontainer.cli", "kernelspec", *args], capture_output=True, text=True, timeout=60, umask=umask, check=False
    )


def refused(done: subprocess.CompletedProcess, *words: str) -> str:
    """The refusal's message, checked to be one paragraph (plus Podman's or the container's own line)."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.startswith("labcontainer: ")
    for word in words:
        assert word in done.stderr, done.stderr
    return done.stderr


def config_in(folder: Path) -> dict:
    return json.loads((folder / "kernel.json").read_text())["metadata"]["kernel_provisioner"]["config"]


def test_someone_elses_kernelspec_and_its_files_survive(data_dir, test_image):
    mine = data_dir / "kernels" / "mine"
    mine.mkdir(parents=True)
    (mine / "kernel.json").write_text(json.dumps({"argv": ["R", "--slave"], "display_name": "My R", "language": "R"}))
    (mine / "logo-64x64.png").write_bytes(b"\x89PNG not really")
    (mine / "notes.txt").write_text("do not lose me\n")
    before = {p.name: p.read_bytes() for p in mine.iterdir()}
    for extra in ((), ("--replace",)):
        message = refused(cli("install", "--image", test_image, "--name", "mine", *extra), "'mine'", str(mine), "did not make it")
        assert message.count("\n") == 1  # one paragraph
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == before
    # The python3 kernel lives in ipykernel's package: a container kernel of that name would hide it.
    refused(cli("install", "--image", test_image, "--name", "python3", "--replace"), "'python3'", "did not make it")
    assert not (data_dir / "kernels" / "python3").exists()


def test_own_kernelspec_replaced_only_with_replace(data_dir, test_image, python_image):
    assert cli("install", "--image", test_image, "--name", "lc-mine").returncode == 0
    refused(cli("install", "--image", python_image, "--inject-ipykernel", "--name", "lc-mine"), "'lc-mine'", "--replace")
    assert config_in(data_dir / "kernels" / "lc-mine") == {"image": test_image}
    done = cli("install", "--image", python_image, "--inject-ipykernel", "--name", "lc-mine", "--replace")
    assert done.returncode == 0, done.stderr
    assert config_in(data_dir / "kernels" / "lc-mine") == {"image": python_image, "inject_ipykernel": True}


def test_prefix_install_is_readable_by_every_user(tmp_path, data_dir, test_image):
    prefix = tmp_path / "shared-env"
    # A careful admin's umask: folders and files would be private without labcontainer's care.
    done = cli("install", "--image", test_image, "--name", "lc-shared", "--prefix", str(prefix), umask=0o077)
    assert done.returncode == 0, done.stderr
    folder = prefix / "share" / "jupyter" / "kernels" / "lc-shared"
    for path in [prefix, *[p for p in folder.parents if prefix in p.parents], folder]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755, path
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == ["kernel.json", "logo-svg.svg"]
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, path


@pytest.mark.parametrize(
    "args, words",
    [
        (["--transport", "bogus"], ["transport 'bogus'", "ipc"]),
        (["--label", "org.labcontainer.kernel-id=not-a-kernel"], ["'org.labcontainer.kernel-id'", "reserved"]),
        (["--label", "no-value"], ["'no-value'", "KEY=VALUE"]),
        (["--name", "a" * 300], ["300 characters", "limit is 64"]),
        (["--name", "../escape"], ["'../escape'", "kernelspec name"]),
        (["--startup-timeout", "0"], ["startup_timeout", "1 to 3600"]),
        (["--env", "NO_VALUE"], ["'NO_VALUE'", "NAME=VALUE"]),
    ],
)
def test_bad_settings_are_refused_before_anything_is_written(data_dir, test_image, args, words):
    message = refused(cli("install", "--image", test_image, *args), *words)
    assert message.count("\n") == 1
    assert not (data_dir / "kernels").exists()


def test_labels_reach_the_kernelspec(data_dir, test_image):
    done = cli("install", "--image", test_image, "--name", "lc-labelled", "--label", "team=vision", "--label", "project=x=y")
    assert done.returncode == 0, done.stderr
    assert config_in(data_dir / "kernels" / "lc-labelled")["labels"] == {"team": "vision", "project": "x=y"}


def test_an_image_without_ipykernel_is_accepted_and_one_without_python_refused(data_dir, python_image, no_python_image, podman_cli):
    # Python but no ipykernel: accepted, and the user is told in one line what will happen.
    done = cli("install", "--image", python_image, "--name", "lc-plain")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("an ipykernel bundle for Python 3.11 mounted (built once with pip on this server).")
    assert config_in(data_dir / "kernels" / "lc-plain") == {"image": python_image}  # no flag needed

    message = refused(cli("install", "--image", no_python_image, "--name", "lc-nothing"), "no python3", "Python 3")
    assert "executable file" in message.splitlines()[-1]  # Podman's own words, on their own line
    assert not (data_dir / "kernels" / "lc-nothing").exists()
    assert {n for n in podman_cli.names() if n.startswith("lc-ipykernel-check-")} == set()  # the checks left nothing
    assert cli("install", "--image", python_image, "--name", "lc-plain", "--inject-ipykernel", "--replace").returncode == 0


def test_an_image_not_here_is_accepted_without_pulling(data_dir, podman_cli):
    image = "localhost/labcontainer-not-pulled-here:1"
    done = cli("install", "--image", image, "--name", "lc-later")
    assert done.returncode == 0, done.stderr
    assert "not on this machine" in done.stdout and "first starts" in done.stdout
    assert podman_cli("image", "exists", image, check=False).returncode != 0
