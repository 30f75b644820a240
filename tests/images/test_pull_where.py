"""A failed pull names the places Podman really tried and what each answered (#24 item 2):
the lab's docker.io mirror that has no such image, docker.io itself out of reach, the
`localhost` Podman tries for a short name that names an image made here. Real pulls through
the test world's registries.conf (docker.io mirrored at the open registry's mirror/, that
registry searched for short names), then Podman's texts as captured here, long ones cut."""

from __future__ import annotations

import uuid

from labcontainer.core.errors import podman_said
from labcontainer.engine.translate import pull_failure

from .test_pull import assert_one_paragraph_then_podman, failed_pull

MIRROR_TEXT = (
    "initializing source docker://ubuntu:latest: (Mirrors also failed: [127.0.0.1:5100/mirror/library/ubuntu:latest: "
    "reading manifest latest in 127.0.0.1:5100/mirror/library/ubuntu: manifest unknown: manifest unknown]): "
    'docker.io/library/ubuntu:latest: pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": '
    "dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host"
)


def test_a_mirror_without_the_image_is_blamed_not_docker_io(shell, registries):
    name = f"lct-nowhere-{uuid.uuid4().hex[:8]}"
    message, _ = failed_pull(shell, f"docker.io/library/{name}")
    first = message.split("\n")[0]
    mirror = registries.open  # registries.conf: docker.io mirrored at OPEN/mirror
    assert f"the mirror {mirror}/mirror has no library/{name}:latest" in first, message
    assert "docker.io itself is not reachable from this server" in first, message
    assert "cannot find the registry host" not in message and "ask your admin for" not in first, message


def test_a_short_name_that_the_mirror_lacks_names_the_mirror(shell, registries):
    # `ubuntu` is an alias for docker.io/library/ubuntu (shortnames.conf): only the mirror can serve it.
    message, _ = failed_pull(shell, "ubuntu")
    assert message.startswith(f"PullFailed: Could not pull 'ubuntu': the mirror {registries.open}/mirror has no library/ubuntu:latest;"), message
    assert "docker.io itself is not reachable" in message


def test_a_short_name_podman_tried_at_localhost_blames_localhost(shell, python_image):
    # A local image named localhost/NAME: `pull NAME` makes Podman try that name's registry, localhost.
    short = python_image.removeprefix("localhost/").removesuffix(":latest")
    message, _ = failed_pull(shell, short)
    assert f"Podman tried localhost/{short}:latest" in message, message
    assert "the registry localhost could not be reached from this server" in message, message
    assert "docker.io" not in message, message


def test_only_one_unreachable_mirror_and_registry_read_the_same_whatever_answered():
    """Each place not reached reads alike; Podman's words (which tell a closed port from a
    silent one) are then not shown."""
    def text(why: str) -> str:
        return (
            "initializing source docker://example.org/lab/x:1: (Mirrors also failed: [127.0.0.1:22/m/lab/x:1: pinging "
            f'container registry 127.0.0.1:22: Get "https://127.0.0.1:22/v2/": {why}]): example.org/lab/x:1: pinging '
            f'container registry example.org: Get "https://example.org/v2/": {why}'
        )

    said = {str(pull_failure("example.org/lab/x:1", text(why))) for why in ("dial tcp 127.0.0.1:22: connect: connection refused", "dial tcp 127.0.0.1:22: i/o timeout", "EOF")}
    assert len(said) == 1, said
    (one,) = said
    assert one.startswith("Could not pull 'example.org/lab/x:1': the mirror 127.0.0.1:22/m is not reachable from this server; example.org itself is not reachable from this server."), one
    assert "Podman said" not in one


def test_the_mirror_case_from_podmans_text():
    error = pull_failure("ubuntu", MIRROR_TEXT)
    assert_one_paragraph_then_podman(
        str(error), "Could not pull 'ubuntu': the mirror 127.0.0.1:5100/mirror has no library/ubuntu:latest; docker.io itself is not reachable from this server."
    )
    assert error.detail == MIRROR_TEXT


def test_several_search_registries_each_say_what_they_answered():
    text = (
        "2 errors occurred while pulling:\n * initializing source docker://127.0.0.1:5100/lab/nope:latest: reading manifest latest in "
        "127.0.0.1:5100/lab/nope: manifest unknown: manifest unknown\n * initializing source docker://quay.io/lab/nope:latest: "
        "reading manifest latest in quay.io/lab/nope: unauthorized: access to the resource is denied"
    )
    first = str(pull_failure("lab/nope", text)).split("\n")[0]
    assert first.startswith("Could not pull 'lab/nope': 127.0.0.1:5100 has no lab/nope:latest; quay.io refused access to lab/nope:latest."), first


def test_podmans_long_text_is_cut_at_a_word_with_an_ellipsis_and_keeps_its_last_clause():
    line = podman_said(MIRROR_TEXT)
    assert len(MIRROR_TEXT) > 300 and len(line) <= len("Podman said: ") + 300
    assert line.endswith(" … no such host"), line
    cut = line.removeprefix("Podman said: ").split(" … ")[0]
    assert MIRROR_TEXT.startswith(cut) and MIRROR_TEXT[len(cut)] in " :", cut  # at a word's end
    short = "reading manifest 9 in 127.0.0.1:5000/lab/python: manifest unknown: manifest unknown"
    assert podman_said(short) == f"Podman said: {short}"
