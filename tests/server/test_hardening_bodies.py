"""Malformed, huge and hostile request values get a 4xx in words, never a 500 or 502, and
write nothing (issue #25, items 4-6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

#: The body limit the README and docs/rest-api.md promise.
MAX_BODY_BYTES = 64 * 1024


def kernelspecs_written(jp_data_dir: Path) -> list[str]:
    """labcontainer's kernelspecs in the test server's data folder (pytest-jupyter adds an echo kernel)."""
    folder = jp_data_dir / "kernels"
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("lc-")) if folder.is_dir() else []


# -- 4. deep nesting ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["containers", "kernelspecs", "images"])
@pytest.mark.parametrize("levels", [30_000, 50])
async def test_deeply_nested_json_is_a_400(api, podman_cli, jp_data_dir, path, levels):
    before = podman_cli.names()
    nested = "[" * levels + "]" * levels
    for body in (nested, '{"image": ' + nested + "}"):
        assert len(body) < MAX_BODY_BYTES
        status, answer = await api("POST", path, body)
        assert status == 400, (path, status, answer)
        assert answer["error"]["kind"] == "InvalidSpec" and answer["error"]["message"]
    assert podman_cli.names() == before and kernelspecs_written(jp_data_dir) == []


# -- 5. sizes --------------------------------------------------------------------------------


async def test_a_huge_body_is_a_413_and_writes_nothing(api, test_image, jp_data_dir):
    huge = {"image": test_image, "name": "lc-harden-huge", "display_name": "x" * (10 * 1024 * 1024)}
    status, answer = await api("POST", "kernelspecs", huge)
    assert status == 413, answer
    assert str(MAX_BODY_BYTES) in answer["error"]["message"]
    assert kernelspecs_written(jp_data_dir) == []


@pytest.mark.parametrize("field, value", [
    ("display_name", "x" * 5000),
    ("env", ["A=1"] * 1000),
    ("labels", {f"k{i}": "v" for i in range(1000)}),
])
async def test_a_field_over_its_limit_is_named(api, test_image, jp_data_dir, field, value):
    status, answer = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-harden-long", field: value})
    assert status == 400, answer
    assert field in answer["error"]["message"]
    assert kernelspecs_written(jp_data_dir) == []


# -- 6. image references and sizes -------------------------------------------------------------


@pytest.mark.parametrize("image", ["../../etc/passwd", "-f", "Upper:tag", "x:tag with space", "a\nb", "x" * 300])
async def test_an_image_that_is_no_reference_is_a_400_naming_the_field(api, podman_cli, jp_data_dir, image):
    before = podman_cli.names()
    status, answer = await api("POST", "kernelspecs", {"image": image, "name": "lc-harden-image"})
    assert status == 400, answer
    assert "image" in answer["error"]["message"]
    status, answer = await api("POST", "containers", {"image": image, "command": ["true"]})
    assert status == 400 and "image" in answer["error"]["message"], answer
    status, answer = await api("POST", "images", {"image": image})
    assert status == 400 and "image" in answer["error"]["message"], answer
    assert podman_cli.names() == before and kernelspecs_written(jp_data_dir) == []


@pytest.mark.parametrize("name, force", [("-f", "0"), ("-f", "1"), ("\x00", "0"), ("..%2F..%2Fetc", "0"), ("UPPER", "1")])
async def test_removing_an_image_that_is_no_reference_is_a_400(jp_fetch, name, force):
    # jp_fetch URL-escapes the name: the server gets it as written here.
    response = await jp_fetch("labcontainer", "api", "images", name, method="DELETE", raise_error=False, params={"force": force})
    assert response.code == 400, (name, response.code, response.body)
    assert "image" in json.loads(response.body)["error"]["message"]


@pytest.mark.parametrize("path", ["containers", "kernelspecs"])
async def test_an_impossible_shm_size_is_a_400_naming_the_field(api, test_image, unique_name, podman_cli, path):
    name = unique_name() if path == "containers" else "lc-harden-shm"
    status, answer = await api("POST", path, {"image": test_image, "name": name, "shm_size": "99999999999999999999g"})
    assert status == 400, answer
    assert "shm_size" in answer["error"]["message"]
    assert not podman_cli.exists(name)
