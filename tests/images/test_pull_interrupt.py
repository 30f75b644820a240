"""A lab member starts pulling a big image in a notebook, changes their mind and presses
the kernel's Interrupt: the pull stops, Podman keeps nothing, and one line says so.

The notebook is a real ipykernel (jupyter_client's KernelManager), the interrupt its real
SIGINT. The registry is the lab's, behind a relay on the scratch port that sends 2 MB/s:
the 32 MB layer then takes about 16 s, so the interrupt lands mid-download (over loopback
the whole pull is over in a second). The relay also counts the connections Podman holds
to the registry: when they all close, Podman has given the pull up, not just us.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest
from jupyter_client.manager import KernelManager

from .conftest import Registries, SlowRelay

RATE = 2e6  # bytes a second: the layer takes ~16 s, the kernel interrupt ~0.1 s


@pytest.fixture
def counting_relay(registries: Registries) -> Iterator[SlowRelay]:
    relay = SlowRelay(registries.scratch, registries.open, rate=RATE)
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> Iterator:
    """A real ipykernel (this Python, this labcontainer, this Podman) with a client."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    km = KernelManager(kernel_name="python3")  # ipykernel's own spec: this Python (PYTHONPATH, CONTAINER_HOST pass on)
    km.start_kernel()
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield km, client
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def run_until_interrupted(km, client, code: str, started) -> list[dict]:
    """Execute ``code``; interrupt the kernel as soon as ``started(messages so far)``.
    Returns the iopub messages of that execution."""
    msg_id = client.execute(code)
    seen: list[dict] = []
    interrupted = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            msg = None
        if msg is not None and msg["parent_header"].get("msg_id") == msg_id:
            seen.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return seen
        if not interrupted and started(seen):
            km.interrupt_kernel()
            interrupted = True
    pytest.fail(f"the cell did not finish: {[m['msg_type'] for m in seen]}")


def progress_labels(messages: list[dict]) -> list[str]:
    """What the progress bar's label said (widget comm messages), in order."""
    states = [m["content"].get("data", {}).get("state", {}) for m in messages if m["msg_type"] == "comm_msg"]
    return [str(state["value"]) for state in states if isinstance(state.get("value"), str)]


@pytest.mark.parametrize("options", ["", "--tls-verify=false "], ids=["docker-compatible endpoint", "libpod endpoint"])
def test_interrupting_a_pull_in_a_notebook_stops_it_and_keeps_nothing(kernel, counting_relay, pulled, podman_cli, options):
    km, client = kernel
    image = pulled(f"{counting_relay.listen}/lab/pulltest:latest")
    reply = client.execute_interactive("%load_ext labcontainer", timeout=60)
    assert reply["content"]["status"] == "ok"

    # Interrupt once the pull shows progress and the layer's bytes are arriving (the libpod
    # endpoint reports "Copying blob" lines only, the compatible one byte counts).
    def downloading(messages: list[dict]) -> bool:
        shown = [label for label in progress_labels(messages) if "Copying blob" in label or "Downloading" in label]
        return bool(shown) and counting_relay.bytes_sent > RATE  # a second of it

    messages = run_until_interrupted(km, client, f"%container pull {options}{image}", downloading)

    assert downloading(messages), f"the pull showed no progress before the interrupt: {progress_labels(messages)}"
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert len(errors) == 1, [m["msg_type"] for m in messages]
    assert errors[0]["traceback"] == [f"pull of {image} interrupted; nothing was kept"]
    assert errors[0]["ename"] == "PullInterrupted"
    # Podman gave up the pull: its connections to the registry close, and no image appears
    # (a pull that went on would need ~16 s more and then create it).
    deadline = time.monotonic() + 15
    while counting_relay.open_connections and time.monotonic() < deadline:
        time.sleep(0.2)
    assert counting_relay.open_connections == 0, "Podman still downloads from the registry"
    sent = counting_relay.bytes_sent
    assert sent < 30e6, f"{sent} bytes sent: the whole layer went through"
    time.sleep(2)  # long enough for a pull that went on to have reconnected and sent more
    assert counting_relay.bytes_sent == sent and counting_relay.open_connections == 0
    assert podman_cli("image", "exists", image, check=False).returncode != 0
    # The kernel is fine.
    reply = client.execute_interactive("print('still here')", timeout=30)
    assert reply["content"]["status"] == "ok"
