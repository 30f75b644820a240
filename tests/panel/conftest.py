"""The panel's fixtures: a service whose NVML reads two recorded A100s, and a panel on it."""

from __future__ import annotations

import pytest

from labcontainer.gpus import RecordedReader
from labcontainer.service import LabService
from labcontainer.widgets import ContainerPanel

TWO_GPUS = {"gpus": [
    {"index": 0, "name": "A100", "memory_used": 10 << 30, "memory_total": 40 << 30, "utilization": 75, "processes": [{"pid": 1, "used_memory": 10 << 30}]},
    {"index": 1, "name": "A100", "memory_used": 0, "memory_total": 40 << 30, "utilization": 0},
]}


@pytest.fixture
def service(engine):
    return LabService(engine, nvml=RecordedReader(TWO_GPUS))


@pytest.fixture
def panel(service):
    p = ContainerPanel(service, auto_refresh=False)
    yield p
    p.close()


def settled(panel, timeout: float = 30.0) -> None:
    """Wait for the panel's background actions (Stop, Restart, Remove) to end: a click
    returns at once, the action goes on in its own thread."""
    from ..conftest import wait_until

    wait_until(lambda: not panel.action_threads, timeout=timeout, message="the panel's action to end")
