"""What an adversarial caller of the REST API must not get (issue #25, items 1-3): the
server's own environment, a mount of a folder outside the root folder or of the host's
own, another network namespace, or a port open to the world by default.

Each refusal is in words, and nothing is created. The forms and the magics follow the same
policy for mounts; the magics keep podman's habit for a bare ``-e NAME`` (the user's own kernel).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from labcontainer.core.errors import InvalidSpec
from labcontainer.magics import ContainerMagics
from labcontainer.server import LabContainer
from labcontainer.service import LabService
from labcontainer.widgets.runform import RunForm

SECRET_NAME = "LC_HARDEN_SERVER_SECRET"


@pytest.fixture
def server_secret(monkeypatch) -> str:
    """A value only the server's own environment holds (as JUPYTERHUB_API_TOKEN would be)."""
    monkeypatch.setenv(SECRET_NAME, "server-only-s3cret")
    return SECRET_NAME


def socket_path(podman_url: str) -> str:
    return urlparse(podman_url).path


# -- 1. a bare env name -------------------------------------------------------------------


async def test_a_bare_env_name_over_rest_is_refused_and_creates_nothing(api, test_image, unique_name, podman_cli, server_secret):
    name = unique_name()
    status, body = await api("POST", "containers", {"image": test_image, "name": name, "env": [server_secret, "A=1"],
                                                    "command": ["sh", "-c", "env"]})
    assert status == 400, body
    message = body["error"]["message"]
    assert server_secret in message and "NAME=VALUE" in message and "server-only-s3cret" not in message
    assert not podman_cli.exists(name)


def test_a_bare_env_name_in_the_run_form_is_refused(engine, test_image, server_secret):
    form = RunForm()
    form.fill(image=test_image, env=f"A=1\n{server_secret}", command="env")
    with pytest.raises(InvalidSpec, match=server_secret) as refused:
        form.spec(LabService(engine))
    assert "NAME=VALUE" in str(refused.value)


def test_the_magics_keep_podmans_habit_for_a_bare_env_name(engine, test_image, unique_name, server_secret, capsys):
    # In a notebook this process is the user's own kernel: -e NAME passes their value, as podman does.
    shell = InteractiveShell.instance()
    shell.register_magics(ContainerMagics(shell, service=LabService(engine)))
    status = shell.run_line_magic("container", f"run --rm --name {unique_name()} -e {server_secret} {test_image} env")
    assert status.exit_code == 0
    assert f"{server_secret}=server-only-s3cret" in capsys.readouterr().out


# -- 2. a kernel's folder outside the root folder --------------------------------------------


async def test_a_kernel_path_outside_the_root_folder_is_not_mounted(jp_fetch, jp_root_dir, api, test_image, podman_cli):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-harden-outside"})
    assert status == 201, body
    outside = "../" * len(Path(jp_root_dir).parts) + "etc"
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "lc-harden-outside", "path": outside}))
    kernel_id = json.loads(response.body)["id"]
    try:
        container = f"lc-kernel-{kernel_id}"
        inspected = json.loads(podman_cli("inspect", container).stdout)[0]
        sources = {m["Source"] for m in inspected["Mounts"]}
        assert "/etc" not in sources, sources
        # The fallback: the root folder, as a kernel started without a path gets.
        assert inspected["Config"]["WorkingDir"] == str(jp_root_dir)
        assert str(jp_root_dir) in sources
    finally:
        await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert not podman_cli.exists(f"lc-kernel-{kernel_id}")


# -- 3. networks, forbidden mounts, ports ------------------------------------------------------


@pytest.mark.parametrize("network", ["host", "ns:/proc/1/ns/net", "container:lct-anything", "bridge\nhost", "lct-no-such-network"])
async def test_a_kernelspec_network_that_is_not_its_own_is_refused(api, test_image, jp_data_dir, network):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-harden-net", "network": network})
    assert status == 400, body
    assert "network" in body["error"]["message"] and "\n" not in body["error"]["message"]
    assert not (jp_data_dir / "kernels" / "lc-harden-net").exists()


