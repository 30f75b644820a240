"""Every malformed %container line: a short usage error, no traceback, no container left."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

IMG = "{image}"
MALFORMED = [
    "bogus",
    "run",
    "run -d",
    "run --name",
    "run -v /a " + IMG,
    "run -v relative:/x " + IMG,
    "run -v /a:/b:rx " + IMG,
    "run -v /a:/b:ro:z " + IMG,
    "run -v :/b " + IMG,
    "run --gpus two " + IMG,
    "run --gpus count=x " + IMG,
    "run --gpus count=0 " + IMG,
    "run --gpus '0;1' " + IMG,
    "run --gpus count=5 " + IMG,
    "run --gpus 7 " + IMG,
    "run -p 99999:1 " + IMG,
    "run -p abc " + IMG,
    "run -p 127.0.0.1:1:2:3 " + IMG,
    "run -e 1BAD=x " + IMG,
    "run -e NOT_SET_ANYWHERE_LCT " + IMG,
    "run --shm-size lots " + IMG,
    "run -w relative " + IMG,
    "run --name 'bad name' " + IMG,
    "run --name -x " + IMG,
    "run 'unterminated " + IMG,
    'run "' + IMG,
    "run --bogus-flag " + IMG,
    "run -d --name {name} localhost/labcontainer-no-such-image:1",
    "ps --bogus",
    "ps -f noequals",
    "logs",
    "logs --tail -5 x",
    "logs --tail many x",
    "logs a b",
    "exec",
    "exec {name}",
    "exec lct-does-not-exist true",
    "start",
    "start lct-does-not-exist",
    "stop",
    "stop -t x lct-does-not-exist",
    "kill",
    "kill -s 'SIG KILL' lct-does-not-exist",
    "rm",
    "rm --force",
    "rm lct-does-not-exist",
    "inspect",
    "inspect a b",
    "stats a b",
    "pull",
    "pull a b",
    "images extra",
    "connect --url",
]


def test_there_are_at_least_40():
    assert len(MALFORMED) >= 40


@pytest.fixture(scope="module")
def magics(engine):
    # No GPU is free here (a recorded machine with none), so --gpus count=5 must fail too.
    from labcontainer.gpus import RecordedReader

    return ContainerMagics(InteractiveShell.instance(), service=LabService(engine, nvml=RecordedReader({"gpus": []})))


@pytest.mark.parametrize("template", MALFORMED)
def test_malformed_line(magics, template, test_image, unique_name, podman_cli):
    text = template.format(image=test_image, name=unique_name())
    before = podman_cli.names()
    with pytest.raises(UsageError) as caught:
        magics.container(text)
    message = str(caught.value)
    assert message and "Traceback" not in message and len(message) < 1500
    assert podman_cli.names() == before, "a malformed line must not leave a container behind"
