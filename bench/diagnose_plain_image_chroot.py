"""Not a benchmark of ours (bench/run.py does not run it): where the plain image's cold start
goes. Debian's ipykernel from the plain image's own root file system, started with **no
container at all** (``chroot`` into a mounted, never started container of that image), against
a local ipykernel; each from start to its first kernel_info reply, interleaved, 7 rounds after
one warm-up. Run as root with local (not remote) Podman:

    python bench/diagnose_plain_image_chroot.py

Measured 2026-11-25 (quiet machine): chroot 0.920 s, local 0.570 s (medians), ratio 1.61. The container adds little on
top (the bench's ``kernel_cold_start_plain_image_vs_local_ipykernel``); the image's own kernel
software (IPython 8.5, ipykernel 6.17) is what takes the time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

IMAGE = os.environ.get("LABCONTAINER_PLAIN_IMAGE", "localhost/labcontainer-debian-ipykernel:latest")
HOLDER = "lc-chroot-diagnosis"


async def first_reply(km: AsyncKernelManager) -> float:
    started = time.perf_counter()
    await km.start_kernel()
    client = km.client()
    client.start_channels()
    try:
        msg_id = client.kernel_info()
        while (await client.get_shell_msg(timeout=60))["parent_header"].get("msg_id") != msg_id:
            pass
        return time.perf_counter() - started
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)


async def main(root: str) -> None:
    chroot_samples, local_samples = [], []
    for i in range(8):
        in_chroot = AsyncKernelManager(kernel_name="python3")
        in_chroot.connection_file = os.path.join(root, "tmp", f"k{i}.json")  # where the chrooted kernel can read it
        in_chroot._kernel_spec = KernelSpec(argv=["chroot", root, "python3", "-m", "ipykernel_launcher", "-f", f"/tmp/k{i}.json"],
                                            env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"}, language="python", display_name="chroot")
        chrooted = await first_reply(in_chroot)
        local = await first_reply(AsyncKernelManager(kernel_name="python3"))
        if i:  # the first round warms the page cache
            chroot_samples.append(chrooted)
            local_samples.append(local)
    print("chroot", [round(s, 3) for s in chroot_samples])
    print("local ", [round(s, 3) for s in local_samples])
    print("ratio ", round(statistics.median(chroot_samples) / statistics.median(local_samples), 2))


if __name__ == "__main__":
    subprocess.run(["podman", "create", "--name", HOLDER, IMAGE, "true"], capture_output=True, check=True)
    try:
        mounted = subprocess.run(["podman", "mount", HOLDER], capture_output=True, text=True, check=True).stdout.strip()
        asyncio.run(main(mounted))
    finally:
        subprocess.run(["podman", "rm", "-f", HOLDER], capture_output=True)
