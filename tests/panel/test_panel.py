"""The panel driven as a user would: clicks and form values, checked against real Podman."""

from __future__ import annotations

import labcontainer
from labcontainer.core.models import LABEL_KERNEL_ID, LABEL_NOTEBOOK, ContainerSpec
from labcontainer.engine import PodmanEngine
from labcontainer.gpus import RecordedReader
from labcontainer.service import LabService
from labcontainer.widgets import ContainerPanel
from labcontainer.widgets.model import LogBuffer

from ..conftest import no_driver_reader, wait_until
from .conftest import settled


def row(panel, name):
    return {r.name: r for r in panel.rows}[name]


def test_buttons_follow_the_real_state(panel, engine, test_image, unique_name, podman_cli):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
    panel.refresh()
    buttons = panel.row(name).buttons
    assert buttons["Stop"].disabled is False and buttons["Start"].disabled is True and buttons["Remove"].disabled is True

    buttons["Stop"].click()
    settled(panel)  # Stop runs in the background (the kernel stays free)
    assert podman_cli.state(name) == "exited"
    buttons = panel.row(name).buttons  # rows are rebuilt after the action
    assert buttons["Start"].disabled is False and buttons["Stop"].disabled is True
    buttons["Start"].click()
    assert podman_cli.state(name) == "running"
    panel.row(name).button("Restart").click()
    settled(panel)
    assert podman_cli.state(name) == "running" and "restart" in panel.status


def test_remove_asks_first(panel, engine, test_image, unique_name, podman_cli):
    name = unique_name()
    engine.run(ContainerSpec(image=test_image, name=name, command=("true",)))
    wait_until(lambda: podman_cli.state(name) == "exited")
    panel.refresh()
    panel.row(name).button("Remove").click()
    assert podman_cli.exists(name), "nothing is removed before the user confirms"
    panel.question.no.click()
    assert podman_cli.exists(name)
    panel.row(name).button("Remove").click()
    panel.question.yes.click()
    settled(panel)
    assert not podman_cli.exists(name)
    assert name not in [r.name for r in panel.rows]


def test_filter_hides_containers_labcontainer_did_not_start(panel, engine, test_image, unique_name, unlabelled_container):
    ours = unique_name("ours")
    engine.run(ContainerSpec(image=test_image, name=ours, command=("sleep", "infinity"), init=True))
    panel.refresh()
    assert {ours, unlabelled_container} <= {r.name for r in panel.rows}
    panel.filter_toggle.value = "labcontainer only"  # the user flips the toggle
    names = {r.name for r in panel.rows}
    assert ours in names and unlabelled_container not in names


def test_run_form_starts_a_container_with_a_gpu(panel, test_image, unique_name, podman_cli):
    name = unique_name()
    panel.set_form(image=test_image, name=name, gpus=(1,), command="sleep infinity")
    labels = [c.description for c in panel.run_form.gpu_choices.children]
    assert labels == ["GPU 0", "GPU 1 (free)"]  # GPU 0 has a process on it
    panel.run_form.run_button.click()
    assert podman_cli.state(name) == "running", panel.status
    assert row(panel, name).gpus == "1"
    assert name in panel.gpus_text  # the GPU strip says who uses GPU 1


def test_bad_form_input_goes_to_the_status_line(panel, test_image, podman_cli):
    before = podman_cli.names()
    panel.set_form(image=test_image, volumes="not-a-volume", command="true")
    panel.run_form.run_button.click()  # must not raise into the notebook
    assert "Bad volume" in panel.status
    panel.set_form(image="localhost/labcontainer-no-such:1", command="true")
    panel.run_form.run_button.click()
    assert "%container pull" in panel.status
    assert podman_cli.names() == before


def test_logs_follow_into_a_bounded_buffer(service, test_image, unique_name):
    panel = ContainerPanel(service, auto_refresh=False, log_limit=50)
    try:
        name = unique_name()
        service.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", "seq 1 2000; sleep 1; echo last")))
        panel.refresh()
        panel.row(name).button("Logs").click()
        wait_until(lambda: panel.logs.shown_text.endswith("last"), timeout=20, message="the followed logs to reach the end")
        assert len(panel.logs.buffer) == 50 and len(panel.logs.shown_text.splitlines()) == 50
        assert panel.logs.buffer.total >= 200  # it saw them (tail 200) but keeps only 50
    finally:
        panel.close()


