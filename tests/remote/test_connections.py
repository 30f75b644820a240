"""The user's Podman connections, as the real ``podman system connection add`` writes them.

Each test keeps its connections in a temp CONTAINERS_CONF (podman writes there when it is set,
measured), so nothing touches the test world's containers.conf or the user's own files.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from labcontainer.core.connection import LOCAL, Connection
from labcontainer.core.connections import choose_connection, read_podman_connections
from labcontainer.core.errors import InvalidSpec

GPU2 = "ssh://alice@gpu2.lab:2200/run/user/1000/podman/podman.sock"
GPU3 = "ssh://bob@gpu3.lab:22/run/user/1001/podman/podman.sock"  # podman writes the port (22) in


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A shell of the user's, with its own (empty) containers.conf and config home."""
    conf = tmp_path / "containers.conf"
    conf.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINER_SSHKEY")}
    env.update(CONTAINERS_CONF=str(conf), XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path))
    return env


def podman_connection(env: dict[str, str], *args: str) -> None:
    """What the user types: ``podman system connection ...``."""
    subprocess.run(["podman", "system", "connection", *args], env=env, check=True, capture_output=True, timeout=30)


def test_connections_added_with_podman_are_read_and_the_first_is_the_default(user_env):
    podman_connection(user_env, "add", "gpu2", GPU2, "--identity", "/home/alice/.ssh/id_ed25519")
    podman_connection(user_env, "add", "gpu3", GPU3)

    found = read_podman_connections(user_env)

    assert list(found.connections) == ["gpu2", "gpu3"]
    gpu2 = found.connections["gpu2"]
    assert gpu2 == Connection(name="gpu2", url=GPU2, identity="/home/alice/.ssh/id_ed25519")
    assert (gpu2.ssh_user, gpu2.ssh_host, gpu2.ssh_port) == ("alice", "gpu2.lab", 2200)
    assert gpu2.remote_socket == "/run/user/1000/podman/podman.sock"
    assert gpu2.trust_command == "ssh -p 2200 alice@gpu2.lab"
    assert found.connections["gpu3"].identity is None
    # Podman 4.3.1 makes the first connection added the default: so do we.
    assert found.default == "gpu2"
    assert choose_connection(environ=user_env).name == "gpu2"


def test_the_default_follows_podman_system_connection_default(user_env):
    podman_connection(user_env, "add", "gpu2", GPU2)
    podman_connection(user_env, "add", "gpu3", GPU3)
    podman_connection(user_env, "default", "gpu3")

    assert choose_connection(environ=user_env).name == "gpu3"


def test_the_choice_follows_the_podman_cli_order(user_env):
    podman_connection(user_env, "add", "gpu2", GPU2)
    podman_connection(user_env, "add", "gpu3", GPU3)
    # CONTAINER_CONNECTION beats the default connection...
    user_env["CONTAINER_CONNECTION"] = "gpu3"
    assert choose_connection(environ=user_env).name == "gpu3"
    # ...CONTAINER_HOST beats CONTAINER_CONNECTION...
    user_env["CONTAINER_HOST"] = "unix:///run/somewhere/podman.sock"
    assert choose_connection(environ=user_env) == Connection(LOCAL, "unix:///run/somewhere/podman.sock")
    # ...and an explicit name or URL beats them all.
    assert choose_connection("gpu2", environ=user_env).url == GPU2
    explicit = choose_connection("ssh://carol@gpu4:22/run/user/7/podman/podman.sock", environ=user_env)
    assert (explicit.name, explicit.ssh_host) == ("carol@gpu4", "gpu4")


def test_without_connections_the_local_socket_is_used(user_env):
    assert read_podman_connections(user_env).connections == {}
    assert choose_connection(environ=user_env) == Connection()
    assert choose_connection(LOCAL, environ=user_env) == Connection()


def test_an_unknown_name_is_refused_naming_the_known_ones(user_env):
    podman_connection(user_env, "add", "gpu2", GPU2)
    with pytest.raises(InvalidSpec) as refused:
        choose_connection("gpu9", environ=user_env)
    text = str(refused.value)
    assert "gpu9" in text and "gpu2" in text and "podman system connection add" in text
    assert "\n" not in text


def test_podman5_json_wins_over_containers_conf(user_env, tmp_path):
    podman_connection(user_env, "add", "gpu2", GPU2)
    podman_connection(user_env, "add", "gpu3", GPU3)
    moved = "ssh://alice@gpu2-new.lab/run/user/1000/podman/podman.sock"
    json_file = Path(user_env["XDG_CONFIG_HOME"]) / "containers" / "podman-connections.json"
    json_file.parent.mkdir(parents=True)
    # As Podman 5 writes it (containers/common pkg/config/connections.go).
    json_file.write_text(json.dumps({"Connection": {"Default": "gpu3", "Connections": {
        "gpu2": {"URI": moved, "Identity": "/k", "IsMachine": False}}}, "Farm": {}}))

    found = read_podman_connections(user_env)

    assert found.connections["gpu2"] == Connection("gpu2", moved, identity="/k")
    assert found.connections["gpu3"].url == GPU3
    assert found.default == "gpu3"
    assert str(json_file) in found.files


def test_without_containers_conf_the_users_own_file_is_read(tmp_path):
    """A user (not root) keeps connections in $XDG_CONFIG_HOME/containers/containers.conf."""
    user_conf = tmp_path / "config" / "containers" / "containers.conf"
    user_conf.parent.mkdir(parents=True)
    user_conf.write_text(f'[engine]\nactive_service = "gpu2"\n[engine.service_destinations.gpu2]\nuri = "{GPU2}"\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}

    assert read_podman_connections(env, is_root=False).connections["gpu2"].url == GPU2
    # Root's connections live in /etc/containers (podman ignores root's ~/.config there).
    assert "gpu2" not in read_podman_connections(env, is_root=True).connections


def test_a_broken_file_is_named_in_one_paragraph(user_env):
    Path(user_env["CONTAINERS_CONF"]).write_text("[engine\n")
    with pytest.raises(InvalidSpec) as refused:
        read_podman_connections(user_env)
    assert user_env["CONTAINERS_CONF"] in str(refused.value)


def test_a_connection_added_after_start_is_found_when_asked_for_with_refresh(user_env, monkeypatch):
    from labcontainer.core.errors import NotFoundError
    from labcontainer.service_connections import Services

    for key in ("CONTAINERS_CONF", "XDG_CONFIG_HOME", "HOME"):
        monkeypatch.setenv(key, user_env[key])
    servers = Services(lambda c: c.name, "local-service")
    podman_connection(user_env, "add", "gpu2", GPU2)  # while the server runs
    with pytest.raises(NotFoundError, match="gpu2"):
        servers.get("gpu2")  # a REST ?connection= sticks to what was read at start
    assert servers.get("gpu2", refresh=True) == "gpu2"  # a kernelspec naming it looks again
    with pytest.raises(NotFoundError, match="gpu3"):
        servers.get("gpu3", refresh=True)
