"""The example notebooks run top to bottom against the real Podman service."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_every_notebook_is_listed():
    assert [n.name for n in NOTEBOOKS] == ["01-containers.ipynb", "02-container-kernel.ipynb", "03-panel.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, test_image, podman_cli):
    before = podman_cli.names()
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for cell in book.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert podman_cli.names() - before == set(), "a notebook must clean up what it creates"
