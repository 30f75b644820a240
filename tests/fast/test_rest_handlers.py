"""The REST handlers over a fake engine: status codes, JSON shapes and the one error
translation, in a real Jupyter server (pytest-jupyter) without Podman."""

from __future__ import annotations

import pytest

from labcontainer.core.models import LABEL_MANAGED, LABEL_OWNER, ContainerSpec

from .conftest import IMAGE


async def test_a_container_created_over_rest_is_labelled_and_listed(fake_api, engine):
    status, body = await fake_api("POST", "containers", {"image": IMAGE, "name": "web", "gpus": "0", "command": ["sleep", "infinity"]})
    assert status == 201, body
    assert body["container"]["name"] == "web" and body["container"]["gpus"] == ["nvidia.com/gpu=0"]
    assert engine.containers["web"].info.labels[LABEL_OWNER] == "ada"
    status, body = await fake_api("GET", "containers", scope="labcontainer")
    assert status == 200 and [c["name"] for c in body["containers"]] == ["web"]
    assert body["containers"][0]["managed"] is True and "kernel" not in body["containers"][0]


async def test_listing_scope_and_all(fake_api, engine):
    engine.add("made-in-a-terminal", state="exited")
    engine.add("ours", labels={LABEL_MANAGED: "true", LABEL_OWNER: "ada", "org.labcontainer.purpose": "container"})
    _, body = await fake_api("GET", "containers", scope="mine")
    assert {c["name"] for c in body["containers"]} == {"made-in-a-terminal", "ours"}
    _, body = await fake_api("GET", "containers", scope="mine", all="0")
    assert [c["name"] for c in body["containers"]] == ["ours"]
    _, body = await fake_api("GET", "containers", scope="labcontainer")
    assert [c["name"] for c in body["containers"]] == ["ours"]
    status, body = await fake_api("GET", "containers", scope="everyone")
    assert status == 400 and body["error"]["kind"] == "InvalidSpec" and "scope=mine" in body["error"]["message"]


@pytest.mark.parametrize(
    "body, kind",
    [
        ({"image": IMAGE, "gpus": "two"}, "InvalidSpec"),
        ({"image": IMAGE, "volumes": ["nonsense"]}, "InvalidSpec"),
        ({"image": IMAGE, "name": "bad name!"}, "InvalidSpec"),
        ({"name": "no-image"}, "InvalidSpec"),  # the schema: image is required
        ({"image": "localhost/no-such:1"}, "ImageNotFound"),
    ],
)
async def test_a_bad_create_is_a_4xx_with_the_error_kind_and_nothing_is_made(fake_api, engine, body, kind):
    status, answer = await fake_api("POST", "containers", body)
    assert 400 <= status < 500 and answer["error"]["kind"] == kind, (status, answer)
    assert answer["error"]["message"] and "Traceback" not in answer["error"]["message"]
    assert not engine.containers


async def test_actions_and_remove(fake_api, engine, service):
    service.run(ContainerSpec(image=IMAGE, name="web"))
    status, body = await fake_api("POST", "containers/web/stop")
    assert status == 200 and body["container"]["state"] == "exited" and engine.state("web") == "exited"
    status, body = await fake_api("POST", "containers/web/start")
    assert status == 200 and body["container"]["state"] == "running"
    status, body = await fake_api("POST", "containers/web/explode")
    assert status == 404
    status, body = await fake_api("DELETE", "containers/web")
    assert status == 409 and body["error"]["kind"] == "ContainerStateError" and engine.state("web") == "running"
    status, _ = await fake_api("DELETE", "containers/web", force="1")
    assert status == 204 and engine.state("web") is None
    status, body = await fake_api("POST", "containers/web/start")
    assert status == 404 and body["error"]["kind"] == "ContainerNotFound"


async def test_gpus_say_who_reserved_them(fake_api, service):
    service.run(ContainerSpec(image=IMAGE, name="trainer", gpus=("nvidia.com/gpu=1",)))
    status, body = await fake_api("GET", "gpus")
    assert status == 200 and body["available"] is True and body["driver_version"] == "550.54.15"
    gpu0, gpu1 = body["gpus"]
    assert gpu0["free"] is True and gpu1["free"] is False and gpu1["reserved_by"] == ["trainer"]


async def test_an_unexpected_failure_is_a_500_without_a_traceback(fake_api, engine):
    def broken(**_options):
        raise RuntimeError("a bug")

    engine.ps = broken
    status, body = await fake_api("GET", "containers")
    assert status == 500 and body["error"]["kind"] == "InternalError"
    assert "a bug" not in body["error"]["message"] and "Traceback" not in body["error"]["message"]
