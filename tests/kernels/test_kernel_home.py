"""HOME inside a container kernel is the user's own persistent folder, not the notebook folder."""

from __future__ import annotations

from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from labcontainer.kernels.kernelspecs import install_kernelspec

from .test_kernel_e2e import run_cell


async def test_home_is_a_per_user_folder_beside_no_notebook(data_dir, test_image):  # noqa: F811
    install_kernelspec(test_image, name="lc-home")
    work = data_dir / "notebooks"
    work.mkdir()
    km = AsyncKernelManager(kernel_name="lc-home")
    await km.start_kernel(cwd=str(work))
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        out, _ = await run_cell(client, (
            "import os, pathlib\n"
            "print(os.environ['HOME']); print(os.getcwd())\n"
            "pathlib.Path(os.environ['HOME'], '.cache-test').write_text('kept')\n"
        ))
        home, cwd = out.split()
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)
    assert cwd == str(work)
    assert home == str(data_dir / "data" / "labcontainer" / "home")
    assert Path(home, ".cache-test").read_text() == "kept"  # persistent, on the host, the user's
    assert not any(work.iterdir()), "nothing (.ipython, caches) may appear in the notebook folder"
