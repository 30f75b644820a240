"""The Logs box as a user meets it: the newest lines in view, and gone with its container."""

from __future__ import annotations

import re
import threading

from labcontainer.core.models import ContainerSpec

from ..conftest import wait_until
from .conftest import settled

COUNTER = "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done"


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"line (\d+)", text)]


def newest_by_podman(podman_cli, name: str) -> int:
    return numbers(podman_cli("logs", "--tail", "1", name).stdout)[-1]


def paused_count(note: str) -> int:
    found = re.search(r"paused: (\d+) new line", note)
    return int(found.group(1)) if found else -1


def log_followers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "labcontainer-logs" and t.is_alive())


def test_logs_box_keeps_the_newest_line_in_view_until_the_user_pauses_it(panel, service, test_image, unique_name, podman_cli):
    name = unique_name()
    service.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", COUNTER), init=True))
    panel.refresh()
    panel.row(name).button("Logs").click()
    log = panel.logs

    # The box is a scroll container laid out bottom-up: the browser anchors it at its last
    # line (the newest) rather than at the first, as the old Textarea did.
    layout = log.view.layout.get_state()
    assert (layout["display"], layout["flex_flow"], layout["overflow"]) == ("flex", "column-reverse", "auto")
    wait_until(lambda: len(numbers(log.view.get_state()["value"])) >= 20, message="twenty lines in the box")
    shown = numbers(log.view.get_state()["value"])
    assert shown == list(range(shown[0], shown[0] + len(shown))), "oldest first, newest last, none missing"
    assert shown[-1] <= newest_by_podman(podman_cli, name)

    # The user unticks "follow" to read: the box holds still while the container writes on.
    log.follow_box.value = False
    frozen = log.view.get_state()["value"]
    last_frozen = numbers(frozen)[-1]
    wait_until(lambda: paused_count(log.note.value) >= 20, message="twenty new lines read while paused")
    assert log.view.get_state()["value"] == frozen
    assert "tick <b>follow</b>" in log.note.value
    assert newest_by_podman(podman_cli, name) >= last_frozen + 20

    # Ticking it again shows what came meanwhile, newest last.
    log.follow_box.value = True
    caught_up = numbers(log.view.get_state()["value"])
    assert caught_up[-1] >= last_frozen + 20 and log.note.value == ""
    assert caught_up[-1] <= newest_by_podman(podman_cli, name)
    assert caught_up == list(range(caught_up[0], caught_up[0] + len(caught_up)))


def test_removing_the_container_whose_logs_are_shown_empties_the_box(panel, service, test_image, unique_name, podman_cli):
    before = log_followers()
    name = unique_name("uxweb")
    service.run(ContainerSpec(image=test_image, name=name, command=("sh", "-c", "echo serving uxweb; exec sleep infinity"), init=True))
    panel.refresh()
    panel.row(name).button("Logs").click()
    wait_until(lambda: panel.logs.shown_text == "serving uxweb", message="the log in the box")
    assert name in panel.logs.title.value

    panel.row(name).button("Stop").click()
    settled(panel)  # Stop and Remove run in the background (the kernel stays free)
    panel.row(name).button("Remove").click()
    panel.question.yes.click()
    settled(panel)
    assert not podman_cli.exists(name)

    assert panel.selected is None
    assert panel.logs.shown_text == "" and panel.logs.view.get_state()["value"] == ""
    assert name not in panel.logs.title.value and "click <i>Logs</i>" in panel.logs.title.value
    wait_until(lambda: log_followers() == before, timeout=5, message="its follower to end")
    assert panel.logs.shown_text == "", "a stopped follower must not write its old lines back"


def test_removing_another_container_leaves_the_logs_shown(panel, service, test_image, unique_name, podman_cli):
    shown, other = unique_name("shown"), unique_name("other")
    service.run(ContainerSpec(image=test_image, name=shown, command=("sh", "-c", "echo still here; exec sleep infinity"), init=True))
    service.run(ContainerSpec(image=test_image, name=other, command=("true",)))
    wait_until(lambda: podman_cli.state(other) == "exited")
    panel.refresh()
    panel.row(shown).button("Logs").click()
    wait_until(lambda: panel.logs.shown_text == "still here", message="the log in the box")
    panel.row(other).button("Remove").click()
    panel.question.yes.click()
    settled(panel)
    assert not podman_cli.exists(other)
    assert panel.selected == shown and panel.logs.shown_text == "still here"
