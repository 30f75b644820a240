"""Which kernel is this container, and which notebook does it serve: one answer each
(core.models.kernel_of, kernel_container_name; kernels.records.notebook_of)."""

from __future__ import annotations

from labcontainer.core.models import (
    LABEL_KERNEL_ID,
    LABEL_MANAGED,
    LABEL_NOTEBOOK,
    LABEL_POOL,
    LABEL_PURPOSE,
    PURPOSE_CONTAINER,
    PURPOSE_KERNEL,
    ContainerInfo,
    kernel_container_name,
    kernel_of,
)
from labcontainer.kernels import records

KERNEL = "2f9c1a4e-7d2b-4c1e-9a55-0123456789ab"
MADE_FOR_A_KERNEL = {LABEL_MANAGED: "true", LABEL_PURPOSE: PURPOSE_KERNEL, LABEL_KERNEL_ID: KERNEL}


def container(name: str, labels: dict[str, str]) -> ContainerInfo:
    return ContainerInfo(id="f" * 64, name=name, image="localhost/x:1", state="running", status="Up", labels=labels)


def test_a_kernels_container_is_named_after_the_kernel():
    assert kernel_container_name(KERNEL) == f"lc-kernel-{KERNEL}"
    assert kernel_container_name("a") != kernel_container_name("b")


def test_kernel_of_reads_the_labels_labcontainer_set():
    assert kernel_of(container(kernel_container_name(KERNEL), MADE_FOR_A_KERNEL)) == KERNEL
    # The labels alone answer: a Podman event's attributes carry them, so the events hub asks the same way.
    assert kernel_of({**MADE_FOR_A_KERNEL, "name": kernel_container_name(KERNEL), "image": "x"}) == KERNEL
    # A kernel started in advance (pool) is the kernel it was made for, before and after its rename.
    assert kernel_of(container(f"lc-pool-{KERNEL}", {**MADE_FOR_A_KERNEL, LABEL_POOL: "python"})) == KERNEL


def test_kernel_of_is_none_for_everything_else():
    name = kernel_container_name(KERNEL)
    assert kernel_of(container(name, {LABEL_KERNEL_ID: KERNEL})) is None, "a look-alike made by hand is nobody's kernel"
    assert kernel_of(container(name, {**MADE_FOR_A_KERNEL, LABEL_MANAGED: "false"})) is None
    assert kernel_of(container("train", {**MADE_FOR_A_KERNEL, LABEL_PURPOSE: PURPOSE_CONTAINER})) is None
    assert kernel_of(container(name, {LABEL_MANAGED: "true", LABEL_PURPOSE: PURPOSE_KERNEL})) is None, "no id, no kernel"
    assert kernel_of(container(name, {**MADE_FOR_A_KERNEL, LABEL_KERNEL_ID: ""})) is None
    assert kernel_of({}) is None


def test_notebook_of_asks_jupyter_then_the_label_then_the_record(tmp_path):
    labelled = container(kernel_container_name(KERNEL), {**MADE_FOR_A_KERNEL, LABEL_NOTEBOOK: "work/train.ipynb"})
    assert records.notebook_of(labelled, state_dir=tmp_path) == "work/train.ipynb"
    # Jupyter's session knows best: the notebook may have been renamed since the container was made.
    assert records.notebook_of(labelled, {KERNEL: "work/renamed.ipynb"}, state_dir=tmp_path) == "work/renamed.ipynb"
    # A pooled kernel has no notebook label (labels are fixed at create): its record tells.
    pooled = container(kernel_container_name(KERNEL), MADE_FOR_A_KERNEL)
    assert records.notebook_of(pooled, state_dir=tmp_path) is None
    records.save_record(
        records.KernelRecord(kernel_id=KERNEL, container_name=pooled.name, container_id="", connection_dir="", launch_args={"env": {"JPY_SESSION_NAME": "a.ipynb"}}),
        tmp_path,
    )
    assert records.notebook_of(pooled, state_dir=tmp_path) == "a.ipynb"
    # A plain container serves no notebook, whatever its labels say.
    assert records.notebook_of(container("train", {LABEL_NOTEBOOK: "x.ipynb"}), state_dir=tmp_path) is None
