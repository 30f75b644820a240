"""The side panel's Images section over REST: pull in the background (POST images, followed
through GET pulls), remove (DELETE images/NAME), against a real Podman and the local registry
(scripts/setup-registry.sh). The podman CLI is the witness; the project's images are never named.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

PROJECT_IMAGES = "localhost/labcontainer-"


def registry() -> str:
    address = os.environ.get("LABCONTAINER_REGISTRY", "")
    if not address:
        pytest.fail("LABCONTAINER_REGISTRY is not set: run scripts/setup-registry.sh and source its env.", pytrace=False)
    return address


def image_exists(podman_cli, image: str) -> bool:
    return podman_cli("image", "exists", image, check=False).returncode == 0


async def eventually(predicate, timeout: float = 120.0, message: str = "condition"):
    """Poll ``predicate`` (a coroutine function) without blocking the server's event loop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {message}")


@pytest.fixture
def delete_image(http_server_client, jp_base_url, jp_auth_header):
    """DELETE images/NAME with NAME URL-encoded as the panel sends it (jp_fetch would encode
    the '%' again): returns (status, json or None)."""

    async def call(name: str, **params):
        import json

        path = f"{jp_base_url.rstrip('/')}/labcontainer/api/images/{urllib.parse.quote(name, safe='')}"
        if params:
            path += "?" + urllib.parse.urlencode(params)
        try:
            response = await http_server_client.fetch(path, method="DELETE", headers=jp_auth_header)
        except HTTPClientError as exc:
            response = exc.response
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text else None)

    return call


@pytest.fixture
def throwaway_image(podman_cli, tmp_path: Path):
    """``throwaway_image()``: a tiny image of its own (one file, one name, its own id), removed after."""
    made: list[str] = []

    def make() -> str:
        image = f"localhost/lct-imagesrest-{uuid.uuid4().hex[:8]}:1"
        (tmp_path / "README").write_text(f"{image}\n")
        subprocess.run(["tar", "-C", str(tmp_path), "-cf", str(tmp_path / "rootfs.tar"), "README"], check=True)
        podman_cli("import", str(tmp_path / "rootfs.tar"), image)
        made.append(image)
        return image

    yield make
    for image in made:
        podman_cli("rmi", image, check=False)


@pytest.fixture
def pulled_name(podman_cli):
    """A registry image name made absent before the test and removed after it (only that name)."""
    name = f"{registry()}/lab/python:latest"
    podman_cli("rmi", name, check=False)
    yield name
    podman_cli("rmi", name, check=False)


async def test_post_images_pulls_in_the_background_then_delete_removes_it(api, podman_cli, pulled_name, delete_image):
    status, body = await api("POST", "images", {"image": pulled_name})
    assert status == 202, body
    assert body["pull"]["image"] == pulled_name and body["pull"]["kernel_id"] is None and "error" not in body["pull"]

    async def pulled() -> bool:
        # Listed in GET pulls while it runs (it may be over before the first look), never failed.
        _, answer = await api("GET", "pulls")
        rows = [p for p in answer["pulls"] if p["image"] == pulled_name]
        assert not any("error" in p for p in rows), rows
        return image_exists(podman_cli, pulled_name) and not rows

    await eventually(pulled, message=f"{pulled_name} pulled and no longer listed in GET pulls")
    _, answer = await api("GET", "images")
    assert any(pulled_name in image["tags"] for image in answer["images"])

    status, body = await delete_image(pulled_name)
    assert status == 200 and body["removed"]["untagged"] == [pulled_name], body  # 204 before #24 item 7: now it says what it did
    assert not image_exists(podman_cli, pulled_name)
    assert image_exists(podman_cli, f"{PROJECT_IMAGES}python:latest")  # only that name went


async def test_a_failed_pull_is_listed_with_its_error_for_the_panel(api, podman_cli):
    missing = f"{registry()}/lab/never-pushed-{uuid.uuid4().hex[:6]}:1"
    status, body = await api("POST", "images", {"image": missing})
    assert status == 202, body

    async def failed():
        _, answer = await api("GET", "pulls")
        rows = [p for p in answer["pulls"] if p["image"] == missing]
        assert rows, "the pull left GET pulls before its failure was listed: a polling panel would miss it"
        return next((p for p in rows if "error" in p), None)

    row = await eventually(failed, message="the failed pull listed with its error")
    assert row["error"]["kind"] == "PullFailed"
    assert missing in row["error"]["message"]
    assert not image_exists(podman_cli, missing)

    status, body = await api("POST", "images", {"image": missing})  # trying again clears the failure
    assert status == 202 and "error" not in body["pull"]
    await eventually(failed, message="the second failure listed")
    _, answer = await api("GET", "pulls")
    assert len([p for p in answer["pulls"] if p["image"] == missing]) == 1


async def test_delete_of_an_image_a_container_uses_is_refused_naming_it(podman_cli, throwaway_image, unique_name, delete_image):
    image = throwaway_image()
    user = unique_name("uses-image")
    podman_cli("create", "--name", user, image, "/README")

    status, body = await delete_image(image)
    assert status == 409, body
    assert body["error"]["kind"] == "ImageInUse"
    assert user in body["error"]["message"] and image in body["error"]["message"]
    assert image_exists(podman_cli, image) and podman_cli.exists(user)

    status, body = await delete_image(image, force="1")  # force never takes a container with it
    assert status == 409, body
    assert image_exists(podman_cli, image) and podman_cli.exists(user)


async def test_delete_of_a_missing_image_is_404(delete_image):
    status, body = await delete_image(f"localhost/lct-never-there-{uuid.uuid4().hex[:6]}:1")
    assert status == 404, body
    assert body["error"]["kind"] == "ImageNotFound"


@pytest.mark.parametrize(
    "body",
    ['{"image": ""}', '{"name": "x"}', '{"image": 3}', "not json", '{"image": "a b"}', '{"image": "x", "tag": "y"}'],
)
async def test_a_bad_pull_body_is_400_and_pulls_nothing(api, body):
    status, answer = await api("POST", "images", body)
    assert status == 400, answer
    assert answer["error"]["kind"] == "InvalidSpec" and answer["error"]["message"]
    _, pulls = await api("GET", "pulls")
    assert pulls["pulls"] == []


async def test_unauthenticated_pull_and_remove_are_refused(jp_fetch, podman_cli, throwaway_image):
    image = throwaway_image()
    for method, parts, body in (("POST", ("images",), b'{"image": "x"}'), ("DELETE", ("images", image.replace("/", "%2F")), None)):
        response = await jp_fetch(
            "labcontainer", "api", *parts, method=method, body=body, raise_error=False,
            allow_nonstandard_methods=True, headers={"Authorization": "token not-the-servers-token"},
        )
        assert response.code in (401, 403), (method, response.code)
    assert image_exists(podman_cli, image)


class ReadOnly(Authorizer):
    """A deployment where this user may look but not change anything."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        return action == "read"


class TestWithoutWritePermission:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {
                "jpserver_extensions": {"labcontainer": True},
                "allow_unauthenticated_access": False,
                "authorizer_class": ReadOnly,
            }
        }

    async def test_pull_and_remove_need_write_on_containers(self, api, podman_cli, throwaway_image, delete_image):
        image = throwaway_image()
        status, _ = await api("POST", "images", {"image": f"{registry()}/lab/python:latest"})
        assert status == 403
        status, _ = await delete_image(image)
        assert status == 403
        assert image_exists(podman_cli, image)
        status, _ = await api("GET", "images")
        assert status == 200
