"""The image and registry parts of LabService: ``service.images`` and ``service.registries``.

Each is built by LabService on what it needs: a way to reach the engine's part of the same
name (connected on first use, so loading a front-end never fails because Podman is down)
and, for images, the service's table of pulls in flight (``service.pulls``, for the side
panel). Front-ends reach them through the service: ``service.images.pull(...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from .core.models import DiskUse, ImageInfo, PullProgress, RegistryCredentials, RemovedImage
from .core.pulls import PullInFlight, PullsInFlight
from .core.registries import ImagePrune, RegistryEntry, RegistryLogin, SearchResult
from .core.specs import check_image_reference

if TYPE_CHECKING:
    from .engine import PodmanImages, PodmanRegistries


class Images:
    """Local images: list, pull, remove, prune; disk use."""

    def __init__(self, engine_images: Callable[[], PodmanImages], pulls: PullsInFlight) -> None:
        """``engine_images``: the connected engine's images (called at each use: a reconnect
        changes the engine); ``pulls``: where a pull is listed while it runs."""
        self._engine = engine_images
        self._pulls = pulls

    def list(self) -> list[ImageInfo]:
        """``podman images``: local images, by name."""
        return self._engine().list()

    def exists(self, image: str) -> bool:
        return self._engine().exists(image)

    def get(self, image: str) -> ImageInfo:
        return self._engine().get(image)  # its id keys per-image caches; ImageNotFound if absent

    def pull(
        self,
        image: str,
        on_progress: Callable[[PullProgress], None] | None = None,
        *,
        credentials: RegistryCredentials | None = None,
        tls_verify: bool | None = None,
        kernel_id: str | None = None,
    ) -> ImageInfo:
        """Pull IMAGE, reporting progress steps and a summary last. ``tls_verify`` None
        leaves TLS to registries.conf, as the podman CLI does. While it runs the pull is
        listed in ``pulls`` (with ``kernel_id``, the kernel waiting for it, if any)."""
        check_image_reference(image)
        with self._pulls.track(image, kernel_id) as track:
            def report(step: PullProgress) -> None:
                track(step)
                if on_progress is not None:
                    on_progress(step)

            return self._engine().pull(image, report, credentials=credentials, tls_verify=tls_verify)

    def pull_in_background(self, image: str, *, log: Any = None) -> PullInFlight:
        """Start pulling IMAGE in a worker thread (the panel's pull form): its row in ``pulls``,
        which keeps a failure listed for a while. Raises TooBusy when enough already run."""
        return self._pulls.start(image, lambda: self.pull(image), log=log)

    def remove(self, image: str, *, force: bool = False) -> RemovedImage:
        """``podman rmi``; an image a container uses is refused (ImageInUse), even with ``force``."""
        check_image_reference(image)
        return self._engine().remove(image, force=force)

    def prune(
        self,
        *,
        all: bool = False,
        filters: dict[str, list[str]] | None = None,
        dry_run: bool = False,
        keep: Mapping[str, str] | None = None,
    ) -> ImagePrune:
        """``podman image prune [-a]``; never an image a container uses. ``dry_run``: removes
        nothing. ``keep``: image references that must stay, each with why (listed in ``kept``)."""
        return self._engine().prune(all=all, filters=filters, dry_run=dry_run, keep=keep)

    def disk_use(self) -> list[DiskUse]:
        """``podman system df``: images, containers, volumes; sizes and what is reclaimable."""
        return self._engine().disk_use()


class Registries:
    """Registries and the user's logins to them."""

    def __init__(self, engine_registries: Callable[[], PodmanRegistries]) -> None:
        """``engine_registries``: the connected engine's registries (called at each use)."""
        self._engine = engine_registries

    def login(self, registry: str, credentials: RegistryCredentials) -> RegistryLogin:
        """``podman login``: checked with the registry, stored in the user's auth file (as the CLI does)."""
        return self._engine().login(registry, credentials)

    def logout(self, registry: str | None) -> tuple[str, list[str]]:
        """``podman logout REGISTRY`` (None: all); returns the auth file and what went."""
        return self._engine().logout(registry)

    def search(self, term: str, *, limit: int | None = None, tls_verify: bool | None = None) -> list[SearchResult]:
        """``podman search TERM`` (v1 search API, else the registry's catalog)."""
        return self._engine().search(term, limit=limit, tls_verify=tls_verify)

    def list(self) -> list[RegistryEntry]:
        """The search registries, mirrors and insecure entries Podman uses, with your logins."""
        return self._engine().list()