def _log_followers() -> int:
    import threading

    return sum(1 for t in threading.enumerate() if t.name == "labcontainer-logs" and t.is_alive())


def test_log_followers_end_when_superseded_or_closed(service, test_image, unique_name):
    """Logs clicked five times on a quiet running container, then the panel closed: no
    follower thread is left polling Podman."""
    before = _log_followers()
    panel = ContainerPanel(service, auto_refresh=False)
    name = unique_name()
    service.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", "echo one; exec sleep infinity"), init=True))
    panel.refresh()
    for _ in range(5):
        panel.row(name).button("Logs").click()
    wait_until(lambda: panel.logs.shown_text == "one", message="the last follower to show the log")
    wait_until(lambda: _log_followers() == before + 1, timeout=5, message="superseded followers to end")
    panel.close()
    wait_until(lambda: _log_followers() == before, timeout=5, message="the follower to end when the panel closes")


def test_log_buffer_is_bounded():
    buffer = LogBuffer(3)
    buffer.extend(str(i) for i in range(10))
    assert buffer.text() == "7\n8\n9" and buffer.total == 10


def test_no_driver_shows_the_reason(engine):
    panel = ContainerPanel(LabService(engine, nvml=no_driver_reader()), auto_refresh=False)
    assert "No NVIDIA driver" in panel.gpus_text
    panel.close()


def test_panel_survives_a_podman_restart(private_service, test_image, unique_name, podman_cli):
    service = LabService(PodmanEngine(private_service.url), nvml=RecordedReader({"gpus": []}))
    panel = ContainerPanel(service, auto_refresh=True)
    panel._repr_mimebundle_()  # displayed, as in a notebook: the panel follows Podman's events from now on
    try:
        name = unique_name()
        service.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
        wait_until(lambda: name in [r.name for r in panel.rows], message="the event-driven refresh to show the new container")

        private_service.stop()
        panel.refresh()
        assert "Podman is not reachable" in panel.banner and "podman system service" in panel.banner
        panel.row(name).button("Stop").click()  # clicking while down: no exception, a message
        settled(panel)
        assert "podman system service" in panel.status, panel.status

        private_service.start()
        wait_until(lambda: panel.banner == "", timeout=20, message="the banner to go once Podman is back")
        wait_until(lambda: name in [r.name for r in panel.rows])
        panel.row(name).button("Stop").click()
        settled(panel)
        assert podman_cli.state(name) == "exited"
    finally:
        panel.close()


def test_top_level_helper_and_magic(engine, monkeypatch):
    import labcontainer.service as service_module

    monkeypatch.setitem(service_module._process, "service", LabService(engine, nvml=RecordedReader({"gpus": []})))
    monkeypatch.delitem(service_module._process, "servers", raising=False)
    made = labcontainer.panel(auto_refresh=False)
    assert isinstance(made, ContainerPanel)
    made.close()
    from IPython.core.interactiveshell import InteractiveShell

    from labcontainer.magics import ContainerMagics

    shown = ContainerMagics(InteractiveShell.instance()).container("panel")
    assert isinstance(shown, ContainerPanel)
    shown.close()


def test_a_kernel_container_is_marked_and_stopped_only_after_asking(panel, engine, test_image, unique_name, podman_cli):
    name = unique_name("kernel")
    engine.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True, purpose="kernel",
                             labels={LABEL_KERNEL_ID: "k-123", LABEL_NOTEBOOK: "/home/ada/work/train.ipynb"}))
    panel.refresh()
    (row,) = [r for r in panel.rows if r.name == name]
    assert row.kernel == "kernel of train.ipynb"
    assert "kernel of train.ipynb" in panel.row(name).text

    panel.row(name).button("Stop").click()
    assert podman_cli.state(name) == "running", "a kernel's container is not stopped before the user confirms"
    assert "variables are lost" in panel.question.text
    panel.question.no.click()
    assert podman_cli.state(name) == "running"
    panel.row(name).button("Stop").click()
    panel.question.yes.click()
    assert podman_cli.state(name) in ("exited", "stopped")
