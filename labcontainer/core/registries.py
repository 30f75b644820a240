"""Records about registries and image housekeeping: logins, search results, the registries
Podman uses, and what an image prune removed (or would remove).

Standard library only, like core/models.py; frozen so front-ends can pass them around.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ImageInfo, _JsonRecord


@dataclass(frozen=True)
class RegistryLogin(_JsonRecord):
    """A login stored in the user's auth file (the password is never part of a record)."""

    registry: str
    username: str
    auth_file: str


@dataclass(frozen=True)
class SearchResult(_JsonRecord):
    """One repository ``podman search`` found, and the registry it comes from."""

    registry: str
    name: str
    description: str = ""
    stars: int = 0
    official: bool = False


@dataclass(frozen=True)
class RegistryEntry(_JsonRecord):
    """One registry as Podman's registries.conf has it (``podman info`` → registries)."""

    prefix: str
    location: str
    search: bool = False  # in unqualified-search-registries: short names are looked up here
    insecure: bool = False  # plain HTTP or an unverified certificate is accepted
    blocked: bool = False
    mirrors: tuple[str, ...] = ()  # "LOCATION" or "LOCATION (insecure)"
    login: str = ""  # the user name stored for it in the user's auth file, if any


@dataclass(frozen=True)
class ImagePrune(_JsonRecord):
    """What ``image prune`` removed, or (``dry_run``) what it would remove.

    ``reclaimed`` is Podman's count: the removed images' sizes added up, as
    ``podman system prune`` reports it (layers other images still share stay on disk).
    """

    images: tuple[ImageInfo, ...]
    reclaimed: int
    dry_run: bool
    all: bool = False
    failures: tuple[str, ...] = ()
    #: Images left out on purpose, one line each: "NAME kept: WHY" (see the engine's ``keep``).
    kept: tuple[str, ...] = ()