@pytest.mark.parametrize("network", ["none", "bridge", "slirp4netns", "podman"])
async def test_a_kernelspec_network_of_its_own_is_accepted(api, test_image, podman_cli, network):
    if network == "podman":  # a named network: Podman's default one, which exists on every service
        assert podman_cli("network", "exists", "podman", check=False).returncode == 0
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-harden-net", "network": network})
    assert status == 201, body


def forbidden_here(podman_url: str, rootless: bool) -> list[str]:
    paths = ["/", socket_path(podman_url), os.path.dirname(socket_path(podman_url))]
    return paths if rootless else paths + ["/etc", "/etc/ssh", "/root", "/var/lib/containers", "/var"]


async def test_forbidden_mounts_are_refused_over_rest(api, test_image, unique_name, podman_cli, podman_url, rootless, tmp_path):
    link = tmp_path / "innocent"
    link.symlink_to("/")
    for host in [*forbidden_here(podman_url, rootless), str(link)]:
        name = unique_name()
        status, body = await api("POST", "containers", {"image": test_image, "name": name, "volumes": [f"{host}:/host"],
                                                        "command": ["true"]})
        assert status == 400, (host, body)
        assert "c.LabContainer.forbidden_mounts" in body["error"]["message"] and "\n" not in body["error"]["message"]
        assert not podman_cli.exists(name)
        status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-harden-vol", "volumes": [f"{host}:/host"]})
        assert status == 400 and "c.LabContainer.forbidden_mounts" in body["error"]["message"], (host, body)


def test_forbidden_mounts_are_refused_in_the_magics_and_the_form(engine, test_image, unique_name, podman_cli, podman_url):
    shell = InteractiveShell.instance()
    shell.register_magics(ContainerMagics(shell, service=LabService(engine)))
    name = unique_name()
    with pytest.raises(UsageError, match=r"c\.LabContainer\.forbidden_mounts"):
        shell.run_line_magic("container", f"run -d --name {name} -v /:/host {test_image} sleep infinity")
    with pytest.raises(UsageError, match=r"c\.LabContainer\.forbidden_mounts"):
        shell.run_line_magic("container", f"run -d --name {name} -v {socket_path(podman_url)}:/podman.sock {test_image} true")
    assert not podman_cli.exists(name)
    form = RunForm()
    form.fill(image=test_image, volumes="/:/host")
    with pytest.raises(InvalidSpec, match=r"c\.LabContainer\.forbidden_mounts"):
        form.spec(LabService(engine))


def test_forbidden_mounts_is_a_setting(podman_url, tmp_path, test_image):
    secret = tmp_path / "secret"
    (secret / "deeper").mkdir(parents=True)
    mine = tmp_path / "mine"
    mine.mkdir()
    app = LabContainer(config=Config({"LabContainer": {"podman_url": podman_url, "forbidden_mounts": [str(secret)]}}))
    service = app.build_service(app.local_connection())
    with pytest.raises(InvalidSpec, match=r"c\.LabContainer\.forbidden_mounts"):
        service.build_spec(test_image, volumes=[f"{secret / 'deeper'}:/s"])
    assert service.build_spec(test_image, volumes=[f"{mine}:/m"]).volumes[0].host == str(mine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_rest_ports_bind_loopback_unless_an_address_is_given(api, test_image, unique_name, podman_cli):
    bindings = {}
    for given, expected in (("{port}:8000", "127.0.0.1"), ("0.0.0.0:{port}:8000", "0.0.0.0")):
        name = unique_name()
        port = free_port()
        status, body = await api("POST", "containers", {"image": test_image, "name": name, "ports": [given.format(port=port)],
                                                        "command": ["sleep", "infinity"]})
        assert status == 201, body
        ports = json.loads(podman_cli("inspect", "--format", "{{json .HostConfig.PortBindings}}", name).stdout)
        bindings[given] = ports["8000/tcp"][0]["HostIp"]
        assert bindings[given] in (expected, "" if expected == "0.0.0.0" else expected), ports
        podman_cli("rm", "-f", name)
    assert bindings["{port}:8000"] == "127.0.0.1"
