"""Which images `image prune` keeps for the kernelspecs, without Podman: the kernelspecs'
images that live only here, and how a kept reference matches an image (the real prune is in
test_registry_commands.py)."""

from __future__ import annotations

from labcontainer.core.models import ImageInfo
from labcontainer.engine.images import kept_because
from labcontainer.kernels.kernelspecs import install_kernelspec
from labcontainer.magics.images import kernel_images

IMAGE = ImageInfo(id="sha256:" + "ab12" * 16, tags=("localhost/lab-kernel:latest", "localhost/lab-kernel:v2"), size=1)


def test_a_kernelspecs_local_image_is_kept_and_a_pullable_one_is_not(data_dir):
    install_kernelspec("localhost/lab-kernel:v2", name="lc-one")
    install_kernelspec("localhost/lab-kernel:v2", name="lc-two")
    install_kernelspec("lab-short", name="lc-short")  # Podman finds a local short name as localhost/NAME
    install_kernelspec("registry.lab:5000/team/kernel:1", name="lc-pullable")
    kept = kernel_images()  # (kernelspecs installed elsewhere on this machine count too)
    assert kept["localhost/lab-kernel:v2"] == "used by kernelspecs lc-one, lc-two; it cannot be pulled again"
    assert kept["localhost/lab-short"] == "used by kernelspec lc-short; it cannot be pulled again"
    assert not any("lc-pullable" in why for why in kept.values())


def test_a_kept_reference_matches_any_name_of_the_image_or_its_id():
    assert kept_because(IMAGE, {"localhost/lab-kernel": "why"}) == "why"  # :latest implied
    assert kept_because(IMAGE, {"localhost/lab-kernel:v2": "why"}) == "why"
    assert kept_because(IMAGE, {"ab12ab12ab12": "why"}) == "why"
    assert kept_because(IMAGE, {"localhost/lab-kernel:v3": "why", "localhost/other": "why"}) == ""
    assert kept_because(IMAGE, {}) == ""
