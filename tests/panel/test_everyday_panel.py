"""The ipywidgets panel as a newcomer met it (#24 item 8): Stop keeps the kernel free, the
status ages, the image box starts empty and wide enough, and nothing needs a horizontal
scrollbar at the notebook's default width. Through the public handles, against real Podman.
"""

from __future__ import annotations

import html
import os
import re
import time

import ipywidgets as widgets

from labcontainer.core.models import ContainerSpec
from labcontainer.widgets import ContainerPanel

from ..conftest import wait_until
from .conftest import settled

#: A container that ignores SIGTERM: a stop waits out its 10 s timeout, then SIGKILL.
DEAF = ("sh", "-c", "trap '' TERM; sleep 1000")
#: A notebook's output area with a sidebar open: what must fit without a scrollbar.
DEFAULT_WIDTH = 700
#: Widths the browser gives widgets laid out without one (ipywidgets' inline width).
INLINE_WIDTH = 300


def test_stop_runs_in_the_background_and_the_row_says_stopping(panel, service, test_image, unique_name, podman_cli):
    name = unique_name("deaf")
    service.run(ContainerSpec(image=test_image, name=name, command=DEAF))
    panel.refresh()

    started = time.monotonic()
    panel.row(name).button("Stop").click()
    took = time.monotonic() - started
    assert took < 0.5, f"the click kept the kernel busy {took:.1f} s"
    row = panel.row(name)
    assert "stopping…" in row.text and podman_cli.state(name) in ("running", "stopping")  # not stopped yet
    assert all(row.button(b).disabled for b in ("Start", "Stop", "Restart", "Remove"))
    assert f"stop {name}" in panel.status

    # Podman waits out the 10 s, kills it; the row is redrawn when it is done.
    wait_until(lambda: podman_cli.state(name) == "exited", timeout=30, message="the deaf container to be stopped")
    settled(panel)
    assert "stopping…" not in panel.row(name).text and "Exited" in panel.row(name).text
    assert panel.status == f"stop: {name} done"


def test_a_failed_background_action_says_why_in_the_panel(panel, service, test_image, unique_name, podman_cli):
    name = unique_name()
    service.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
    panel.refresh()
    podman_cli("rm", "-f", "-t", "0", name)  # gone behind the panel's back
    panel.row(name).button("Restart").click()
    settled(panel)
    assert "No container named" in panel.status and name in panel.status
    assert name not in [row.name for row in panel.rows]  # refreshed after the failure too


def test_the_status_ages_without_podman_saying_anything(service, test_image, unique_name):
    panel = ContainerPanel(service, heartbeat=3600)  # no heartbeat in this test's time
    panel._repr_mimebundle_()  # displayed: it follows Podman's events from now on
    try:
        name = unique_name()
        service.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
        wait_until(lambda: name in [r.name for r in panel.rows], message="the event-driven refresh to show it")
        wait_until(lambda: "Up less than a minute" in panel.row(name).text, timeout=5,
                   message=f"the status to age (it says {panel.row(name).text!r})")
        assert panel.refresh_reasons["heartbeat"] == 0  # aged by the clock, not by a heartbeat's list
    finally:
        panel.close()


def test_the_status_shows_the_exact_start_time_on_hover(panel, service, test_image, unique_name, podman_cli):
    name = unique_name()
    service.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
    panel.refresh()
    # The podman CLI's start time, "2026-12-06 22:40:01.123456789 +0000 UTC", to the second.
    started = podman_cli("inspect", "--format", "{{.State.StartedAt}}", name).stdout.strip().split(".")[0]
    titles = re.findall(r"title='([^']*)'", "".join(c.value for c in panel.row(name).widget.children if isinstance(c, widgets.HTML)))
    assert titles == [f"started {started} UTC"], titles


def test_the_image_box_starts_empty_and_wide_enough(panel, test_image):
    form = panel.run_form
    assert test_image in form.image.options  # local images are offered ...
    assert form.image.value == "" and form.image.placeholder  # ... none is chosen for the user
    panel.refresh_images()
    assert form.image.value == ""
    width = form.image.layout.width or ""
    assert width.endswith("px") and int(width[:-2]) >= 400, f"the image box is {width or 'the default width'}"
    assert form.image.layout.max_width == "100%"


def fixed_width(widget: widgets.Widget) -> int:
    width = widget.layout.width or ""
    if width.endswith("px"):
        return int(float(width[:-2]))
    if isinstance(widget, (widgets.FloatProgress, widgets.Text, widgets.Combobox)) and not width:
        return INLINE_WIDTH
    return 0


def boxes(widget: widgets.Widget):
    if isinstance(widget, widgets.Box):
        yield widget
        for child in widget.children:
            yield from boxes(child)


def test_no_row_is_wider_than_the_notebook_unless_it_wraps(panel, service, test_image, unique_name):
    name = unique_name()
    service.run(ContainerSpec(image=test_image, name=name, command=("sleep", "infinity"), init=True))
    panel.refresh()
    assert "A100" in panel.gpus_text  # the GPU strip is drawn (two recorded GPUs)
    for box in boxes(panel):
        if isinstance(box, widgets.VBox):
            continue
        flow = box.layout.flex_flow or ""
        total = sum(fixed_width(child) for child in box.children)
        assert "wrap" in flow or total <= DEFAULT_WIDTH, (
            f"a row of {total} px that cannot wrap: {[type(c).__name__ for c in box.children]}")
    for widget in [panel.run_form.volumes, panel.run_form.env, panel.run_form.command, panel.run_form.image]:
        assert fixed_width(widget) <= DEFAULT_WIDTH or widget.layout.max_width == "100%"


def test_the_run_form_names_who_holds_the_gpu_it_takes(panel, test_image, unique_name, podman_cli):
    # The recording (conftest): GPU 0 has process 1 (init, root's) on it; GPU 1 is free.
    # Root's process is "yours" when the suite runs as root, else named with its user.
    holder = "your process 1" if os.getuid() == 0 else "process 1 of root"
    name = unique_name()
    panel.set_form(image=test_image, name=name, gpus=(0,), command="sleep infinity")
    panel.run_form.run_button.click()
    assert podman_cli.state(name) == "running", panel.status  # taken, not refused
    assert html.unescape(panel.status) == (f"started {name}. Note: GPU 0 is in use by {holder}. "
                                           "The container shares it (memory and compute).")
