"""LabService's container, kernel and GPU verbs over a fake engine (no Podman, milliseconds).

The fast tier: what the service decides by itself (validation, labels and scope, which
verb reaches the engine, the GPU view) checked before the real-Podman tests run.
"""

from __future__ import annotations

import pytest

from labcontainer.core.errors import ContainerNotFound, ContainerStateError, InvalidSpec, ServiceUnavailable
from labcontainer.core.models import (
    LABEL_KERNEL_ID,
    LABEL_MANAGED,
    LABEL_OWNER,
    LABEL_POOL,
    LABEL_PURPOSE,
    PURPOSE_KERNEL,
    ContainerSpec,
)
from labcontainer.gpus import RecordedReader
from labcontainer.service import LabService

from .conftest import IMAGE, two_gpus
from .fake_engine import FakeEngine


# -- build_spec: the user's words, checked the same way for every front-end ----------------


def test_build_spec_turns_the_users_words_into_a_spec(service, tmp_path):
    spec = service.build_spec(IMAGE, ["python", "-V"], name="web", volumes=[f"{tmp_path}:/data:ro"],
                              env=["A=1"], ports=["8080:80"], gpus="0,1", shm_size="1g", workdir="/data")
    assert spec.image == IMAGE and spec.command == ("python", "-V") and spec.name == "web"
    assert str(spec.volumes[0]) == f"{tmp_path}:/data:ro"
    assert dict(spec.env) == {"A": "1"} and spec.workdir == "/data"
    assert spec.gpus == ("nvidia.com/gpu=0", "nvidia.com/gpu=1")


@pytest.mark.parametrize(
    "image, options, words",
    [
        ("", {}, "No image given"),
        ("-it", {}, "No image given"),
        (IMAGE, {"name": "bad name!"}, "name"),
        (IMAGE, {"workdir": "data"}, "absolute path"),
        (IMAGE, {"volumes": ["nonsense"]}, "volume"),
        (IMAGE, {"env": ["NOT VALID"]}, "NOT VALID"),
        (IMAGE, {"gpus": "two"}, "two"),
    ],
)
def test_build_spec_refuses_bad_words_before_podman_hears_of_them(service, engine, image, options, words):
    with pytest.raises(InvalidSpec) as caught:
        service.build_spec(image, **options)
    assert words in str(caught.value)
    assert not {"run", "start"} & set(engine.verbs())


def test_a_missing_host_folder_is_refused_on_a_local_service(service, tmp_path):
    with pytest.raises(InvalidSpec) as caught:
        service.build_spec(IMAGE, volumes=[f"{tmp_path}/missing:/data"])
    assert "missing" in str(caught.value)


def test_gpus_count_takes_gpus_nobody_uses_or_reserved(engine):
    service = LabService(engine, nvml=two_gpus(busy=(0,)))  # a process on GPU 0
    assert service.build_spec(IMAGE, gpus="count=1").gpus == ("nvidia.com/gpu=1",)
    service.run(ContainerSpec(image=IMAGE, name="holds-1", gpus=("nvidia.com/gpu=1",)))
    with pytest.raises(InvalidSpec):  # GPU 1 is now reserved by a running container
        service.build_spec(IMAGE, gpus="count=1")


# -- containers: listing and scope ----------------------------------------------------------


def test_run_labels_the_container_as_ours(service, engine):
    info = service.run(service.build_spec(IMAGE, ["sleep", "infinity"], name="ours"))
    assert info.name == "ours" and info.running
    assert info.labels[LABEL_MANAGED] == "true" and info.labels[LABEL_OWNER] == "ada"
    assert engine.state("ours") == "running"


def test_scope_labcontainer_shows_only_this_owners_containers(service, engine):
    service.run(ContainerSpec(image=IMAGE, name="ours"))
    engine.add("made-in-a-terminal")
    engine.add("someone-elses", labels={LABEL_MANAGED: "true", LABEL_OWNER: "bob", LABEL_PURPOSE: "container"})
    assert {c.name for c in service.containers(scope="labcontainer")} == {"ours"}
    assert {c.name for c in service.containers(scope="mine")} == {"ours", "made-in-a-terminal", "someone-elses"}


def test_stopped_containers_are_listed_only_with_all(service, engine):
    engine.add("stopped", state="exited")
    engine.add("running")
    assert [c.name for c in service.containers(all=False)] == ["running"]
    assert {c.name for c in service.containers(all=True)} == {"stopped", "running"}


def test_kernels_waiting_in_a_pool_are_nobodys_and_not_listed(service, engine):
    engine.add("lc-pool-3f2a", labels={LABEL_MANAGED: "true", LABEL_OWNER: "ada", LABEL_PURPOSE: PURPOSE_KERNEL, LABEL_POOL: "py"})
    engine.add("lc-pool-lookalike")  # the name alone does not make a pool member
    names = {c.name for c in service.containers(all=True, scope="mine")}
    assert "lc-pool-3f2a" not in names and "lc-pool-lookalike" in names
    assert not service.containers(scope="labcontainer")


