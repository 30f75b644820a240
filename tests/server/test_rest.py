"""The REST API the side panel uses, against a real Podman service."""

from __future__ import annotations


import pytest

from labcontainer.core.models import ContainerSpec

from ..conftest import nvml_gpu_count



async def test_run_list_stop_start_restart_logs_remove(api, test_image, unique_name, podman_cli):
    name = unique_name()
    status, body = await api("POST", "containers", {"image": test_image, "name": name, "gpus": "0",
                                                    "command": ["sh", "-c", "echo ready; exec sleep infinity"]})
    assert status == 201, body
    assert body["container"]["name"] == name and body["container"]["gpus"] == ["nvidia.com/gpu=0"]
    assert podman_cli.state(name) == "running"

    status, body = await api("GET", "containers")
    assert status == 200 and name in [c["name"] for c in body["containers"]]

    status, body = await api("POST", f"containers/{name}/stop")
    assert status == 200 and body["container"]["state"] == "exited"
    assert podman_cli.state(name) == "exited"
    status, body = await api("POST", f"containers/{name}/start")
    assert status == 200 and podman_cli.state(name) == "running"
    status, body = await api("POST", f"containers/{name}/restart")
    assert status == 200 and body["container"]["state"] == "running"

    status, body = await api("GET", f"containers/{name}/logs", tail="1")
    assert status == 200 and body["lines"] == ["ready"]

    status, _ = await api("DELETE", f"containers/{name}", force="1")
    assert status == 204 and not podman_cli.exists(name)
    status, body = await api("DELETE", f"containers/{name}")
    assert status == 404 and body["error"]["kind"] == "ContainerNotFound"
    # The side panel's words (#24 item 5): where it lists containers, not `%container ps -a`.
    assert "side panel's Containers section lists them" in body["error"]["message"], body


async def test_scope_labcontainer_hides_containers_it_did_not_make(api, engine, test_image, unique_name, unlabelled_container):
    ours = unique_name("ours")
    engine.run(ContainerSpec(image=test_image, name=ours, command=("sleep", "infinity"), init=True))
    _, mine = await api("GET", "containers", scope="mine")
    _, only_ours = await api("GET", "containers", scope="labcontainer")
    assert {ours, unlabelled_container} <= {c["name"] for c in mine["containers"]}
    names = {c["name"] for c in only_ours["containers"]}
    assert ours in names and unlabelled_container not in names


async def test_images_and_status(api, test_image):
    status, body = await api("GET", "images")
    assert status == 200 and test_image in [i["name"] for i in body["images"]]
    status, body = await api("GET", "status")
    assert status == 200 and body["connected"] and body["version"].startswith("4.")


async def test_gpus_list_this_machine_s_gpus_or_say_why_there_are_none(api):
    status, body = await api("GET", "gpus")
    assert status == 200
    count = nvml_gpu_count()  # asked of pynvml itself: a GPU server lists its GPUs
    if count is None:
        assert body["available"] is False and "No NVIDIA driver" in body["reason"] and body["gpus"] == []
    else:
        assert body["available"] is True and body["reason"] is None, body["reason"]
        assert [gpu["index"] for gpu in body["gpus"]] == list(range(count))


@pytest.mark.parametrize(
    "body, kind",
    [
        ({}, "InvalidSpec"),
        ({"image": ""}, "InvalidSpec"),
        ({"image": "x", "volumes": ["relative:/x"]}, "InvalidSpec"),
        ({"image": "x", "volumes": "/a:/b"}, "InvalidSpec"),
        ({"image": "x", "volumes": [1]}, "InvalidSpec"),
        ({"image": "x", "gpus": "two"}, "InvalidSpec"),
        ({"image": "x", "gpus": 0}, "InvalidSpec"),
        ({"image": "x", "ports": ["99999:1"]}, "InvalidSpec"),
        ({"image": "x", "env": ["1BAD=x"]}, "InvalidSpec"),
        ({"image": "x", "name": "bad name"}, "InvalidSpec"),
        ({"image": "x", "shm_size": "lots"}, "InvalidSpec"),
        ({"image": "x", "workdir": "relative"}, "InvalidSpec"),
        ({"image": "x", "surprise": True}, "InvalidSpec"),
        ("not json", "InvalidSpec"),
        ("[1, 2]", "InvalidSpec"),
        ({"image": "localhost/no-such-image:1"}, "ImageNotFound"),
    ],
)
async def test_bad_bodies_get_a_message_and_create_nothing(api, podman_cli, body, kind):
    before = podman_cli.names()
    status, answer = await api("POST", "containers", body)
    assert 400 <= status < 500, answer
    assert answer["error"]["kind"] == kind and answer["error"]["message"]
    assert podman_cli.names() - before == set()


async def test_bad_query_values(api):
    status, body = await api("GET", "containers/anything/logs", tail="lots")
    assert status == 400 and "tail" in body["error"]["message"]
    status, body = await api("GET", "containers", scope="everyone")
    assert status == 400
    status, body = await api("POST", "kernelspecs", {"image": "x", "gpus": "nope"})
    assert status == 400


async def test_kernelspecs_create_list_delete(api, test_image, jp_fetch):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "gpus": "0", "display_name": "Test kernel (GPU 0)"})
    assert status == 201, body
    name = body["kernelspec"]["name"]
    assert body["kernelspec"]["image"] == test_image and body["kernelspec"]["gpus"] == "0"
    _, listed = await api("GET", "kernelspecs")
    assert name in [k["name"] for k in listed["kernelspecs"]]
    # Jupyter's own kernelspec API (the launcher's source) sees it at once.
    import json as _json

    specs = _json.loads((await jp_fetch("api", "kernelspecs")).body)["kernelspecs"]
    assert specs[name]["spec"]["display_name"] == "Test kernel (GPU 0)"
    status, _ = await api("DELETE", f"kernelspecs/{name}")
    assert status == 204
    status, body = await api("DELETE", f"kernelspecs/{name}")
    assert status == 404


ENDPOINTS = [
    ("GET", "containers"), ("POST", "containers"), ("POST", "containers/x/start"), ("POST", "containers/x/stop"),
    ("POST", "containers/x/restart"), ("DELETE", "containers/x"), ("GET", "containers/x/logs"), ("GET", "gpus"),
    ("GET", "images"), ("GET", "kernelspecs"), ("POST", "kernelspecs"), ("DELETE", "kernelspecs/x"), ("GET", "status"),
]


async def test_unauthenticated_requests_are_refused(jp_fetch, podman_cli):
    before = podman_cli.names()
    for method, path in ENDPOINTS:
        body = b'{"image": "x"}' if method == "POST" else None
        response = await jp_fetch(
            "labcontainer", "api", *path.split("/"), method=method, body=body, raise_error=False,
            allow_nonstandard_methods=True, headers={"Authorization": "token not-the-servers-token"},
        )
        assert response.code in (401, 403), (method, path, response.code)
    assert podman_cli.names() == before


async def test_podman_down_gives_503_with_how_to_start(jp_serverapp, api, private_service):
    from labcontainer.service import LabService

    app = jp_serverapp.web_app.settings["labcontainer_app"]
    app.connections[app.default_connection] = LabService(url=private_service.url)
    status, body = await api("GET", "status")
    assert body["connected"] is True
    private_service.stop()
    status, body = await api("GET", "status")
    assert status == 200 and body["connected"] is False and "podman.socket" in body["message"]
    status, body = await api("GET", "containers")
    assert status == 503 and body["error"]["kind"] == "ServiceUnavailable"
    assert "podman system service" in body["error"]["message"]
