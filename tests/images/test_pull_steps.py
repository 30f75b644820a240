"""Pull steps from Podman's events, as measured on Podman 4.3.1 (no service needed)."""

from __future__ import annotations

from labcontainer.core.models import ImageInfo
from labcontainer.engine.pullstream import PullTracker

# The Docker-compatible endpoint's events for a 33.6 MB layer behind a slow link (recorded).
COMPAT = [
    {"status": "Already exists", "progressDetail": {}, "id": "3751c3658a78"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "3ad2a3483447"},
    {"status": "Downloading", "progressDetail": {"current": 5668444, "total": 33558448}, "id": "3ad2a3483447"},
    {"status": "Downloading", "progressDetail": {"current": 23297628, "total": 33558448}, "id": "3ad2a3483447"},
    {"status": "Download complete", "progressDetail": {}, "id": "3ad2a3483447"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "033a4dcedb91"},
    {"status": "Download complete", "progressDetail": {}, "id": "033a4dcedb91"},
]
LIBPOD = [
    {"stream": "Trying to pull 127.0.0.1:5100/lab/python:latest...\n"},
    {"stream": "Copying blob sha256:3751c3658a78\n"},
    {"images": ["cb9ceaa26735" + "0" * 52], "id": "cb9ceaa26735" + "0" * 52},
]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_byte_counts_speed_and_time_left_come_from_downloading_events():
    tracker = PullTracker("img", clock=Clock())
    steps = [s for s in (tracker.read(e) for e in COMPAT) if s is not None]
    downloading = [s for s in steps if s.message.startswith("Downloading")]
    assert [s.downloaded for s in downloading] == [5668444, 23297628]
    assert all(s.total == 33558448 and s.layer == "3ad2a3483447" for s in downloading)
    assert 0.16 < downloading[0].fraction < 0.17
    assert downloading[1].speed and downloading[1].eta is not None and downloading[1].eta > 0
    assert steps[-1].downloaded == steps[-1].total == 33558448  # "Download complete" fills the layer
    assert steps[0].message == "Already exists 3751c3658a78" and steps[0].total == 0


def test_text_events_are_steps_and_the_last_one_names_the_image():
    tracker = PullTracker("lab/python", clock=Clock())
    steps = [s for s in (tracker.read(e) for e in LIBPOD) if s is not None]
    assert [s.message for s in steps] == ["Trying to pull 127.0.0.1:5100/lab/python:latest...", "Copying blob sha256:3751c3658a78"]
    assert tracker.image_id == "cb9ceaa26735" + "0" * 52
    summary = tracker.summary(ImageInfo(id=tracker.image_id, tags=("127.0.0.1:5100/lab/python:latest",), size=166_700_000))
    assert summary.done and summary.fraction == 1.0
    assert summary.message.startswith("Pulled 127.0.0.1:5100/lab/python:latest: image cb9ceaa26735, 166.7 MB, in ")
