"""The ipywidgets panel follows Podman's events once displayed, and stops when closed.

A user stops a container with the podman CLI in a terminal: the displayed panel shows it
without the user pressing Refresh and without a clock. The heartbeat is set to an hour
here, so an update can only have come from an event; the wait is a deadline loop, not a
measure of speed.
"""

from __future__ import annotations

import threading

from labcontainer.widgets import ContainerPanel
from labcontainer.widgets.follower import THREAD_PREFIX

from ..conftest import wait_until

AN_HOUR = 3600.0


def follower_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX) and t.is_alive()]


def displayed(panel: ContainerPanel) -> ContainerPanel:
    """What the notebook does when a cell's value is the panel; returns once the panel follows
    Podman's events (its first refresh on reaching the stream is done)."""
    panel._repr_mimebundle_()
    wait_until(lambda: panel.refresh_reasons["reconnected"] >= 1, message="the panel's follower to reach Podman")
    return panel


def row_status(panel: ContainerPanel, name: str) -> str | None:
    return next((row.status for row in panel.rows if row.name == name), None)


def test_a_cli_stop_shows_in_the_displayed_panel_through_an_event(service, test_image, unique_name, podman_cli):
    panel = displayed(ContainerPanel(service, heartbeat=AN_HOUR))
    try:
        name = unique_name()
        podman_cli("run", "-d", "--init", "--name", name, test_image, "sleep", "infinity")
        wait_until(lambda: (row_status(panel, name) or "").startswith("Up"), message="the new container's row")
        before = panel.refresh_reasons["event"]

        podman_cli("stop", "-t", "0", name)
        wait_until(lambda: (row_status(panel, name) or "").startswith("Exited"), message="the row to show the CLI's stop")
        assert panel.row(name).button("Start").disabled is False
        # A refresh is counted once it is drawn; the only other refresh was the first one.
        wait_until(lambda: panel.refresh_reasons["event"] > before, message="the event-driven refresh to be counted")
        assert set(panel.refresh_reasons) == {"reconnected", "event"}, panel.refresh_reasons
        assert panel.refresh_reasons["reconnected"] == 1, "the stream was never lost and reopened"
    finally:
        panel.close()


def test_an_image_removed_with_the_cli_leaves_the_run_form(service, test_image, unique_name, podman_cli):
    """Only an image event refreshes the Run form's list (container events do not), so the
    image going from the list proves the event reached the panel."""
    source = unique_name("source")
    image = f"localhost/{source}:1"
    podman_cli("create", "--name", source, test_image, "true")
    podman_cli("commit", "-q", source, image)  # an image of its own, whose only name is this
    podman_cli("rm", source)
    panel = displayed(ContainerPanel(service, heartbeat=AN_HOUR))
    try:
        assert image in panel.run_form.image.options
        podman_cli("rmi", image)
        wait_until(lambda: image not in panel.run_form.image.options, message="the removed image to leave the Run form")
        # Only image events, a reopened stream and the heartbeat reload the list: neither of the others happened.
        assert panel.refresh_reasons["reconnected"] == 1 and panel.refresh_reasons["heartbeat"] == 0, panel.refresh_reasons
        wait_until(lambda: panel.refresh_reasons["event"] >= 1, message="the event-driven refresh to be counted")
    finally:
        panel.close()
        podman_cli("rmi", image, check=False)


def test_a_panel_nobody_displayed_follows_nothing(service):
    panel = ContainerPanel(service)
    try:
        assert not panel.follower_threads, "a panel never shown must not hold a stream to Podman"
    finally:
        panel.close()


def test_closing_the_panel_ends_its_follower(service, test_image, unique_name, podman_cli):
    already = set(follower_threads())
    panel = displayed(ContainerPanel(service, heartbeat=AN_HOUR))
    mine = panel.follower_threads
    assert mine and set(mine) <= set(follower_threads()) - already
    panel.close()
    wait_until(lambda: not any(t.is_alive() for t in mine), message="the panel's follower threads to end")
    # And a closed panel asks nothing more: a change now is not refreshed.
    count = panel.refresh_count
    name = unique_name()
    podman_cli("run", "-d", "--name", name, test_image, "true")
    assert panel.refresh_count == count
    assert not panel.follower_threads
