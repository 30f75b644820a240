"""A lab member cleans up images and checks disk use: an image a container uses is kept
(and the container named), `system df` says what the images, containers and volumes take."""

from __future__ import annotations

import uuid

import pytest
from IPython.core.error import UsageError

from labcontainer.core.models import LABEL_POOL, LABEL_PURPOSE, PURPOSE_KERNEL

from .conftest import line


def test_rmi_refuses_an_image_a_container_uses_and_names_the_container(shell, image_of_our_own, unique_name, podman_cli, capsys):
    user = unique_name("user")
    podman_cli("create", "--name", user, image_of_our_own, "true")
    for words in (f"rmi {image_of_our_own}", f"rmi -f {image_of_our_own}"):
        with pytest.raises(UsageError) as caught:
            line(shell, words)
        message = str(caught.value)
        assert f"The image '{image_of_our_own}' is used by container {user}, so it was not removed." in message
        assert f"%container rm {user}" in message
        assert message.split("\n")[-1].startswith("Podman said: ")
        assert podman_cli("image", "exists", image_of_our_own, check=False).returncode == 0
        assert podman_cli.exists(user)  # -f never takes a container with it

    podman_cli("rm", user)
    capsys.readouterr()
    assert line(shell, f"rmi {image_of_our_own}") is None
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Untagged: {image_of_our_own}" and out[1].startswith("Deleted: ")
    assert podman_cli("image", "exists", image_of_our_own, check=False).returncode != 0


def test_rmi_says_what_frees_the_image_for_each_kind_of_user(shell, image_of_our_own, unique_name, podman_cli):
    """`%container rm` is no advice for a running container, nor for a notebook's kernel (it
    would need -f, which kills the kernel); a kernel kept ready is nobody's container, named
    by its kernelspec. The containers carry the labels labcontainer gives a kernel's container
    and a kernel waiting in a pool."""
    running, kernel = unique_name("running"), unique_name("kernel")
    waiting = f"lc-pool-{uuid.uuid4()}"
    podman_cli("run", "-d", "--name", running, image_of_our_own, "sleep", "infinity")
    podman_cli("create", "--name", kernel, "--label", f"{LABEL_PURPOSE}={PURPOSE_KERNEL}", image_of_our_own, "true")
    podman_cli("create", "--name", waiting, "--label", f"{LABEL_POOL}=lc-kept", image_of_our_own, "true")
    try:
        with pytest.raises(UsageError) as caught:
            line(shell, f"rmi {image_of_our_own}")
        message = str(caught.value)
        assert f"is used by containers {running}, {kernel} and 1 kernel kept ready for kernelspec lc-kept," in message
        assert f"stop and remove {running} (`%container stop {running}`, then `%container rm {running}`)" in message
        assert f"shut down the kernel of {kernel} from its notebook" in message
        assert "set the pool of kernelspec lc-kept to 0" in message and waiting not in message
        assert f"%container rm {kernel}" not in message
        assert all(podman_cli.exists(name) for name in (running, kernel, waiting))
    finally:
        podman_cli("rm", "-f", "-t", "0", waiting, check=False)


def test_rmi_of_one_name_keeps_the_image_and_its_other_names(shell, image_of_our_own, podman_cli, capsys):
    other = image_of_our_own.replace(":1", ":other-name")
    podman_cli("tag", image_of_our_own, other)
    line(shell, f"image rm {other}")  # the guide's spelling
    assert capsys.readouterr().out == f"Untagged: {other}\n"
    assert podman_cli("image", "exists", image_of_our_own, check=False).returncode == 0
    assert podman_cli("image", "exists", other, check=False).returncode != 0


def test_rmi_by_id_of_an_image_with_two_names_needs_f(shell, image_of_our_own, podman_cli, capsys):
    other = image_of_our_own.replace(":1", ":other-name")
    podman_cli("tag", image_of_our_own, other)
    image_id = podman_cli("image", "inspect", "--format", "{{.Id}}", image_of_our_own).stdout.strip()
    with pytest.raises(UsageError) as caught:
        line(shell, f"rmi {image_id[:12]}")
    assert "has several names, so nothing was removed" in str(caught.value) and "rmi -f" in str(caught.value)
    assert podman_cli("image", "exists", other, check=False).returncode == 0
    capsys.readouterr()
    line(shell, f"rmi -f {image_id[:12]}")
    out = capsys.readouterr().out
    assert f"Untagged: {image_of_our_own}" in out and f"Untagged: {other}" in out and f"Deleted: {image_id}" in out
    assert podman_cli("image", "exists", image_id, check=False).returncode != 0


def test_images_lists_every_name_of_an_image_as_podman_does(shell, image_of_our_own, podman_cli):
    other = image_of_our_own.replace(":1", ":other-name")
    podman_cli("tag", image_of_our_own, other)
    image_id = podman_cli("image", "inspect", "--format", "{{.Id}}", image_of_our_own).stdout.strip()
    witness = podman_cli("images", "--filter", f"id={image_id}", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    listed = line(shell, "images")
    ours = sorted(i.name for i in listed if i.id.removeprefix("sha256:") == image_id)
    assert ours == sorted(witness) == sorted([image_of_our_own, other])
    assert image_of_our_own in repr(listed) and other in repr(listed) and other in listed._repr_html_()


def test_rmi_goes_on_past_a_missing_image_and_reports_it(shell, image_of_our_own, podman_cli, capsys):
    with pytest.raises(UsageError) as caught:
        line(shell, f"rmi localhost/lct-no-such-image:1 {image_of_our_own}")
    assert "localhost/lct-no-such-image:1" in str(caught.value) and "not on this machine" in str(caught.value)
    assert f"Untagged: {image_of_our_own}" in capsys.readouterr().out
    assert podman_cli("image", "exists", image_of_our_own, check=False).returncode != 0


def test_image_ls_is_images(shell, test_image, python_image):
    listed = line(shell, "image ls")
    assert {test_image, python_image} <= {i.name for i in listed}
    assert [i.name for i in listed] == [i.name for i in line(shell, "images")]


def podman_df(podman_cli) -> dict[str, tuple[int, int, int, int]]:
    out = podman_cli("system", "df", "--format", "{{.Type}}|{{.Total}}|{{.Active}}|{{.RawSize}}|{{.RawReclaimable}}").stdout
    rows = [text.split("|") for text in out.splitlines() if text.strip()]
    return {kind: (int(total), int(active), int(size), int(reclaimable)) for kind, total, active, size, reclaimable in rows}


def test_system_df_says_what_images_containers_and_volumes_take(shell, podman_cli, unique_name, test_image):
    podman_cli("create", "--name", unique_name("stopped"), test_image, "true")  # a container, not running
    # Other tests (and people) on this machine change the numbers: compare a moment when
    # ours and podman's agree, as they must when nothing changes in between.
    for _ in range(5):
        rows = line(shell, "system df")
        theirs = podman_df(podman_cli)
        ours = {r.kind: (r.total, r.active, r.size, r.reclaimable) for r in rows}
        if ours == theirs:
            break
    assert ours == theirs
    assert [r.kind for r in rows] == ["Images", "Containers", "Local Volumes"]
    assert ours["Images"][0] >= 2 and ours["Containers"][0] >= 1
    text = repr(rows).splitlines()
    assert text[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert text[1].startswith("Images") and text[1].rstrip().endswith("%)")
    assert "<table" in rows._repr_html_() and "Local Volumes" in rows._repr_html_()
