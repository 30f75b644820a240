from __future__ import annotations


import pytest

from labcontainer.kernels.kernelspecs import install_kernelspec

from .jupyter import JupyterServer, remove_leftovers, server_environment

#: The container kernelspec every test server below has.
KERNELSPEC = "lc-lab"


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"labcontainer": True}}}


@pytest.fixture
def lab(tmp_path, test_image, monkeypatch, podman_cli):
    """A Jupyter server (not started) on fresh Jupyter directories, with the container
    kernelspec KERNELSPEC; stopped after the test, and whatever a failed test left of its
    kernels removed."""
    env = server_environment(tmp_path)
    monkeypatch.setenv("JUPYTER_DATA_DIR", env["JUPYTER_DATA_DIR"])
    install_kernelspec(test_image, name=KERNELSPEC)
    server = JupyterServer(tmp_path, env)
    yield server
    try:
        server.stop()
    finally:
        remove_leftovers(server, podman_cli)
