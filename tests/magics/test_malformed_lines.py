"""Every malformed %container line: a short usage error, no traceback, no container left."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from labcontainer.magics import ContainerMagics
from labcontainer.service import LabService

IMG = "{image}"
MALFORMED = [
    # (line, what the one-paragraph message must say)
    ("bogus", "unknown subcommand 'bogus'"),
    ("rnu", "Did you mean `%container run`?"),
    ("run", "the following arguments are required: image\n"),
    ("run -d", "the following arguments are required: image\n"),
    ("run --name", "argument --name: expected one argument"),
    ("run -v /a " + IMG, "Bad volume '/a'"),
    ("run -v relative:/x " + IMG, "host side of volume 'relative:/x' must be an absolute path"),
    ("run -v /a:/b:rx " + IMG, "Bad volume mode 'rx'"),
    ("run -v /a:/b:ro:z " + IMG, "Bad volume '/a:/b:ro:z'"),
    ("run -v :/b " + IMG, "Bad volume ':/b'"),
    ("run --gpus two " + IMG, "Bad GPU 'two'"),
    ("run --gpus count=x " + IMG, "Bad GPU count"),
    ("run --gpus count=0 " + IMG, "ask for at least one GPU"),
    ("run --gpus '0;1' " + IMG, "Bad GPU '0;1'"),
    ("run --gpus count=5 " + IMG, "only 0 GPU(s) are free"),
    ("run --gpus 7 " + IMG, "does not know the GPU device(s) nvidia.com/gpu=7"),
    ("run -p 99999:1 " + IMG, "Port 99999 in '99999:1' is out of range"),
    ("run -p abc " + IMG, "Bad port mapping 'abc'"),
    ("run -p 127.0.0.1:1:2:3 " + IMG, "Bad host address '127.0.0.1:1'"),
    ("run -e 1BAD=x " + IMG, "Bad environment variable '1BAD=x'"),
    ("run -e NOT_SET_ANYWHERE_LCT " + IMG, "NOT_SET_ANYWHERE_LCT is not set here"),
    ("run --shm-size lots " + IMG, "Bad size 'lots'"),
    ("run -w relative " + IMG, "working directory 'relative' must be an absolute path"),
    ("run --name 'bad name' " + IMG, "'bad name' is not a valid container name"),
    ("run --name -x " + IMG, "argument --name: expected one argument"),
    ("run 'unterminated " + IMG, "cannot parse the line (No closing quotation)"),
    ('run "' + IMG, "cannot parse the line (No closing quotation)"),
    ("run --bogus-flag " + IMG, "unrecognized arguments: --bogus-flag"),
    ("run -d --name {name} localhost/labcontainer-no-such-image:1", "'localhost/labcontainer-no-such-image:1' is not on this machine"),
    ("ps --bogus", "unrecognized arguments: --bogus"),
    ("ps -f noequals", "Bad filter 'noequals'"),
    ("logs", "the following arguments are required: name"),
    ("logs --tail -5 x", "'-5' is negative"),
    ("logs --tail many x", "'many' is not a whole number"),
    ("logs a b", "unrecognized arguments: b"),
    ("exec", "the following arguments are required: name\n"),
    ("exec {name}", "Say what to run."),
    ("exec lct-does-not-exist true", "No container named or with id 'lct-does-not-exist'"),
    ("start", "the following arguments are required: NAME"),
    ("start lct-does-not-exist", "No container named or with id 'lct-does-not-exist'"),
    ("stop", "the following arguments are required: NAME"),
    ("stop -t x lct-does-not-exist", "'x' is not a whole number"),
    ("kill", "the following arguments are required: NAME"),
    ("kill -s 'SIG KILL' lct-does-not-exist", "Bad signal 'SIG KILL'"),
    ("rm", "the following arguments are required: NAME"),
    ("rm --force", "the following arguments are required: NAME"),
    ("rm lct-does-not-exist", "No container named or with id 'lct-does-not-exist'"),
    ("inspect", "the following arguments are required: name"),
    ("inspect a b", "unrecognized arguments: b"),
    ("stats a b", "unrecognized arguments: b"),
    ("pull", "the following arguments are required: image"),
    ("pull a b", "unrecognized arguments: b"),
    ("images extra", "unrecognized arguments: extra"),
    ("connect --url", "argument --url: expected one argument"),
]


@pytest.fixture(scope="module")
def magics(engine):
    # No GPU is free here (a recorded machine with none), so --gpus count=5 must fail too.
    from labcontainer.gpus import RecordedReader

    return ContainerMagics(InteractiveShell.instance(), service=LabService(engine, nvml=RecordedReader({"gpus": []})))


@pytest.mark.parametrize("template, says", MALFORMED, ids=[line for line, _ in MALFORMED])
def test_malformed_line(magics, template, says, test_image, unique_name, podman_cli):
    text = template.format(image=test_image, name=unique_name())
    before = podman_cli.names()
    with pytest.raises(UsageError) as caught:
        magics.container(text)
    message = str(caught.value)
    assert says in message, message
    # a UsageError made by labcontainer, not an exception that escaped with its chain
    assert caught.value.__cause__ is None and len(message) < 1500
    assert podman_cli.names() == before, "a malformed line must not leave a container behind"
