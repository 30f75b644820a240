"""The panel's public handles (widgets/handles.py) over a fake engine: what tests and scripts
click is what the user clicks, and it reaches the service."""

from __future__ import annotations

import time

import pytest

from labcontainer.core.models import LABEL_KERNEL_ID, LABEL_NOTEBOOK, PURPOSE_KERNEL, ContainerSpec
from labcontainer.widgets import ContainerPanel

from .conftest import IMAGE


def settled(panel, timeout: float = 10.0) -> None:
    """Stop, Restart and Remove run in the background (the kernel stays free): wait for them."""
    deadline = time.monotonic() + timeout
    while panel.action_threads:
        assert time.monotonic() < deadline, "the panel's action did not end"
        time.sleep(0.01)


@pytest.fixture
def panel(service):
    made = ContainerPanel(service, auto_refresh=False)
    yield made
    made.close()


def test_a_rows_buttons_act_on_its_container(panel, service, engine):
    service.run(ContainerSpec(image=IMAGE, name="web"))
    panel.refresh()
    row = panel.row("web")
    assert row.name == "web" and "web" in row.text and IMAGE in row.text
    assert set(row.buttons) == {"Start", "Stop", "Restart", "Remove", "Logs"}
    assert row.button("Start").disabled and not row.button("Stop").disabled
    row.button("Stop").click()
    settled(panel)
    assert engine.state("web") == "exited" and panel.status == "stop: web done"
    assert not panel.row("web").button("Start").disabled, "the row is redrawn with the new state"
    with pytest.raises(KeyError, match="no 'Pause' button"):
        panel.row("web").button("Pause")
    with pytest.raises(KeyError, match="no row for 'db'"):
        panel.row("db")


def test_remove_asks_a_question_answered_through_its_handle(panel, service, engine):
    service.run(ContainerSpec(image=IMAGE, name="web"))
    service.stop("web")
    panel.refresh()
    assert panel.question is None
    panel.row("web").button("Remove").click()
    assert panel.question.text.startswith("Remove container web?") and engine.state("web") == "exited"
    panel.question.no.click()
    assert panel.question is None and engine.state("web") == "exited" and panel.status == "removal cancelled"
    panel.row("web").button("Remove").click()
    panel.question.yes.click()
    settled(panel)
    assert engine.state("web") is None and panel.question is None
    assert "web" not in [row.name for row in panel.rows]


def test_a_kernels_container_says_whose_it_is_and_asks_before_a_stop(panel, service, engine):
    service.run(ContainerSpec(image=IMAGE, name="lc-kernel-k1", purpose=PURPOSE_KERNEL,
                              labels={LABEL_KERNEL_ID: "k1", LABEL_NOTEBOOK: "/home/ada/train.ipynb"}))
    panel.refresh()
    assert "kernel of train.ipynb" in panel.row("lc-kernel-k1").text
    panel.row("lc-kernel-k1").button("Stop").click()
    assert "variables are lost" in panel.question.text and engine.state("lc-kernel-k1") == "running"


def test_the_run_form_and_the_gpu_strip(panel, engine):
    assert [box.description for box in panel.run_form.gpu_choices.children] == ["GPU 0 (free)", "GPU 1 (free)"]
    assert "NVIDIA A100" in panel.gpus_text
    panel.run_form.fill(image=IMAGE, name="trainer", gpus=(1,), command="sleep infinity")
    panel.run_form.run_button.click()
    assert engine.containers["trainer"].info.gpus == ("nvidia.com/gpu=1",), panel.status
    assert "trainer" in panel.gpus_text  # the strip says who uses GPU 1


def test_the_filter_toggle_changes_the_scope(panel, service, engine):
    service.run(ContainerSpec(image=IMAGE, name="ours"))
    engine.add("made-in-a-terminal")
    panel.refresh()
    assert {row.name for row in panel.rows} == {"ours", "made-in-a-terminal"}
    panel.filter_toggle.value = "labcontainer only"
    assert [row.name for row in panel.rows] == ["ours"]
