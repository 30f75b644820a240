"""Removing an image name the side panel shows (#24 item 7): Podman takes a name off an image
that containers use without a word (the image stays under its other names); DELETE
images/NAME then says so, naming the containers and the names that keep the image."""

from __future__ import annotations

from .test_images_rest import delete_image, throwaway_image  # noqa: F401 - fixtures


async def test_removing_a_name_of_an_image_containers_use_says_why_it_stays(  # noqa: F811
    delete_image, throwaway_image, podman_cli, unique_name  # noqa: F811
):
    first = throwaway_image()
    second = first.replace(":1", ":2")
    podman_cli("tag", first, second)
    container = unique_name()
    podman_cli("create", "--name", container, first, "/README")  # never started: it still uses the image

    status, body = await delete_image(second)

    assert status == 200, body
    removed = body["removed"]
    assert removed["image"] == second and removed["untagged"] == [second] and removed["deleted"] == []
    assert removed["used_by"] == [container] and removed["other_names"] == [first]
    assert podman_cli("image", "exists", second, check=False).returncode != 0  # the name went
    assert podman_cli("image", "exists", first, check=False).returncode == 0  # the image stayed
    assert podman_cli("container", "exists", container, check=False).returncode == 0  # and so did its container

    # Its last name, while a container uses it: refused, naming the container (as before).
    status, body = await delete_image(first)
    assert status == 409 and body["error"]["kind"] == "ImageInUse" and container in body["error"]["message"], body
    # In the side panel's own words (#24 item 5): its Remove button, not `%container rm`.
    assert "its Remove button in the side panel's Containers section" in body["error"]["message"], body
    assert "%container" not in body["error"]["message"], body


async def test_removing_an_unused_images_last_name_deletes_it_and_says_so(delete_image, throwaway_image, podman_cli):  # noqa: F811
    image = throwaway_image()
    status, body = await delete_image(image)
    assert status == 200, body
    assert body["removed"]["untagged"] == [image] and len(body["removed"]["deleted"]) == 1
    assert body["removed"]["used_by"] == [] and body["removed"]["other_names"] == []
    assert podman_cli("image", "exists", image, check=False).returncode != 0
