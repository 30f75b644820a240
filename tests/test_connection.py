"""Finding the Podman service the way Podman's own tools do."""

from __future__ import annotations

import socket

from labcontainer.engine.connection import candidate_urls, probe_socket, service_environment


def test_explicit_url_wins_then_container_host_then_rootless_then_rootful():
    env = {"XDG_RUNTIME_DIR": "/run/user/1234", "CONTAINER_HOST": "unix:///srv/podman.sock"}
    assert candidate_urls("/tmp/x.sock", env) == ["unix:///tmp/x.sock"]
    assert candidate_urls(None, env) == ["unix:///srv/podman.sock"]
    del env["CONTAINER_HOST"]
    assert candidate_urls(None, env) == ["unix:///run/user/1234/podman/podman.sock", "unix:///run/podman/podman.sock"]


def test_probe_tells_missing_from_refused(tmp_path):
    assert probe_socket(f"unix://{tmp_path}/nothing.sock") == "missing"
    path = tmp_path / "dead.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the file stays, nobody listens
    assert probe_socket(f"unix://{path}") == "refused"
    live = tmp_path / "live.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(live))
    server.listen(1)
    try:
        assert probe_socket(f"unix://{live}") is None
    finally:
        server.close()
    assert probe_socket("tcp://127.0.0.1:1") is None  # not probed: podman-py reports on it


def test_service_environment_drops_remote_client_variables():
    env = service_environment({"CONTAINER_HOST": "unix:///x", "CONTAINER_CONNECTION": "c", "HOME": "/h"})
    assert env == {"HOME": "/h"}


def test_images_lists_the_test_image(engine, test_image):
    names = [image.name for image in engine.images.list()]
    assert test_image in names
    assert engine.images.get(test_image).size > 0
    assert engine.images.exists(test_image)
    assert not engine.images.exists("localhost/labcontainer-no-such:0")
