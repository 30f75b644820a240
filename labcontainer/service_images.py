"""The image half of LabService: pull, list, remove, prune, registries and logins, disk use.

A mixin only so that service.py stays readable in one sitting; front-ends still use
LabService, the one door. Everything here goes to the engine (``self._podman``); pulls are
listed in ``self.pulls`` while they run, for the side panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .core.models import DiskUse, ImageInfo, PullProgress, RegistryCredentials, RemovedImage
from .core.pulls import PullsInFlight
from .core.registries import ImagePrune, RegistryEntry, RegistryLogin, SearchResult
from .core.specs import check_image_reference

if TYPE_CHECKING:
    from .engine import PodmanEngine


class ImageDoor:
    pulls: PullsInFlight
    _podman: PodmanEngine  # LabService's lazily connected engine

    def images(self) -> list[ImageInfo]:
        return self._podman.images()

    def image_exists(self, image: str) -> bool:
        return self._podman.image_exists(image)

    def image(self, image: str) -> ImageInfo:
        return self._podman.image(image)  # its id keys per-image caches; ImageNotFound if absent

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
        with self.pulls.track(image, kernel_id) as track:
            def report(step: PullProgress) -> None:
                track(step)
                if on_progress is not None:
                    on_progress(step)

            return self._podman.pull(image, report, credentials=credentials, tls_verify=tls_verify)

    def remove_image(self, image: str, *, force: bool = False) -> RemovedImage:
        """``podman rmi``; an image a container uses is refused (ImageInUse), even with ``force``."""
        check_image_reference(image)
        return self._podman.remove_image(image, force=force)

    def prune_images(self, *, all: bool = False, filters: dict[str, list[str]] | None = None, dry_run: bool = False) -> ImagePrune:
        """``podman image prune [-a]``; never an image a container uses. ``dry_run``: removes nothing."""
        return self._podman.prune_images(all=all, filters=filters, dry_run=dry_run)

    def login(self, registry: str, credentials: RegistryCredentials) -> RegistryLogin:
        """``podman login``: checked with the registry, stored in the user's auth file (as the CLI does)."""
        return self._podman.login(registry, credentials)

    def logout(self, registry: str | None) -> tuple[str, list[str]]:
        """``podman logout REGISTRY`` (None: all); returns the auth file and what went."""
        return self._podman.logout(registry)

    def search(self, term: str, *, limit: int | None = None, tls_verify: bool | None = None) -> list[SearchResult]:
        """``podman search TERM`` (v1 search API, else the registry's catalog)."""
        return self._podman.search(term, limit=limit, tls_verify=tls_verify)

    def registries(self) -> list[RegistryEntry]:
        """The search registries, mirrors and insecure entries Podman uses, with your logins."""
        return self._podman.registries()

    def disk_use(self) -> list[DiskUse]:
        """``podman system df``: images, containers, volumes; sizes and what is reclaimable."""
        return self._podman.disk_use()
