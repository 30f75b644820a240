"""Which server a kernel starts on (kernels/placement.py), over stand-in services: the
first named server with N free GPUs, else one paragraph naming each server's free GPUs."""

from __future__ import annotations

import pytest

from labcontainer.core.errors import KernelStartError, NotFoundError, ServiceUnavailable
from labcontainer.kernels.config import KernelContainerConfig
from labcontainer.kernels.placement import place


class Server:
    def __init__(self, free: list[int] | None) -> None:
        self.free = free
        self.asked = 0

    def free_gpus(self) -> list[int]:
        self.asked += 1
        if self.free is None:
            raise ServiceUnavailable("The server down (127.0.0.1:9) cannot be reached over SSH: Connection refused.")
        return self.free


def config(connection, gpus=None) -> KernelContainerConfig:
    return KernelContainerConfig.from_mapping({"image": "localhost/k:1", "connection": connection, **({"gpus": gpus} if gpus else {})})


def test_count_n_takes_the_first_named_server_with_n_free_and_asks_no_further() -> None:
    servers = {"gpu2": Server([1]), "gpu3": Server([0, 1]), "gpu4": Server([0, 1, 2])}
    name, why = place(config(["gpu2", "gpu3", "gpu4"], "count=2"), servers.__getitem__)
    assert name == "gpu3" and "had 2 free GPU(s) (0,1), 2 asked for" in why
    assert servers["gpu4"].asked == 0


def test_an_unreachable_server_is_passed_over_and_named() -> None:
    servers = {"down": Server(None), "gpu2": Server([1])}
    assert place(config(["down", "gpu2"], "count=1"), servers.__getitem__)[0] == "gpu2"


def test_no_server_with_n_free_is_one_paragraph_naming_each() -> None:
    servers = {"down": Server(None), "gpu2": Server([1]), "gpu3": Server([])}
    with pytest.raises(KernelStartError) as caught:
        place(config(["down", "gpu2", "gpu3"], "count=2"), servers.__getitem__)
    message = str(caught.value)
    assert "No server of this kernel has 2 free GPU(s) now" in message
    assert "down: unreachable (The server down" in message and "gpu2: 1 free" in message and "gpu3: none free" in message


def test_without_count_n_the_first_server_is_taken_unasked() -> None:
    servers = {"gpu2": Server([]), "gpu3": Server([0])}
    assert place(config(["gpu2", "gpu3"], "0"), servers.__getitem__)[0] == "gpu2"
    assert place(config("gpu3"), servers.__getitem__)[0] == "gpu3"
    assert place(KernelContainerConfig(image="localhost/k:1"), servers.__getitem__)[0] == "local"
    assert servers["gpu2"].asked == servers["gpu3"].asked == 0


def test_an_unknown_connection_is_refused_by_its_lookup() -> None:
    def lookup(name: str):
        raise NotFoundError(f"There is no connection named '{name}'.")

    with pytest.raises(NotFoundError):
        place(config(["gone", "gpu2"], "count=1"), lookup)


def test_a_pool_or_tcp_on_another_server_is_refused_in_words() -> None:
    with pytest.raises(Exception, match="this machine only"):
        config("gpu2").__class__.from_mapping({"image": "localhost/k:1", "connection": "gpu2", "pool": 1}).check_pool_possible()
    with pytest.raises(Exception, match="ipc transport"):
        KernelContainerConfig.from_mapping({"image": "localhost/k:1", "connection": "gpu2", "transport": "tcp"})
