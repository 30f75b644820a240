"""A lab member picks a container kernel: it runs in the container, sees the GPU, can be
interrupted and restarted, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from labcontainer.core.models import LABEL_KERNEL_ID, LABEL_PURPOSE
from labcontainer.kernels.records import load_records


async def run_cell(client, code: str, timeout: float = 30) -> tuple[str, dict]:
    """Execute code; return (stdout text, execute_reply content)."""
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = await client.execute_interactive(code, output_hook=hook, timeout=timeout)
    return "".join(out), reply["content"]


def container_of_kernel(podman_cli, kernel_id: str) -> dict | None:
    result = podman_cli("ps", "-a", "--filter", f"label={LABEL_KERNEL_ID}={kernel_id}", "--format", "json")
    found = json.loads(result.stdout or "[]")
    return found[0] if found else None


async def test_container_kernel_story(jp_fetch, jp_serverapp, test_image, podman_cli, unlabelled_container):
    # 1. a kernelspec for the test image with one (fake CDI) GPU, through the extension's API
    response = await jp_fetch("labcontainer", "api", "kernelspecs", method="POST",
                              body=json.dumps({"image": test_image, "gpus": "0", "name": "lc-e2e-gpu0"}))
    assert response.code == 201
    # 2. start a kernel on it through Jupyter Server's own kernels API (what the launcher does)
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "lc-e2e-gpu0"}))
    kernel_id = json.loads(response.body)["id"]
    container = container_of_kernel(podman_cli, kernel_id)
    assert container and container["State"] == "running"
    assert container["Labels"][LABEL_PURPOSE] == "kernel"
    assert not any("key" in k.lower() for k in container["Labels"]), "the connection key must never be in a label"

    km = jp_serverapp.kernel_manager.get_kernel(kernel_id)
    client = km.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    try:
        out, _ = await run_cell(client, (
            "import os, socket\n"
            "print(socket.gethostname())\n"
            "print(os.path.exists('/dev/nvidia0'))\n"
            "print('NVIDIA_VISIBLE_DEVICES=0' in open('/proc/1/environ').read().split('\\0'))\n"
            "print(os.getcwd())\n"
        ))
        hostname, has_gpu_node, has_gpu_env, cwd = out.split()
        assert container["Id"].startswith(hostname)  # the kernel runs in that container
        assert has_gpu_node == "True" and has_gpu_env == "True"
        assert cwd == jp_serverapp.root_dir  # the work folder is mounted at the same path
        # a file the kernel writes there belongs to the user on the host (rootless: keep-id)
        await run_cell(client, "open('written-in-container.txt', 'w').write('hi')")
        written = Path(jp_serverapp.root_dir) / "written-in-container.txt"
        assert written.read_text() == "hi" and written.stat().st_uid == os.getuid()

        # 3. no TCP port: the five kernel channels are ipc socket files in a 0700 directory,
        # and nothing in the container listens on an address reachable from outside it.
        # (ipykernel 6 keeps one internal pipe on the container's own 127.0.0.1 for
        # subprocess output; it carries no kernel traffic and no one outside can reach it.)
        assert km.transport == "ipc"
        (record,) = [r for r in load_records() if r.kernel_id == kernel_id]
        # (jupyter_client adds the sticky bit to directories it writes sockets in)
        assert stat.S_IMODE(os.stat(record.connection_dir).st_mode) & 0o777 == 0o700
        for channel in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            socket_file = Path(record.connection_dir) / f"k-{getattr(km, channel)}"
            assert stat.S_ISSOCK(socket_file.stat().st_mode), socket_file
        listening = podman_cli("exec", container["Id"], "sh", "-c", "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null").stdout
        listeners = [line.split()[1] for line in listening.splitlines() if line.split()[3:4] == ["0A"]]
        loopback = ("0100007F:", "00000000000000000000000001000000:")
        assert all(address.startswith(loopback) for address in listeners), listening
        record_file = Path(os.environ.get("JUPYTER_RUNTIME_DIR", "")) / "labcontainer-kernels" / f"{kernel_id}.json"
        assert stat.S_IMODE(record_file.stat().st_mode) == 0o600  # it holds the key

        # 4. interrupt a long computation
        msg_id = client.execute("import time; time.sleep(60)")
        await jp_fetch("api", "kernels", kernel_id, "interrupt", method="POST", body=b"")
        reply = await client.get_shell_msg(timeout=15)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"

        # 5. restart: a fresh container, the old state gone
        await run_cell(client, "answer = 42")
        await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body=b"")
        await client.wait_for_ready(timeout=60)
        restarted = container_of_kernel(podman_cli, kernel_id)
        assert restarted["Id"] != container["Id"] and restarted["State"] == "running"
        out, _ = await run_cell(client, "print('answer' in dir())")
        assert out.strip() == "False"
    finally:
        client.stop_channels()

    # 6. shut down: the container is gone, the user's own container untouched
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert container_of_kernel(podman_cli, kernel_id) is None
    assert podman_cli.state(unlabelled_container) == "running"
    assert not [r for r in load_records() if r.kernel_id == kernel_id]
