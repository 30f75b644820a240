"""A lab member follows the Podman guide's first habit, `podman run IMAGE`, with an image that
is only in the lab's registry: `%container run` pulls it first, with `%container pull`'s
progress, then runs it, attached or detached. `--pull=never|missing|always` works as in
podman; a pull that fails or is interrupted creates no container.

The podman CLI is the witness: the image is there after the run, the container exists (or
ran), and after a failed pull no container of that name exists.
"""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from labcontainer.magics import ContainerFailure
from labcontainer.magics.progress import PullInterrupted

from ..conftest import wait_until
from .conftest import line
from .test_pull_interrupt import RATE, counting_relay, kernel, progress_labels, run_until_interrupted  # noqa: F401 - fixtures

SUMMARY_START = "Pulled "  # `%container pull`'s summary line: "Pulled IMAGE: image ID, SIZE, in N s"


def pull_lines(stderr: str) -> list[str]:
    return [text for text in stderr.splitlines() if text.strip()]


def test_attached_run_pulls_a_missing_image_then_runs_it(shell, registries, pulled, podman_cli, unique_name, capsys):
    image = pulled(f"{registries.open}/lab/python:latest")
    name = unique_name()
    capsys.readouterr()
    result = line(shell, f"run --name {name} {image} python3 -c 'print(6 * 7)'")
    err = pull_lines(capsys.readouterr().err)
    # The same progress as `%container pull`: the start, Podman's steps, the summary.
    assert err[0] == f"Pulling {image}", err
    assert any(text.startswith(SUMMARY_START) for text in err), err
    assert result.exit_code == 0 and result.stdout.strip() == "42"
    assert podman_cli("image", "exists", image, check=False).returncode == 0
    assert podman_cli.state(name) == "exited"


def test_detached_run_pulls_a_missing_image_then_starts_it(shell, registries, pulled, podman_cli, unique_name, capsys):
    image = pulled(f"{registries.open}/lab/python:latest")
    name = unique_name()
    capsys.readouterr()
    line(shell, f"run -d --name {name} {image} sleep infinity")
    out, err = capsys.readouterr()
    assert pull_lines(err)[0] == f"Pulling {image}"
    assert podman_cli("image", "exists", image, check=False).returncode == 0
    assert podman_cli.state(name) == "running"
    assert out.strip().splitlines()[-1] == podman_cli("inspect", "--format", "{{.Id}}", name).stdout.strip()


def test_pull_never_refuses_a_missing_image_in_words(shell, registries, pulled, podman_cli, unique_name):
    image = pulled(f"{registries.open}/lab/python:latest")
    name = unique_name()
    with pytest.raises(UsageError) as caught:
        line(shell, f"run --pull=never -d --name {name} {image} sleep infinity")
    message = str(caught.value)
    assert "not on this machine" in message and "--pull=never" in message, message
    assert not podman_cli.exists(name)
    assert podman_cli("image", "exists", image, check=False).returncode != 0  # nothing was pulled


def test_pull_always_pulls_again_and_missing_does_not(shell, registries, slow_relay, pulled, podman_cli, unique_name, capsys):
    # Through the relay, whose byte count says whether Podman went to the registry at all.
    image = pulled(f"{slow_relay.listen}/lab/python:latest")
    podman_cli("pull", "-q", "--tls-verify=false", image)
    before = slow_relay.bytes_sent
    capsys.readouterr()
    line(shell, f"run --rm {image} true")  # --pull=missing, the default: the image is here
    assert slow_relay.bytes_sent == before, "the default policy went to the registry for an image that is here"
    assert "Pulling" not in capsys.readouterr().err

    result = line(shell, f"run --pull=always --rm {image} true")
    assert result.exit_code == 0
    assert pull_lines(capsys.readouterr().err)[0] == f"Pulling {image}"
    assert slow_relay.bytes_sent > before, "--pull=always did not ask the registry"


def test_a_failed_pull_creates_no_container(shell, registries, podman_cli, unique_name):
    name = unique_name()
    image = f"{registries.open}/lab/no-such-image-here:latest"
    with pytest.raises((UsageError, ContainerFailure)):
        line(shell, f"run -d --name {name} {image} sleep infinity")
    assert not podman_cli.exists(name)
    with pytest.raises((UsageError, ContainerFailure)):
        line(shell, f"run --name {name} {image} true")  # attached: the same
    assert not podman_cli.exists(name)


def test_an_interrupted_pull_creates_no_container(shell, registries, pulled, podman_cli, unique_name, monkeypatch):
    # The interrupt itself (a real kernel's SIGINT mid-download) is test_pull_interrupt's
    # story; here it lands in the pull the run started, and the run goes no further.
    image = pulled(f"{registries.open}/lab/python:latest")
    name = unique_name()
    service = shell.magics_manager.registry["ContainerMagics"].service

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(service.images, "pull", interrupted)
    with pytest.raises(PullInterrupted) as caught:
        line(shell, f"run -d --name {name} {image} sleep infinity")
    assert caught.value.line() == f"pull of {image} interrupted; nothing was kept"
    assert not podman_cli.exists(name)


@pytest.mark.parametrize("detach", ["-d ", ""], ids=["detached", "attached"])
def test_interrupting_the_pull_of_a_run_in_a_notebook_creates_no_container(kernel, counting_relay, pulled, podman_cli, unique_name, detach):
    # The real thing: a notebook's kernel, its Interrupt while the layer downloads (2 MB/s).
    km, client = kernel
    image = pulled(f"{counting_relay.listen}/lab/pulltest:latest")
    name = unique_name()
    assert client.execute_interactive("%load_ext labcontainer", timeout=60)["content"]["status"] == "ok"

    def downloading(messages: list[dict]) -> bool:
        shown = [label for label in progress_labels(messages) if "Copying blob" in label or "Downloading" in label]
        return bool(shown) and counting_relay.bytes_sent > RATE

    messages = run_until_interrupted(km, client, f"%container run {detach}--name {name} {image} true", downloading)
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert [e["traceback"] for e in errors] == [[f"pull of {image} interrupted; nothing was kept"]]
    wait_until(lambda: counting_relay.open_connections == 0, message="Podman to give the pull up")
    assert not podman_cli.exists(name)
    assert podman_cli("image", "exists", image, check=False).returncode != 0