# -- lifecycle ------------------------------------------------------------------------------


def test_act_stops_starts_and_restarts_and_answers_the_state_now(service, engine):
    service.run(ContainerSpec(image=IMAGE, name="web"))
    assert service.act("web", "stop").state == "exited"
    assert service.act("web", "start").state == "running"
    assert service.act("web", "restart").state == "running"
    assert engine.verbs()[-6:] == ["stop", "get", "start", "get", "restart", "get"]


def test_an_unknown_action_reaches_no_engine(service, engine):
    service.run(ContainerSpec(image=IMAGE, name="web"))
    before = list(engine.calls)
    with pytest.raises(InvalidSpec) as caught:
        service.act("web", "explode")  # type: ignore[arg-type]
    assert "start, stop, restart" in str(caught.value)
    assert engine.calls == before


def test_remove_refuses_a_running_container_unless_forced(service, engine):
    service.run(ContainerSpec(image=IMAGE, name="web"))
    with pytest.raises(ContainerStateError):
        service.remove("web")
    service.remove("web", force=True)
    assert engine.state("web") is None
    with pytest.raises(ContainerNotFound):
        service.get("web")


def test_a_missing_image_leaves_no_container(service, engine):
    from labcontainer.core.errors import ImageNotFound

    with pytest.raises(ImageNotFound):
        service.run(ContainerSpec(image="localhost/no-such:1", name="never"))
    assert engine.state("never") is None


# -- kernel containers ----------------------------------------------------------------------


def kernel_spec(kernel_id: str, name: str) -> ContainerSpec:
    return ContainerSpec(image=IMAGE, name=name, purpose=PURPOSE_KERNEL, labels={LABEL_KERNEL_ID: kernel_id})


def test_a_kernel_container_is_recognised_by_its_labels_not_its_name(service, engine):
    service.run(kernel_spec("k-1", "lc-kernel-k-1"))
    engine.add("lc-kernel-k-2", labels={LABEL_KERNEL_ID: "k-2"})  # looks like one, is not ours
    assert service.kernel_container("lc-kernel-k-1", "k-1").name == "lc-kernel-k-1"
    assert service.kernel_container("lc-kernel-k-1", "k-other") is None
    assert service.kernel_container("lc-kernel-k-2", "k-2") is None
    assert service.kernel_container("lc-kernel-gone", "k-3") is None


def test_removing_a_kernels_container_leaves_a_lookalike_alone(service, engine):
    service.run(kernel_spec("k-1", "lc-kernel-k-1"))
    engine.add("lc-kernel-k-2", labels={LABEL_KERNEL_ID: "k-2"})
    assert service.remove_kernel_container("lc-kernel-k-1", "k-1") is True
    assert service.remove_kernel_container("lc-kernel-k-2", "k-2") is True  # "gone" as far as kernels go...
    assert engine.state("lc-kernel-k-1") is None and engine.state("lc-kernel-k-2") == "running"  # ...but untouched


# -- GPUs -----------------------------------------------------------------------------------


def test_the_gpu_view_says_who_reserved_which_gpu_and_which_are_free(service, engine):
    service.run(ContainerSpec(image=IMAGE, name="trainer", gpus=("nvidia.com/gpu=0",)))
    view = service.gpu_view()
    assert view.available and view.driver_version == "550.54.15"
    gpu0, gpu1 = view.gpus
    assert gpu0.reserved_by == ("trainer",) and not gpu0.free
    assert gpu1.free and service.free_gpus() == [1]
    service.act("trainer", "stop")  # a stopped container holds no GPU
    assert service.free_gpus() == [0, 1]


def test_the_gpu_view_uses_the_running_containers_given(service, engine):
    service.run(ContainerSpec(image=IMAGE, name="trainer", gpus=("nvidia.com/gpu=1",)))
    running = service.containers(all=False)
    calls = len(engine.calls)
    assert service.gpu_view(running).free_indices() == [0]
    assert len(engine.calls) == calls, "no second list call when the caller has the containers"


def test_no_driver_is_a_view_with_a_reason_not_an_exception(engine):
    view = LabService(engine, nvml=RecordedReader({"unavailable": "No NVIDIA driver found"})).gpu_view()
    assert not view.available and view.gpus == () and view.reason == "No NVIDIA driver found"
    assert view.to_json()["available"] is False


def test_gpus_are_shown_while_podman_is_down(engine):
    class Down(FakeEngine):
        def ps(self, **_options):
            raise ServiceUnavailable("No Podman service answers.")

    view = LabService(Down(), nvml=two_gpus()).gpu_view()
    assert [g.index for g in view.gpus] == [0, 1] and view.available
