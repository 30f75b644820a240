"""A lab member in JupyterLab: the side panel, a real container, a container kernel.

Drives Debian's Chromium with Playwright against a real `jupyter lab` on localhost.
Screenshots go to test-artifacts/ (or $LABCONTAINER_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import wait_until

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("LABCONTAINER_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
NEWS_OFF = {"fetchNews": "false", "checkForUpdates": False}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.token = "lct-browser-token"
        self.url = f"http://127.0.0.1:{self.port}"
        self.work = base / "work"
        self.work.mkdir()
        settings = base / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(json.dumps(NEWS_OFF))
        self.env = dict(os.environ, JUPYTER_DATA_DIR=str(base / "data"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
                        JUPYTER_CONFIG_DIR=str(base / "config"))
        command = [sys.executable, "-m", "jupyterlab", f"--port={self.port}", "--ip=127.0.0.1", "--no-browser",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.work}",
                   f"--LabApp.user_settings_dir={base / 'settings'}", f"--LabApp.workspaces_dir={base / 'workspaces'}"]
        if os.getuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, env=self.env, stdout=open(base / "lab.log", "ab"), stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout=90, message="jupyter lab to answer")

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else None

    def _answers(self) -> bool:
        try:
            self.api("/api/status")
            return True
        except OSError:
            return False

    def stop(self) -> None:
        for kernel in self.api("/api/kernels") or []:
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        self.process.terminate()
        self.process.wait(30)


@pytest.fixture
def lab(tmp_path):
    instance = Lab(tmp_path)
    yield instance
    instance.stop()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_side_panel_container_and_container_kernel(lab, page, test_image, unique_name, podman_cli):
    name = unique_name("browser")
    podman_cli("run", "-d", "--name", name, test_image, "sleep", "infinity")

    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    panel = page.locator("#labcontainer-panel")
    panel.locator(".lc-Status.lc-ok").wait_for(timeout=30000)
    row = panel.locator(f".lc-Row[data-name='{name}']")
    row.wait_for(timeout=30000)
    shot(page, "01-panel-running")

    # stop and start a real container from the panel
    row.locator("button[data-action='stop']").click()
    wait_until(lambda: podman_cli.state(name) == "exited", timeout=30, message="the container to stop")
    row.locator("button[data-action='start']:not([disabled])").wait_for(timeout=30000)
    shot(page, "02-panel-stopped")
    row.locator("button[data-action='start']").click()
    wait_until(lambda: podman_cli.state(name) == "running", timeout=30, message="the container to start again")

    # make a container kernel with (fake) GPU 0 from the form
    display_name = "Browser test kernel (GPU 0)"
    panel.locator(".lc-Image").select_option(test_image)
    panel.locator(".lc-GpusInput").fill("0")
    panel.locator(".lc-DisplayName").fill(display_name)
    panel.locator(".lc-CreateKernel").click()
    panel.locator(".lc-FormMessage.lc-ok").wait_for(timeout=30000)
    shot(page, "03-panel-kernel-added")

    # it is in the launcher at once: open a notebook on it
    card = page.locator(f".jp-LauncherCard[title='{display_name}']").first
    card.wait_for(timeout=30000)
    shot(page, "04-launcher")
    card.click()

    def kernel_idle():
        kernels = lab.api("/api/kernels") or []
        ours = [k for k in kernels if k["name"].startswith("lc-") and k["execution_state"] == "idle"]
        return ours[0] if ours else None

    kernel = wait_until(kernel_idle, timeout=90, message="the container kernel to be idle")
    time.sleep(1)  # the notebook's session connects after the kernel reports idle
    cell = page.locator(".jp-Notebook .jp-Cell .cm-content").first
    cell.click()
    page.keyboard.type("import socket, os; print(socket.gethostname(), os.path.exists('/dev/nvidia0'))")
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output").first
    output.wait_for(timeout=60000)
    hostname, has_gpu = output.inner_text().split()
    container = json.loads(podman_cli("ps", "--filter", f"label=org.labcontainer.kernel-id={kernel['id']}", "--format", "json").stdout)
    assert container and container[0]["Id"].startswith(hostname), "the cell ran inside the kernel's container"
    assert has_gpu == "True"
    shot(page, "05-notebook-in-container")
