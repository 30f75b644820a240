"""Creating a container kernel from the side panel (POST kernelspecs) is safe.

A lab member's other kernels are never replaced or hidden; labcontainer's own are replaced
only when asked; every setting is checked before anything is written, with a message that
names it; an image that cannot serve as a kernel (no python3) is refused while the form is still open.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labcontainer.kernels.config import KernelContainerConfig
from labcontainer.server.schema import fields_of


@pytest.fixture
def kernels_dir(jp_data_dir: Path) -> Path:
    """The user's kernelspec folder of the test server (pytest-jupyter's scratch data dir)."""
    return jp_data_dir / "kernels"


@pytest.fixture
def someone_elses_kernel(kernels_dir: Path) -> Path:
    """A kernelspec the user made by hand, with extra files labcontainer knows nothing of."""
    folder = kernels_dir / "mine"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Mine", "language": "python"}))
    (folder / "kernel.js").write_text("// the user's own front-end code\n")
    (folder / "notes.txt").write_text("do not lose me\n")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def written_config(kernels_dir: Path, name: str) -> dict:
    spec = json.loads((kernels_dir / name / "kernel.json").read_text())
    return spec["metadata"]["kernel_provisioner"]["config"]


def probe_containers(podman_cli) -> set[str]:
    """The ipykernel checks' throwaway containers (other tests may share this Podman service)."""
    return {n for n in podman_cli.names() if n.startswith("lc-ipykernel-check-")}


async def test_a_kernelspec_labcontainer_did_not_make_is_never_replaced(api, test_image, kernels_dir, someone_elses_kernel):
    before = snapshot(someone_elses_kernel)
    for replace in (False, True):
        status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "mine", "replace": replace})
        assert status == 409, body
        assert body["error"]["kind"] == "ForeignKernelspec"
        message = body["error"]["message"]
        assert "'mine'" in message and str(someone_elses_kernel) in message and "\n" not in message
    assert snapshot(someone_elses_kernel) == before  # every file still there, unchanged
    _, listed = await api("GET", "kernelspecs")
    assert listed["kernelspecs"] == []


async def test_the_python3_kernel_is_not_hidden_by_a_container_kernel(api, test_image, kernels_dir):
    # python3 lives in ipykernel's package, not in the user's folder: a user-folder
    # kernelspec of that name would hide it from the launcher.
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "python3", "replace": True})
    assert status == 409 and body["error"]["kind"] == "ForeignKernelspec", body
    assert not (kernels_dir / "python3").exists()


async def test_labcontainer_kernelspec_replaced_only_when_asked(api, test_image, python_image, kernels_dir):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "gpus": "0"})
    assert status == 201, body
    name = body["kernelspec"]["name"]
    # The form's case: same image and GPUs give the same default name.
    status, body = await api("POST", "kernelspecs", {"image": test_image, "gpus": "0", "display_name": "Another"})
    assert status == 409 and body["error"]["kind"] == "KernelspecExists", body
    assert f"'{name}'" in body["error"]["message"] and '"replace": true' in body["error"]["message"]
    status, body = await api("POST", "kernelspecs", {"image": python_image, "name": name, "inject_ipykernel": True})
    assert status == 409 and body["error"]["kind"] == "KernelspecExists"
    assert written_config(kernels_dir, name)["image"] == test_image  # untouched

    status, body = await api("POST", "kernelspecs", {"image": python_image, "name": name, "inject_ipykernel": True, "replace": True})
    assert status == 201, body
    assert written_config(kernels_dir, name) == {"image": python_image, "inject_ipykernel": True}
    _, listed = await api("GET", "kernelspecs")
    assert [(k["name"], k["image"]) for k in listed["kernelspecs"]] == [(name, python_image)]


@pytest.mark.parametrize(
    "extra, field, words",
    [
        ({"transport": "bogus"}, "transport", "ipc, tcp"),
        ({"config": "notadict"}, "config", "Known fields"),
        ({"config": {"transport": "tcp"}}, "config", "Known fields"),
        ({"labels": {"org.labcontainer.kernel-id": "not-a-kernel"}}, "org.labcontainer.kernel-id", "reserved"),
        ({"labels": {"org.labcontainer.managed": "false"}}, "org.labcontainer.managed", "reserved"),
        ({"labels": "team=vision"}, "labels", "object"),
        ({"name": "a" * 300}, "kernelspec name", "limit is 64"),
        ({"name": "My Kernel"}, "My Kernel", "kernelspec name"),
        ({"name": "../escape"}, "../escape", "kernelspec name"),
        ({"startup_timeout": 0}, "startup_timeout", "1 to 3600"),
        ({"startup_timeout": "soon"}, "startup_timeout", "wrong type"),
        ({"mount_workdir": "no"}, "mount_workdir", "true or false"),
        ({"env": ["NO_VALUE"]}, "NO_VALUE", "NAME=VALUE"),
        ({"shm_size": "huge"}, "huge", ""),
        ({"volumes": ["data:/data"]}, "data:/data", ""),
        ({"replace": "yes"}, "replace", "true or false"),
    ],
)
async def test_every_setting_is_checked_before_anything_is_written(api, test_image, kernels_dir, extra, field, words):
    before = sorted(kernels_dir.iterdir())  # pytest-jupyter's echo kernel
    status, body = await api("POST", "kernelspecs", {"image": test_image, **extra})
    assert status == 400, body
    message = body["error"]["message"]
    assert body["error"]["kind"] == "InvalidSpec" and field in message and words in message, message
    assert "\n" not in message and "Traceback" not in message
    assert sorted(kernels_dir.iterdir()) == before


