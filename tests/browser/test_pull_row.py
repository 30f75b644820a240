"""A lab member opens a notebook on a container kernel whose image is not on the server yet:
while the server pulls it, the side panel says so ("pulling IMAGE for kernel K: 45 %"), and
the notebook then runs code in that kernel.

The image (the kernel image plus 32 MB of its own) comes from the lab registry through a 2 MB/s
relay, so the pull lasts about 16 s, as from a real registry further away than loopback.
"""

from __future__ import annotations

import re

import pytest

from ..conftest import wait_until
from ..images.conftest import pulled, registries, slow_relay  # noqa: F401  (fixtures)
from ..images.test_pull import kernel_image_with_a_layer_of_its_own  # noqa: F401  (a fixture)
from .test_side_panel import lab, page, shot, wait_notebook_connected  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_the_side_panel_shows_a_kernels_image_pull_while_it_runs(
    # `pulled` first: its clean-up (rmi) then runs after the lab's, which removes the kernel's container.
    pulled, lab, page, kernel_image_with_a_layer_of_its_own, slow_relay, podman_cli  # noqa: F811
):
    slow_relay.rate = 2e6
    image = pulled(f"{slow_relay.listen}/{kernel_image_with_a_layer_of_its_own}")
    display_name = "Kernel that pulls first"
    lab.api("/labcontainer/api/kernelspecs", "POST", {"image": image, "display_name": display_name})

    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    panel = page.locator("#labcontainer-panel")
    panel.locator(".lc-Status.lc-ok").wait_for(timeout=30000)
    assert panel.locator(".lc-Pulls").is_hidden()  # no pull: no section
    page.locator(f".jp-LauncherCard[title='{display_name}']").first.click()

    row = panel.locator(f".lc-Pull[data-image='{image}']")
    row.wait_for(timeout=30000)
    percent = re.compile(rf"^pulling {re.escape(image)} for kernel [0-9a-f]{{8}}: ([1-9][0-9]?) %")
    page.wait_for_function(
        """([selector, pattern]) => {
            const row = document.querySelector(selector);
            return row !== null && new RegExp(pattern).test(row.textContent);
        }""",
        arg=[f"#labcontainer-panel .lc-Pull[data-image='{image}']", percent.pattern],
        timeout=60000,
    )
    shot(page, "20-panel-kernel-pulling")
    kernel_id = row.get_attribute("data-kernel")
    assert kernel_id and percent.match(row.inner_text()), row.inner_text()
    # The notebook's window says it too: an in-progress notice, not only the panel's row.
    toast = page.locator(".Toastify__toast", has_text=f"pulling {image} for kernel {kernel_id[:8]}")
    toast.wait_for(timeout=15000)

    # The pull ends, the row and the notice go, and the notebook runs code in the kernel that waited for it.
    row.wait_for(state="detached", timeout=120000)
    toast.wait_for(state="detached", timeout=15000)
    wait_until(lambda: any(k["id"] == kernel_id and k["execution_state"] == "idle" for k in lab.api("/api/kernels") or []),
               timeout=90, message="the kernel to be idle")
    wait_until(lambda: podman_cli.state(f"lc-kernel-{kernel_id}") == "running", timeout=30, message="the kernel's container")
    wait_notebook_connected(page)
    cell = page.locator(".jp-Notebook .jp-Cell .cm-content").first
    cell.click()
    page.keyboard.type("print(6 * 7)")
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-OutputArea-output", has_text="42").wait_for(timeout=60000)
    shot(page, "21-notebook-after-pull")
    assert podman_cli("image", "exists", image, check=False).returncode == 0
