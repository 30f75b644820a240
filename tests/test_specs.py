"""The podman CLI's little languages, and error translation (no Podman needed)."""

from __future__ import annotations

import pytest

from labcontainer.core import errors
from labcontainer.engine.translate import translate
from labcontainer.core.models import PortSpec, VolumeSpec
from labcontainer.core.specs import check_container_name, parse_env, parse_gpus, parse_port, parse_size, parse_volume


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/data:/data", VolumeSpec("/data", "/data")),
        ("/srv/ds:/ds:ro", VolumeSpec("/srv/ds", "/ds", True)),
        ("/srv/ds:/ds:rw", VolumeSpec("/srv/ds", "/ds", False)),
    ],
)
def test_volumes(text, expected):
    assert parse_volume(text) == expected


def test_volume_home_is_expanded():
    import os

    assert parse_volume("~/work:/work").host == os.path.expanduser("~/work")


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "Use -v HOST_PATH:CONTAINER_PATH[:ro]"),
        ("/a", "Use -v HOST_PATH:CONTAINER_PATH[:ro]"),
        ("relative:/x", "host side of volume 'relative:/x' must be an absolute path"),
        ("/a:relative", "container side of volume '/a:relative' must be an absolute path"),
        ("/a:/b:rx", "Bad volume mode 'rx'"),
        ("/a:/b:ro:z", "Use -v HOST_PATH:CONTAINER_PATH[:ro]"),
        (":/b", "Use -v HOST_PATH:CONTAINER_PATH[:ro]"),
        ("/a:", "Use -v HOST_PATH:CONTAINER_PATH[:ro]"),
    ],
)
def test_bad_volumes(text, says):
    with pytest.raises(errors.InvalidSpec) as caught:
        parse_volume(text)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8888:8888", PortSpec(8888, 8888)),
        ("127.0.0.1:9000:8888", PortSpec(9000, 8888, "127.0.0.1")),
        ("5353:53/udp", PortSpec(5353, 53, "", "udp")),
    ],
)
def test_ports(text, expected):
    assert parse_port(text) == expected


@pytest.mark.parametrize("text", ["8888", "a:b", "0:80", "70000:80", "80:80/sctp", "1:2:3:4"])
def test_bad_ports(text):
    with pytest.raises(errors.InvalidSpec):
        parse_port(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("all", ("nvidia.com/gpu=all",)),
        ("0", ("nvidia.com/gpu=0",)),
        ("0,1", ("nvidia.com/gpu=0", "nvidia.com/gpu=1")),
        ("'device=1'", ("nvidia.com/gpu=1",)),
        ("GPU-0a1b2c3d-aaaa", ("nvidia.com/gpu=GPU-0a1b2c3d-aaaa",)),
        ("none", ()),
        ("1,1", ("nvidia.com/gpu=1",)),
    ],
)
def test_gpus(text, expected):
    assert parse_gpus(text) == expected


def test_gpu_count_takes_free_ones():
    assert parse_gpus("count=2", free=[3, 1, 2]) == ("nvidia.com/gpu=1", "nvidia.com/gpu=2")
    with pytest.raises(errors.InvalidSpec) as caught:
        parse_gpus("count=2", free=[1])
    assert "only 1 GPU(s) are free" in str(caught.value)


@pytest.mark.parametrize("text", ["two", "-1", "0;1", "count=x", "count=0", "0,,1", "gpu0"])
def test_bad_gpus(text):
    with pytest.raises(errors.InvalidSpec) as caught:
        parse_gpus(text)
    assert "--gpus" in str(caught.value)


def test_env_sizes_names(monkeypatch):
    monkeypatch.setenv("FROM_HERE", "yes")
    assert parse_env(["A=1", "B=", "FROM_HERE"]) == {"A": "1", "B": "", "FROM_HERE": "yes"}
    for bad in (["1A=x"], ["NOT_SET_ANYWHERE_XYZ"]):
        with pytest.raises(errors.InvalidSpec):
            parse_env(bad)
    assert parse_size("8G") == "8g"
    with pytest.raises(errors.InvalidSpec):
        parse_size("8 GB")
    assert check_container_name("train-1.a_b") == "train-1.a_b"
    for bad in ("-x", "a b", "", "ü"):
        with pytest.raises(errors.InvalidSpec):
            check_container_name(bad)


class _Reported(Exception):
    def __init__(self, text, status=500):
        super().__init__(text)
        self.explanation = text
        self.status_code = status


def test_rootless_uid_gid_error_says_podman_system_migrate():
    # Podman's own words when a user's subuid/subgid mapping is missing or stale.
    text = 'cannot find UID/GID for user lab: no subuid ranges found for user "lab" in /etc/subuid - check rootless mode in man pages.'
    error = translate(_Reported(text))
    assert isinstance(error, errors.RootlessSetupError)
    assert "podman system migrate" in str(error)
    assert error.detail == text


def test_unknown_service_errors_keep_the_services_words():
    error = translate(_Reported("something odd happened\nsecond line"))
    assert isinstance(error, errors.PodmanError)
    assert "something odd happened" in str(error) and "second line" not in str(error)