async def test_every_kernel_setting_can_be_given_over_rest(api, test_image, kernels_dir):
    assert set(KernelContainerConfig.field_names()) <= set(fields_of("KernelspecCreate"))
    body = {
        "image": test_image, "name": "lc-all-settings", "gpus": "0", "volumes": ["/srv/data:/data:ro"], "env": ["A=1"],
        "shm_size": "1g", "network": "none", "labels": {"team": "vision"}, "transport": "tcp", "mount_workdir": False,
        "startup_timeout": 30, "inject_ipykernel": True,
    }
    status, answer = await api("POST", "kernelspecs", body)
    assert status == 201, answer
    expected = {key: value for key, value in body.items() if key != "name"}
    assert written_config(kernels_dir, "lc-all-settings") == expected


async def test_an_image_without_python_is_refused_while_the_form_is_open(api, python_image, no_python_image, test_image, kernels_dir, podman_cli):
    status, body = await api("POST", "kernelspecs", {"image": no_python_image, "name": "lc-nothing"})
    assert status == 400, body
    assert body["error"]["kind"] == "ImageLacksIpykernel"
    first, _, own_words = body["error"]["message"].partition("\n")
    assert no_python_image in first and "no python3" in first and "Python 3" in first
    assert "executable file" in own_words and "\n" not in own_words  # Podman's own words, on their own line
    assert not (kernels_dir / "lc-nothing").exists()
    assert probe_containers(podman_cli) == set()  # the check left nothing behind

    # Python without ipykernel is accepted with a one-line note (its kernels get a bundle);
    # the older inject_ipykernel is accepted without a check; a kernel image passes it.
    status, body = await api("POST", "kernelspecs", {"image": python_image, "name": "lc-plain"})
    assert status == 201 and "bundle for Python 3.11" in body["note"] and "\n" not in body["note"], body
    assert written_config(kernels_dir, "lc-plain") == {"image": python_image}
    status, body = await api("POST", "kernelspecs", {"image": python_image, "name": "lc-injected", "inject_ipykernel": True})
    assert status == 201 and "note" not in body, body
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-kernel"})
    assert status == 201 and "note" not in body, body
    assert probe_containers(podman_cli) == set()


async def test_an_image_not_on_this_machine_is_accepted_and_not_pulled(api, podman_cli, kernels_dir):
    image = "localhost/labcontainer-not-pulled-here:1"
    status, body = await api("POST", "kernelspecs", {"image": image, "name": "lc-later"})
    assert status == 201, body
    assert "not on this machine" in body["note"] and "first starts" in body["note"]
    assert podman_cli("image", "exists", image, check=False).returncode != 0
    assert written_config(kernels_dir, "lc-later") == {"image": image}


async def test_a_hand_edited_labcontainer_kernelspec_does_not_break_the_list(api, test_image, kernels_dir):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-edited"})
    assert status == 201, body
    spec_file = kernels_dir / "lc-edited" / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec["metadata"]["kernel_provisioner"]["config"] = "notadict"
    spec_file.write_text(json.dumps(spec))
    status, listed = await api("GET", "kernelspecs")
    assert status == 200, listed
    assert [k["name"] for k in listed["kernelspecs"]] == ["lc-edited"]


async def test_a_hand_edited_config_that_is_not_an_object_is_refused_in_words_at_start(api, jp_fetch, test_image, kernels_dir):
    # jupyter_client itself fails on such a spec with "argument after ** must be a mapping"
    # before any labcontainer code runs; the kernel manager catches it first.
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-broken"})
    assert status == 201, body
    spec_file = kernels_dir / "lc-broken" / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec["metadata"]["kernel_provisioner"]["config"] = "notadict"
    spec_file.write_text(json.dumps(spec))
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "lc-broken"}), raise_error=False)
    status, body = response.code, json.loads(response.body.decode())
    assert status == 400, body
    assert "lc-broken" in body["message"] and "not a JSON object" in body["message"], body
    assert "kernelspec install --replace" in body["message"] and "Traceback" not in json.dumps(body)
