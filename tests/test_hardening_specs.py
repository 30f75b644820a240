"""The pure parts of the hardening policy (issue #25): what counts as a forbidden mount, a
network of the container's own, an image reference, a size, a kernel's folder. The same
rules are exercised through a real server and Podman in tests/server/test_hardening*.py."""

from __future__ import annotations

import logging

import pytest

from labcontainer.core.errors import InvalidSpec
from labcontainer.core.models import VolumeSpec
from labcontainer.core.specs import (
    check_image_reference, check_mounts, check_network, default_forbidden_mounts, forbidden_mount, parse_env,
    parse_port, parse_size,
)
from labcontainer.kernels.launch import kernel_workdir

ROOTFUL = default_forbidden_mounts("/run/podman/podman.sock", rootful=True)
ROOTLESS = default_forbidden_mounts("/run/user/1000/podman/podman.sock", rootful=False)


@pytest.mark.parametrize("host, policy, exposed", [
    ("/", ROOTLESS, "/"),
    ("/run/user/1000/podman/podman.sock", ROOTLESS, "/run/user/1000/podman/podman.sock"),
    ("/run/user/1000", ROOTLESS, "/run/user/1000/podman/podman.sock"),  # holds the socket
    ("/etc", ROOTLESS, None),  # a rootless service's containers cannot write the host's /etc
    ("/home/alice/data", ROOTLESS, None),
    ("/etc", ROOTFUL, "/etc"),
    ("/etc/ssh/", ROOTFUL, "/etc"),
    ("/tmp/../etc", ROOTFUL, "/etc"),
    ("/var", ROOTFUL, "/var/lib/containers"),
    ("/var/lib/containers/storage", ROOTFUL, "/var/lib/containers"),
    ("/var/lib/other", ROOTFUL, None),
    ("/root", ROOTFUL, "/root"),
    ("/rootless-data", ROOTFUL, None),  # a prefix of the name is not a folder under it
    ("/srv/data", ROOTFUL, None),
])
def test_forbidden_mount(host, policy, exposed):
    assert forbidden_mount(host, policy, resolve=False) == exposed


def test_a_link_to_a_forbidden_folder_is_followed(tmp_path):
    (tmp_path / "innocent").symlink_to("/")
    with pytest.raises(InvalidSpec, match=r"c\.LabContainer\.forbidden_mounts"):
        check_mounts([VolumeSpec(str(tmp_path / "innocent"), "/host")], ROOTLESS, resolve=True)
    check_mounts([VolumeSpec(str(tmp_path), "/data")], ROOTLESS, resolve=True)


@pytest.mark.parametrize("network, named", [("bridge", False), ("none", False), ("pasta", False), ("private", False),
                                            ("slirp4netns", False), ("podman", True), ("lab-net.1", True)])
def test_networks_of_the_containers_own(network, named):
    assert check_network(network) is named


@pytest.mark.parametrize("network", ["host", "ns:/proc/1/ns/net", "container:x", "bridge\nhost", "slirp4netns:port_handler=x",
                                     "", "-x", "a" * 200])
def test_networks_shared_with_the_host_or_another_container_are_refused(network):
    with pytest.raises(InvalidSpec) as refused:
        check_network(network)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("image", ["python", "python:3.12", "docker.io/library/python:3.12", "localhost/x:latest",
                                   "127.0.0.1:5000/lab/python:3", "[::1]:5000/x", "x@sha256:" + "a" * 64, "a" * 64,
                                   "ghcr.io/org/some_name__x-y.z:v1.0-rc_1"])
def test_image_references_podman_accepts(image):
    assert check_image_reference(image) == image


@pytest.mark.parametrize("image", ["../../etc/passwd", "-f", "\x00", "Python:3", "a b", "x:", "x@sha256:short", "/x",
                                   "x//y", "x:" + "t" * 200, "a" * 300, ""])
def test_image_references_podman_refuses(image):
    with pytest.raises(InvalidSpec, match="kernel image"):
        check_image_reference(image, field="kernel image")


def test_sizes_podman_can_hold():
    assert parse_size("8g", field="shm_size") == "8g"
    assert parse_size("8589934591G") == "8589934591g"
    with pytest.raises(InvalidSpec, match="shm_size"):
        parse_size("99999999999999999999g", field="shm_size")


def test_a_bare_env_name_is_inherited_only_when_asked(monkeypatch):
    monkeypatch.setenv("LC_TEST_SECRET", "s")
    assert parse_env(["LC_TEST_SECRET"]) == {"LC_TEST_SECRET": "s"}
    with pytest.raises(InvalidSpec, match="NAME=VALUE"):
        parse_env(["LC_TEST_SECRET"], inherit=False)


def test_ports_without_an_address_take_the_default():
    assert parse_port("8888:80", default_host_ip="127.0.0.1").host_ip == "127.0.0.1"
    assert parse_port("0.0.0.0:8888:80", default_host_ip="127.0.0.1").host_ip == "0.0.0.0"
    assert parse_port("8888:80").host_ip == ""


def test_a_kernel_folder_outside_the_root_falls_back_to_the_root(tmp_path, caplog):
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    (root / "escape").symlink_to("/etc")
    log = logging.getLogger("test-kernel-workdir")
    assert kernel_workdir(str(root / "notebooks"), str(root), log) == str(root / "notebooks")
    assert kernel_workdir(None, str(root), log) == str(root)
    assert caplog.records == []
    for outside in ("/etc", str(root / "escape"), str(root) + "-sibling", str(root / ".." / "..")):
        assert kernel_workdir(outside, str(root), log, "k1") == str(root)
    assert len(caplog.records) == 4 and "outside the server's root folder" in caplog.records[0].getMessage()
