"""A lab member in JupyterLab: the side panel, a real container, a container kernel.

Drives Debian's Chromium with Playwright against a real `jupyter lab` on localhost, with the
side panel built from this checkout (``built_extension``). Screenshots go to test-artifacts/
(or $LABCONTAINER_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from ..conftest import wait_until

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LABCONTAINER_ARTIFACTS") or REPO / "test-artifacts")
NEWS_OFF = {"fetchNews": "false", "checkForUpdates": False}
LABEXTENSION = REPO / "labextension"
BUILT = REPO / "labcontainer" / "labextension"  # package.json "jupyterlab.outputDir"


def built_extension() -> Path:
    """The side panel built from this checkout (`jlpm build:prod`), rebuilt when a source is
    newer: the browser must drive the code under test, not whatever an earlier `pip install`
    left in the venv's share/jupyter/labextensions."""
    sources = [LABEXTENSION / "package.json"] + [
        path for folder in ("src", "style", "schema") for path in (LABEXTENSION / folder).rglob("*") if path.is_file()
    ]
    stamp = BUILT / "package.json"
    if not stamp.exists() or stamp.stat().st_mtime < max(path.stat().st_mtime for path in sources):
        bin_dir = Path(sys.executable).parent
        env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        if not (LABEXTENSION / "node_modules").is_dir():
            subprocess.run([str(bin_dir / "jlpm"), "install"], cwd=LABEXTENSION, env=env, check=True)
        subprocess.run([str(bin_dir / "jlpm"), "build:prod"], cwd=LABEXTENSION, env=env, check=True)
    return BUILT


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
        # JUPYTER_PATH comes first among the labextension paths (before the venv's, which a
        # venv prefers even to the user's data dir): this checkout's build wins.
        (base / "path" / "labextensions").mkdir(parents=True)
        (base / "path" / "labextensions" / "labcontainer").symlink_to(built_extension(), target_is_directory=True)
        self.env = dict(os.environ, JUPYTER_DATA_DIR=str(base / "data"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
                        JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_PATH=str(base / "path"))
        command = [sys.executable, "-m", "jupyterlab", f"--port={self.port}", "--ip=127.0.0.1", "--no-browser",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.work}",
                   f"--LabApp.user_settings_dir={base / 'settings'}", f"--LabApp.workspaces_dir={base / 'workspaces'}"]
        if os.getuid() == 0:
            command.append("--allow-root")
        self.process = subprocess.Popen(command, env=self.env, stdout=open(base / "lab.log", "ab"), stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout=90, message="jupyter lab to answer")

    def api(self, path: str, method: str = "GET", body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", method=method, data=data, headers={"Authorization": f"token {self.token}"})
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
            viewport={"width": 1500, "height": 900},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def wait_notebook_connected(page, timeout: float = 60000) -> None:
    """Wait until the open notebook's page is connected to its kernel. The server says the
    kernel is idle (``execution_state``) before the page's own kernel connection is up, and
    a cell run before that is not sent; JupyterLab's status bar says "<kernel> | Idle" only
    once that connection is "connected" and has heard the kernel."""
    page.locator(".jp-StatusBar-TextItem[title^='Change kernel for']", has_text="| Idle").first.wait_for(timeout=timeout)


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
    wait_notebook_connected(page)
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

    # the kernel's container is marked with its notebook; Stop asks first, then restarts the
    # kernel through Jupyter: a fresh container, the same kernel id, the notebook runs code again
    kernel_row = panel.locator(f".lc-Row[data-name='lc-kernel-{kernel['id']}']")
    kernel_row.locator(".lc-Detail", has_text="kernel of Untitled").wait_for(timeout=30000)
    kernel_row.locator("button[data-action='stop']").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-body", has_text="variables are lost").wait_for(timeout=10000)
    shot(page, "06-stop-kernel-asks")
    assert podman_cli.state(f"lc-kernel-{kernel['id']}") == "running", "nothing happens before the user confirms"
    dialog.locator("button", has_text="Stop").click()

    def restarted():
        found = json.loads(podman_cli("ps", "-a", "--filter", f"label=org.labcontainer.kernel-id={kernel['id']}",
                                      "--format", "json").stdout or "[]")
        return len(found) == 1 and found[0]["Id"] != container[0]["Id"] and found[0]["State"] == "running"

    wait_until(restarted, timeout=15, message="the kernel to run again in a fresh container")
    assert [k["id"] for k in lab.api("/api/kernels")] == [kernel["id"]]
    cell.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("print('after-stop', 6 * 7)")
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-OutputArea-output", has_text="after-stop 42").wait_for(timeout=60000)
    shot(page, "07-notebook-after-kernel-stop")


def whole(locator) -> bool:
    """Nothing of the element's content is cut off sideways."""
    return locator.evaluate("node => node.scrollWidth <= node.clientWidth")


def test_logs_palette_help_and_whole_messages(lab, page, test_image, no_python_image, unique_name, podman_cli):
    name = unique_name("logs")
    podman_cli("run", "-d", "--name", name, test_image, "sh", "-c", "for i in 1 2 3; do echo hello-$i; done; exec sleep infinity")
    broken = unique_name("broken")
    podman_cli("create", "--name", broken, test_image, "/no/such/program")
    # A container kernel whose image has no python3 (a kernelspec edited by hand): its start
    # fails with labcontainer's long one-paragraph explanation.
    spec = lab.api("/labcontainer/api/kernelspecs", "POST", {"image": test_image, "display_name": "No ipykernel here"})
    kernel_json = lab.base / "data" / "kernels" / spec["kernelspec"]["name"] / "kernel.json"
    kernelspec = json.loads(kernel_json.read_text())
    kernelspec["metadata"]["kernel_provisioner"]["config"]["image"] = no_python_image
    kernel_json.write_text(json.dumps(kernelspec))

    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.locator(".lm-TabBar-tab[data-id='labcontainer-panel']").click()
    panel = page.locator("#labcontainer-panel")
    row = panel.locator(f".lc-Row[data-name='{name}']")
    row.wait_for(timeout=30000)

    # Logs: the real container's output, then a line written while the tab follows it
    row.locator("button[data-action='logs']").click()
    logs = page.locator(f"[id='labcontainer-logs-{name}']")
    logs.locator(".lc-LogLine", has_text="hello-3").wait_for(timeout=30000)
    assert logs.locator(".lc-LogLine").all_inner_texts() == ["hello-1", "hello-2", "hello-3"]
    assert logs.locator(".lc-Follow").is_checked()
    podman_cli("exec", name, "sh", "-c", "echo written-while-following > /proc/1/fd/1")
    logs.locator(".lc-LogLine", has_text="written-while-following").wait_for(timeout=30000)
    assert logs.locator(".lc-LogLine").all_inner_texts()[-1] == "written-while-following"

    # at 1500 px every button label of the panel and the Logs tab is whole, inside its panel
    assert page.viewport_size["width"] == 1500
    buttons = page.locator("#labcontainer-panel button:visible, .lc-LogsWidget button:visible")
    assert buttons.count() >= 11  # Refresh, 5 per container row, Add to launcher...
    inside = "node => { const r = node.getBoundingClientRect(), host = node.closest('.lc-Panel, .lc-LogsWidget').getBoundingClientRect();" \
             " return r.left >= host.left && r.right <= host.right; }"
    cut = [b.inner_text() for b in buttons.all() if not whole(b) or not b.evaluate(inside)]
    assert not cut, f"button labels cut off: {cut}"
    shot(page, "11-logs-following-1500px")

    # closing the tab closes the view (and the request: tests/server proves the follower ends)
    page.locator(f".lm-TabBar-tab:has-text('Logs: {name}') .lm-TabBar-tabCloseIcon").click()
    logs.wait_for(state="detached", timeout=10000)

    # the command palette lists the panel's actions, and they work
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette").first
    palette.locator(".lm-CommandPalette-input").fill("Labcontainer")
    palette.locator(".lm-CommandPalette-itemLabel", has_text="Show Logs of a Container").wait_for(timeout=10000)
    labels = palette.locator(".lm-CommandPalette-itemLabel").all_inner_texts()
    for label in ("Show Containers Panel", "Refresh Containers", "New Container Kernel…", "Show Logs of a Container…", "Labcontainer Help"):
        assert label in labels, labels
    shot(page, "12-command-palette")
    palette.locator(".lm-CommandPalette-item", has_text="New Container Kernel").click()
    page.wait_for_function("document.activeElement && document.activeElement.matches('#labcontainer-panel .lc-Image')")
    page.keyboard.press("Control+Shift+C")
    palette.locator(".lm-CommandPalette-input").fill("Labcontainer")
    palette.locator(".lm-CommandPalette-item", has_text="Show Logs of a Container").click()
    page.locator(".jp-Dialog select").select_option(name)
    page.locator(".jp-Dialog button", has_text="Show").click()
    logs.locator(".lc-LogLine", has_text="written-while-following").wait_for(timeout=30000)

    # Help > Labcontainer Help: the README's "Using it" section
    page.locator(".lm-MenuBar-itemLabel", has_text="Help").click()
    page.locator(".lm-Menu-itemLabel", has_text="Labcontainer Help").click()
    help_tab = page.locator("#labcontainer-help")
    help_tab.get_by_role("heading", name="Using it").wait_for(timeout=10000)
    assert "%container" in help_tab.inner_text()
    shot(page, "13-help")

    # a failure of ours: the dialog shows labcontainer's message whole, wrapped, Podman's words included
    panel.locator(f".lc-Row[data-name='{broken}'] button[data-action='start']").click()
    dialog = page.locator(".jp-Dialog")
    message = dialog.locator(".lc-DialogMessage")
    message.wait_for(timeout=30000)
    assert "/no/such/program" in message.inner_text()
    assert whole(message) and whole(dialog.locator(".jp-Dialog-body"))
    text_box = message.bounding_box()
    body_box = dialog.locator(".jp-Dialog-body").bounding_box()
    assert text_box["x"] + text_box["width"] <= body_box["x"] + body_box["width"] + 1
    shot(page, "14-error-dialog-wrapped")
    dialog.locator("button", has_text="Ok").click()
    dialog.wait_for(state="detached")

    # JupyterLab's own "Error Starting Kernel" dialog, with the container kernel's message (was cut: "Install ipyker")
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="New Launcher").click()
    page.locator(".jp-LauncherCard[title='No ipykernel here']:visible").first.click()
    pre = dialog.locator(".jp-Dialog-body pre").first
    pre.wait_for(timeout=90000)
    assert "Use an image with Python 3" in pre.inner_text()
    assert whole(pre) and whole(dialog.locator(".jp-Dialog-body"))
    lines = pre.evaluate("node => Math.round(node.getBoundingClientRect().height / parseFloat(getComputedStyle(node).lineHeight))")
    assert lines >= 3, "the long paragraph wraps onto several lines"
    shot(page, "15-kernel-start-error-wrapped")
