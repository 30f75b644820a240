"""The service's one pull table (core.pulls), without Podman: rows of pulls someone waits on,
background pulls that stay listed when they fail, and the cap on background pulls."""

from __future__ import annotations

import threading

import pytest

from labcontainer.core.errors import PullFailed, TooBusy
from labcontainer.core.models import PullProgress
from labcontainer.core.pulls import PullsInFlight


def wait_for(table: PullsInFlight, predicate, timeout: float = 10.0):
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        rows = table.current()
        if predicate(rows):
            return rows
        done.wait(0.01)
    pytest.fail(f"the table never got there: {table.current()}")


def test_a_tracked_pull_is_listed_while_it_runs_then_goes():
    table = PullsInFlight()
    with table.track("a:1", kernel_id="k1") as report:
        report(PullProgress(image="a:1", message="Downloading x: 1 MB of 2 MB", downloaded=1, total=2, fraction=0.5))
        (row,) = table.current()
        assert (row.image, row.kernel_id, row.message, row.fraction) == ("a:1", "k1", "Downloading x: 1 MB of 2 MB", 0.5)
        assert "error" not in row.to_json()
    assert table.current() == []


def test_a_background_pull_has_one_row_from_start_to_end():
    table = PullsInFlight()
    go = threading.Event()
    seen = []

    def pull():
        with table.track("a:1") as report:  # what LabService.pull does, in the job's thread
            seen.append(len(table.current()))
            go.wait(10)
            report(PullProgress(image="a:1", message="Copying blob"))
            seen.append([r.message for r in table.current()])

    first = table.start("a:1", pull)
    assert first.image == "a:1" and first.kernel_id is None
    assert table.start("a:1", pull).image == "a:1", "a second start of a running pull is its row, not a second pull"
    go.set()
    wait_for(table, lambda rows: rows == [])
    assert seen == [1, ["Copying blob"]], "the job's own row, not a second one"


def test_a_failed_background_pull_stays_listed_with_its_error_until_tried_again():
    table = PullsInFlight(failure_kept=60)
    calls = []

    def failing():
        calls.append(1)
        raise PullFailed("a:1", "connection refused", message="Could not pull 'a:1'.", quote=False)

    table.start("a:1", failing)
    (row,) = wait_for(table, lambda rows: rows and rows[0].error)
    assert row.to_json()["error"] == {"kind": "PullFailed", "message": str(PullFailed("a:1", "x", message="Could not pull 'a:1'.", quote=False))}
    assert row.message == "Could not pull a:1"
    again = table.start("a:1", failing)
    assert "error" not in again.to_json(), "trying again replaces the failed row"
    wait_for(table, lambda rows: len(calls) == 2 and rows and rows[0].error)
    assert len(table.current()) == 1


def test_a_failure_is_forgotten_after_a_while():
    table = PullsInFlight(failure_kept=0.05)
    table.start("a:1", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    wait_for(table, lambda rows: rows == [])


def test_an_unexpected_error_is_kept_without_its_words():
    table = PullsInFlight()
    table.start("a:1", lambda: (_ for _ in ()).throw(RuntimeError("secret detail")))
    (row,) = wait_for(table, lambda rows: rows and rows[0].error)
    assert row.error["kind"] == "InternalError" and "secret" not in row.error["message"]


def test_background_pulls_past_the_cap_are_refused():
    table = PullsInFlight(max_background=2)
    release = threading.Event()
    for image in ("a:1", "b:1"):
        table.start(image, lambda: release.wait(10))
    with table.track("k:1", kernel_id="k"):  # a kernel's pull is never counted nor refused
        with pytest.raises(TooBusy) as refused:
            table.start("c:1", lambda: None)
    assert refused.value.http_status == 429 and "already pulling 2 images" in str(refused.value)
    assert [r.image for r in table.current()] == ["a:1", "b:1"]
    release.set()
    wait_for(table, lambda rows: rows == [])
    table.start("c:1", lambda: None)  # places are free again
    wait_for(table, lambda rows: rows == [])
