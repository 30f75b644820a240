"""A lab member types an image this machine does not have into the panel's Run form: the run
pulls it first, with a bar in the form (bytes, %, speed), then starts the container.

The registry is the lab's behind a 10 MB/s relay (a real mirror is further away than
loopback), so that Podman reports bytes while the 32 MB layer arrives."""

from __future__ import annotations

import html

from ..images.conftest import pulled, registries, slow_relay  # noqa: F401  (fixtures)


def test_the_run_form_pulls_a_missing_image_with_a_progress_bar_then_runs(panel, slow_relay, pulled, unique_name, podman_cli):  # noqa: F811
    image = pulled(f"{slow_relay.listen}/lab/pulltest:latest")
    form = panel.run_form
    bars: list[float] = []
    words: list[str] = []
    form.pull_bar.observe(lambda change: bars.append(change["new"]), names="value")
    form.pull_text.observe(lambda change: words.append(change["new"]), names="value")
    assert form.pull_row.layout.display == "none"  # nothing to show before a pull

    name = unique_name()
    form.image.value = image  # typed: it is not among the offered images
    form.name.value = name
    form.command.value = "sleep infinity"
    form.run_button.click()

    assert podman_cli.state(name) == "running", panel.status
    assert podman_cli("image", "exists", image, check=False).returncode == 0
    assert form.pull_row.layout.display == "flex"
    assert any(0 < value < 1 for value in bars), bars  # the bar moved while bytes arrived
    assert bars[-1] == 1.0 and form.pull_bar.bar_style == "success"
    during = [text for text in words if " MB/s" in text]
    assert during and all(" % · " in text and " MB of " in text for text in during), words
    assert words[-1].startswith(f"Pulled {image}: image "), words  # the summary stays
    assert image in form.image.options  # and the image is offered from now on


def test_an_image_already_here_is_not_pulled(panel, test_image, unique_name, podman_cli):
    name = unique_name()
    panel.run_form.fill(image=test_image, name=name, command="sleep infinity")
    panel.run_form.run_button.click()
    assert podman_cli.state(name) == "running", panel.status
    assert panel.run_form.pull_row.layout.display == "none"


def test_a_pull_that_fails_says_why_and_creates_nothing(panel, registries, unique_name, podman_cli):  # noqa: F811
    name = unique_name()
    image = f"{registries.open}/lab/python:no-such-tag"
    panel.run_form.fill(image=image, name=name, command="true")
    panel.run_form.run_button.click()
    assert f"Could not pull '{image}': the registry {registries.open} has no such image or tag." in html.unescape(panel.status)
    assert panel.run_form.pull_bar.bar_style == "danger"
    assert not podman_cli.exists(name)


def test_interrupting_the_run_forms_pull_keeps_nothing(panel, slow_relay, pulled, unique_name, podman_cli):  # noqa: F811
    """The kernel's interrupt (SIGINT, as ipykernel sends it) while the form pulls: the form
    says so, no image and no container appear."""
    import os
    import signal
    import threading
    import time

    import pytest

    slow_relay.rate = 2e6  # 32 MB: about 16 s, time to interrupt mid-download
    image = pulled(f"{slow_relay.listen}/lab/pulltest:latest")
    name = unique_name()
    form = panel.run_form
    moved = threading.Event()
    form.pull_bar.observe(lambda change: moved.set() if 0 < change["new"] < 1 else None, names="value")

    def interrupt_when_bytes_arrive() -> None:
        if moved.wait(60):
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_bytes_arrive, daemon=True).start()
    form.fill(image=image, name=name, command="sleep infinity")
    with pytest.raises(KeyboardInterrupt):
        form.run_button.click()
        time.sleep(30)  # not reached when the interrupt lands during the pull

    assert moved.is_set()
    assert form.pull_text.value == f"pull of {image} interrupted; nothing was kept"
    assert form.pull_bar.bar_style == "danger"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # a pull that went on would create it meanwhile
        assert podman_cli("image", "exists", image, check=False).returncode != 0
        time.sleep(0.5)
    assert not podman_cli.exists(name)
