"""The magics' fixture: an IPython shell with %container on a service whose NVML is
recorded as absent (no GPU here), against the real Podman service under test."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.gpus import RecordedReader
from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

NO_DRIVER = {"unavailable": "no driver here (recorded)"}


@pytest.fixture
def shell(engine):
    ip = InteractiveShell.instance()
    ip.register_magics(ContainerMagics(ip, service=LabService(engine, nvml=RecordedReader(NO_DRIVER))))
    return ip


def line(shell, text: str):
    """One `%container` line, as typed in a cell."""
    return shell.run_line_magic("container", text)
