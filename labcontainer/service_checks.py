"""What a container may ask of the host, checked against this service's Podman: the
``forbidden_mounts`` policy and ``--network`` values. A part of LabService
(``service.checks``), used by its spec building and by kernelspec installs alike, so REST,
forms, magics and kernelspecs refuse the same things in the same words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Sequence
from urllib.parse import urlparse

from .core.errors import InvalidSpec
from .core.models import VolumeSpec
from .core.specs import check_mounts, check_network, default_forbidden_mounts

if TYPE_CHECKING:
    from .engine import PodmanEngine


class SpecChecks:
    def __init__(self, engine: Callable[[], PodmanEngine], forbidden_mounts: Sequence[str] | None) -> None:
        """``engine``: the connected engine (called at each use); ``forbidden_mounts``: host
        paths no container may mount (None: core.specs.default_forbidden_mounts, which
        depends on whether the service is rootful)."""
        self._engine = engine
        self._forbidden_mounts = None if forbidden_mounts is None else tuple(forbidden_mounts)

    def mounts(self, mounts: Iterable[VolumeSpec]) -> None:
        """Refuse host paths of ``forbidden_mounts``."""
        mounts = tuple(mounts)
        if mounts:
            engine = self._engine()
            forbidden = self._forbidden_mounts
            if forbidden is None:
                forbidden = default_forbidden_mounts(urlparse(engine.url).path or None, rootful=not engine.info().rootless)
            check_mounts(mounts, forbidden, resolve=engine.url.startswith("unix://"))

    def network(self, network: str | None) -> None:
        """Refuse a ``--network`` that shares another namespace, or names no network here."""
        if network and check_network(network) and not self._engine().network_exists(network):
            raise InvalidSpec(f"There is no Podman network named '{network}'.",
                              hint="Create it (`podman network create NAME`), or use bridge, none, slirp4netns, pasta or private.")
