"""The side panel's kernel form in Chromium (#24 item 9): the documented
localhost/labcontainer-kernel:latest is offered (an image with several names is offered under
each), a registry image can be typed in, and volumes and environment go into the kernelspec."""

from __future__ import annotations

import json
import os

import pytest

from .test_side_panel import lab, page, shot  # noqa: F401 (lab and page are fixtures)

pytestmark = pytest.mark.browser


def test_the_kernel_form_offers_every_name_and_takes_a_registry_image_volumes_and_env(lab, page, test_image, unique_name, podman_cli):  # noqa: F811
    second_name = f"localhost/{unique_name('form')}:1"
    podman_cli("tag", test_image, second_name)  # the kernel image gets a second name, as a lab's images do
    try:
        page.goto(f"{lab.url}/lab?reset&token={lab.token}")
        page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
        panel = page.locator("#labcontainer-panel")
        panel.locator(f".lc-Image option[value='{second_name}']").wait_for(state="attached", timeout=30000)
        offered = panel.locator(".lc-Image option").evaluate_all("options => options.map(option => option.value)")
        assert test_image in offered and second_name in offered, offered

        registry_image = f"{os.environ['LABCONTAINER_REGISTRY']}/lab/kernel:latest"
        panel.locator(".lc-ImageTyped").fill(registry_image)
        panel.locator(".lc-Volumes").fill("/srv/data:/data:ro\n/tmp:/scratch")
        panel.locator(".lc-Env").fill("OMP_NUM_THREADS=8")
        panel.locator(".lc-DisplayName").fill("From the registry")
        panel.locator(".lc-CreateKernel").click()
        panel.locator(".lc-FormMessage.lc-ok").wait_for(timeout=30000)
        shot(page, "30-kernel-form-registry-image")

        specs = {spec["display_name"]: spec for spec in lab.api("/labcontainer/api/kernelspecs")["kernelspecs"]}
        spec = specs["From the registry"]
        assert spec["image"] == registry_image and spec["volumes"] == ["/srv/data:/data:ro", "/tmp:/scratch"], spec
        config = json.loads((lab.base / "data" / "kernels" / spec["name"] / "kernel.json").read_text())["metadata"]["kernel_provisioner"]["config"]
        assert config["image"] == registry_image and "OMP_NUM_THREADS" in json.dumps(config["env"]) and "8" in json.dumps(config["env"]), config
    finally:
        podman_cli("rmi", second_name, check=False)
