"""Ctrl-C stops the server, and its container kernels go with it, with or without a terminal.

Jupyter Server asks before stopping on Ctrl-C only when its stdin is a terminal (a second
Ctrl-C stops it at once). Started by a script, by nohup or by an IDE (stdin not a terminal),
Python's own handler raised KeyboardInterrupt out of the event loop and the server exited
without its cleanup: container kernels ran on, with nobody to adopt them. A real server in a
subprocess; the podman CLI is the witness.
"""

from __future__ import annotations

import os
import pty
import signal

from labcontainer.kernels import records

from ..conftest import wait_until
from .conftest import KERNELSPEC
from .jupyter import state_dir


def started_kernel(server, podman_cli) -> str:
    kernel_id = server.open_notebook("a.ipynb", KERNELSPEC)["kernel"]["id"]
    assert podman_cli.state(f"lc-kernel-{kernel_id}") == "running"
    return f"lc-kernel-{kernel_id}"


def test_a_sigint_without_a_terminal_shuts_container_kernels_down(lab, podman_cli):
    lab.start()
    container = started_kernel(lab, podman_cli)
    lab.process.send_signal(signal.SIGINT)
    lab.process.wait(60)
    assert not podman_cli.exists(container), f"the kernel's container outlived the server:\n{lab.log[-2000:]}"
    assert records.load_records(state_dir(lab)) == []


def test_a_double_ctrl_c_in_a_terminal_shuts_container_kernels_down(lab, podman_cli):
    controller, terminal = pty.openpty()
    lab.stdin = terminal
    try:
        lab.start()
        container = started_kernel(lab, podman_cli)
        lab.process.send_signal(signal.SIGINT)  # Jupyter asks "Shut down this Jupyter server (y/[n])?"
        wait_until(lambda: "Shut down this Jupyter server" in lab.log, timeout=30, message="the server to ask")
        lab.process.send_signal(signal.SIGINT)  # the second Ctrl-C: stop now
        lab.process.wait(60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert not podman_cli.exists(container), f"the kernel's container outlived the server:\n{lab.log[-2000:]}"
    assert records.load_records(state_dir(lab)) == []
