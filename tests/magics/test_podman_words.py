"""Every translated failure that shows Podman's words: our sentence, a newline, then
Podman's text alone on its line. The texts are Podman 4.3.1's, captured on this machine
(the cgroup v1 one from a rootless service here, which the rootful suite cannot reach).
The same shapes are checked end to end through the magic in test_everyday_friction.py."""

from __future__ import annotations

import pytest

from labcontainer.core import errors
from labcontainer.engine.translate import (
    ServiceText,
    exec_failure,
    pull_failure,
    translate,
)

from .test_everyday_friction import assert_ours_then_podmans

CID = "f736d2c1e0b9a1d4c2e8f0a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2"

TRANSLATED = [
    # (id, Podman's text, our error class, our sentence)
    ("rm-running", (f"cannot remove container {CID} as it is running - running or paused containers cannot be removed "
     "without force: container state improper"), errors.ContainerStateError,
     ("Container 'train' is running, so it was not removed. Stop it first with `%container stop train`, "
     "or remove it anyway with `%container rm -f train`.")),
    ("exec-stopped", "can only create exec sessions on running containers: container state improper",
     errors.ContainerStateError, "Container 'train' is not running. Start it first with `%container start train`."),
    ("kill-stopped", f"can only kill running containers. {CID} is in state stopped: container state improper",
     errors.ContainerStateError, "Container 'train' is not running."),
    ("stats-cgroup-v1", "container stats resource only available for cgroup v2", errors.NotSupportedHere,
     "Podman cannot do this on this machine. Rootless Podman on a cgroup v1 host cannot report stats"),
    ("host-folder", "statfs /does/not/exist: no such file or directory", errors.InvalidSpec,
     "The host folder '/does/not/exist' does not exist, so no container was created."),
    ("host-folder-unreadable", "statfs /root/private: permission denied", errors.InvalidSpec,
     "Podman may not read the host folder '/root/private', so no container was created."),
    ("no-user", "unable to find user nosuchuser: no matching entries in passwd file", errors.InvalidSpec,
     "There is no user 'nosuchuser' in container 'train'."),
    ("anything-else", "something odd happened", errors.PodmanError, "Podman reported an error."),
]

EXEC_FAILURES = [
    # (id, the runtime's line in the exec stream, exit code, our sentence)
    ("not-found", ('Error: runc: exec failed: unable to start container process: exec: "nosuchcommand": executable file '
     "not found in $PATH: OCI runtime attempted to invoke a command that was not found"), 127,
     "'nosuchcommand' was not found in container 'train', so nothing ran (exit code 127"),
    ("not-executable", ('Error: runc: exec failed: unable to start container process: exec: "/etc/passwd": permission '
     "denied: OCI permission denied"), 126, "'/etc/passwd' could not be run in container 'train': permission denied (exit code 126"),
    ("no-workdir", ('Error: runc: exec failed: unable to start container process: chdir to cwd ("/nonexistent") set in '
     "config.json failed: no such file or directory: OCI runtime attempted to invoke a command that was not found"), 127,
     "The working directory '/nonexistent' does not exist in container 'train', so nothing ran."),
    ("other", "Error: runc: exec failed: unable to start container process: something new: OCI runtime error", 1,
     "Podman could not start the command in container 'train' (exit code 1)."),
]

PULL_FAILURES = [
    # (id, image, Podman's text, our sentence)
    ("no-such-host", "nosuchhost.invalid/nope:latest", ('initializing source docker://nosuchhost.invalid/nope:latest: '
     'pinging container registry nosuchhost.invalid: Get "https://nosuchhost.invalid/v2/": dial tcp: lookup '
     "nosuchhost.invalid on 10.255.255.53:53: no such host"),
     "Could not pull 'nosuchhost.invalid/nope:latest': this server cannot find the registry host 'nosuchhost.invalid'."),
    ("docker-hub-unreachable", "python:3", ('initializing source docker://python:3: pinging container registry '
     'registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on '
     "10.255.255.53:53: no such host"), "this server cannot find the registry host 'docker.io'."),
    ("short-name", "nosuchimage", ('short-name "nosuchimage:latest" did not resolve to an alias and no unqualified-search '
     'registries are defined in "/etc/containers/registries.conf"'),
     "Could not pull 'nosuchimage': it names no registry, and none is set to search."),
    ("no-such-tag", "127.0.0.1:5000/lab/python:9", ("reading manifest 9 in 127.0.0.1:5000/lab/python: manifest unknown: "
     "manifest unknown"), "Could not pull '127.0.0.1:5000/lab/python:9': the registry 127.0.0.1:5000 has no such image or tag."),
    ("unauthorized", "127.0.0.1:5000/lab/secret:1", ("reading manifest 1 in 127.0.0.1:5000/lab/secret: unauthorized: "
     "authentication required"), "the registry 127.0.0.1:5000 refused access. Log in first with `podman login 127.0.0.1:5000`"),
    ("anything-else", "127.0.0.1:5000/lab/python:3", "writing blob: storage full", "Could not pull '127.0.0.1:5000/lab/python:3'."),
]


@pytest.mark.parametrize("text, kind, ours", [r[1:] for r in TRANSLATED], ids=[r[0] for r in TRANSLATED])
def test_a_translated_error_puts_podmans_words_on_their_own_line(text, kind, ours):
    error = translate(ServiceText(text), container="train")
    assert type(error) is kind
    assert_ours_then_podmans(str(error), ours, text)
    assert error.detail == text


@pytest.mark.parametrize("text, code, ours", [r[1:] for r in EXEC_FAILURES], ids=[r[0] for r in EXEC_FAILURES])
def test_a_command_that_never_started_says_why_in_our_words_first(text, code, ours):
    error = exec_failure(text, container="train", exit_code=code)
    assert isinstance(error, errors.InvalidSpec)  # the user's to fix: a UsageError in the magic
    assert_ours_then_podmans(str(error), ours, text.removeprefix("Error: "))


@pytest.mark.parametrize("image, text, ours", [r[1:] for r in PULL_FAILURES], ids=[r[0] for r in PULL_FAILURES])
def test_a_failed_pull_says_what_to_check_then_podmans_words(image, text, ours):
    error = pull_failure(image, text)
    assert isinstance(error, errors.PullFailed) and error.http_status >= 500  # not shown as the user's mistake
    assert_ours_then_podmans(str(error), ours, text)
    assert "podman load" not in str(error)


def test_only_podmans_first_line_is_shown():
    error = translate(ServiceText("something odd happened\n\tgoroutine 1 [running]:"))
    assert str(error) == "Podman reported an error.\nPodman said: something odd happened"


def _ping(host: str, why: str) -> str:
    return f'initializing source docker://{host}/lab/x:1: pinging container registry {host}: Get "https://{host}/v2/": {why}'


UNREACHABLE = [
    # (id, what answered at 127.0.0.1:PORT, as Podman words it)
    ("closed-port", _ping("127.0.0.1:22", "dial tcp 127.0.0.1:22: connect: connection refused")),
    ("silent-host", _ping("127.0.0.1:22", "dial tcp 127.0.0.1:22: i/o timeout")),
    ("ssh-not-tls", _ping("127.0.0.1:22", "tls: first record does not look like a TLS handshake")),
    ("hangs-up", _ping("127.0.0.1:22", "EOF")),
    ("reset", _ping("127.0.0.1:22", "read tcp 127.0.0.1:40000->127.0.0.1:22: read: connection reset by peer")),
    ("plain-http", _ping("127.0.0.1:22", "http: server gave HTTP response to HTTPS client")),
    ("not-a-registry", _ping("127.0.0.1:22", "StatusCode: 404, <html>")),
]


def test_every_way_of_not_reaching_a_registry_reads_the_same():
    """Whoever may ask this server to pull must not learn from the answer whether a port on
    some host is open: refused, silent and answering-in-another-protocol read alike."""
    texts = {str(pull_failure("127.0.0.1:22/lab/x:1", text)) for _, text in UNREACHABLE}
    assert len(texts) == 1, texts
    (text,) = texts
    assert text.startswith("Could not pull '127.0.0.1:22/lab/x:1': the registry 127.0.0.1:22 could not be reached from this server.")
    assert "Podman said" not in text and "\n" not in text
    for _, podmans in UNREACHABLE:  # the server's log still has Podman's own words
        assert pull_failure("127.0.0.1:22/lab/x:1", podmans).detail == podmans
