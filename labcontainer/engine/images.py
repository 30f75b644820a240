"""PodmanImages: the engine's image verbs: list, inspect, pull (with real progress), remove,
prune, disk use. PodmanEngine holds one as ``engine.images``, built on its API client; same
contract as the client: one REST verb per method, records in and out, only labcontainer
errors raised.

Pulling, and why two endpoints: Podman 4's libpod pull endpoint streams text only ("Copying
blob ..."); its Docker-compatible one streams per-layer byte counts. The compatible one
reads a short name the Docker way (``python`` is ``docker.io/library/python``), not
through registries.conf's search list as the podman CLI does, so it gets fully qualified
names only; short names, and pulls with an explicit ``tls_verify``, go to libpod.
``tlsVerify`` is sent only when the caller asks: podman-py's ``images.pull()`` sends
``tlsVerify=true`` by default, which overrides registries.conf and breaks every registry a
lab marks ``insecure = true`` (its internal mirror, typically), where the CLI pulls fine.
Without ``--creds``, the user's stored logins for the image's registry go along (why: in
authfile.py): the service would otherwise read its own user's auth file, not ours.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote

from podman import PodmanClient
from podman import errors as podman_errors
from podman.api.http_utils import encode_auth_header

from ..core.errors import ImageInUse, ImageNotFound, InvalidSpec, LabContainerError, PullFailed, ServiceUnavailable
from ..core.models import ContainerInfo, DiskUse, ImageInfo, PullProgress, RegistryCredentials, RemovedImage
from ..core.registries import ImagePrune
from . import authfile
from .convert import container_info_from_list, disk_use_rows, image_info, split_reference
from .pullstream import PullTracker
from .pullerrors import pull_failure, registry_of
from .translate import translated

ProgressCallback = Callable[[PullProgress], None]


class PodmanImages:
    """``podman image ...`` over one service's REST API (``client``: podman-py's, connected)."""

    def __init__(self, client: PodmanClient) -> None:
        self._client = client

    def list(self) -> list[ImageInfo]:
        """Local images, like ``podman images`` (one REST call)."""
        with translated():
            response = self._client.api.get("/images/json")
            response.raise_for_status()
            raw_images = response.json() or []
        return sorted((image_info(raw) for raw in raw_images), key=lambda i: i.name)

    def exists(self, image: str) -> bool:
        with translated(image=image):
            return bool(self._client.images.exists(image))

    def get(self, image: str) -> ImageInfo:
        """One image by name or id (raises ImageNotFound)."""
        with translated(image=image):
            try:
                raw = self._client.images.get(image).attrs
            except podman_errors.ImageNotFound:
                raise ImageNotFound(image) from None
        return image_info(raw)

    # -- pull -----------------------------------------------------------------------------

    def pull(
        self,
        image: str,
        on_progress: ProgressCallback | None = None,
        *,
        credentials: RegistryCredentials | None = None,
        tls_verify: bool | None = None,
    ) -> ImageInfo:
        """``podman pull IMAGE``, reporting progress steps as they come and a summary last.

        ``credentials`` are for this pull only (otherwise Podman's auth file is used, as by
        the CLI); ``tls_verify`` None leaves TLS to registries.conf, as the CLI does.

        Raises:
            PullFailed: the registry refused, has no such image, or could not be reached.
        """
        report = on_progress or (lambda _p: None)
        tracker = PullTracker(image)
        report(tracker.step(f"Pulling {image}", fraction=0.0))
        stored = {} if credentials is not None else authfile.logins_for(image.partition("/")[0] if fully_qualified(image) else None)
        try:
            response = self._pull_request(image, credentials, tls_verify, authfile.auth_header(stored))
            try:
                for line in response.iter_lines():
                    event = json.loads(line) if line else {}
                    if event.get("error"):
                        raise _pull_failed(image, str(event["error"]), credentials, stored_login=bool(stored))
                    step = tracker.read(event)
                    if step is not None:
                        report(step)
            finally:
                # An interrupted pull (KeyboardInterrupt): closing our stream makes the service
                # cancel it. Measured on Podman 4.3.1, both endpoints, rootful and rootless: its
                # registry connections close at once and no image is created.
                response.close()
            found = self.get(tracker.image_id or image)
        except BaseException as exc:
            report(tracker.step("Pull failed" if isinstance(exc, Exception) else "Pull interrupted", done=True))
            if isinstance(exc, (PullFailed, ServiceUnavailable)) or not isinstance(exc, LabContainerError):
                raise
            raise _pull_failed(image, exc.detail or str(exc), credentials, stored_login=bool(stored)) from exc
        report(tracker.summary(found))
        return found

    def _pull_request(
        self, image: str, credentials: RegistryCredentials | None, tls_verify: bool | None, stored_header: str | None
    ) -> Any:
        headers = {}
        if credentials is not None:
            auth = {"username": credentials.username, "password": credentials.password}
            headers["X-Registry-Auth"] = encode_auth_header(auth).decode()
        elif stored_header:
            headers["X-Registry-Auth"] = stored_header
        # No read timeout: a 20 GB layer may stream for a long time (the service has its own).
        options: dict[str, Any] = {"headers": headers, "stream": True, "timeout": (10, None)}
        with translated(image=image):
            if tls_verify is None and fully_qualified(image):
                repository, tag = split_reference(image)
                params = {"fromImage": repository, **({"tag": tag} if tag else {})}
                response = self._client.api.post("/images/create", params=params, compatible=True, **options)
            else:
                params = {"reference": image, **({"tlsVerify": tls_verify} if tls_verify is not None else {})}
                response = self._client.api.post("/images/pull", params=params, **options)
            response.raise_for_status()
        return response

    # -- remove -----------------------------------------------------------------------------

    def remove(self, image: str, *, force: bool = False) -> RemovedImage:
        """``podman rmi [-f] IMAGE``: take the name off, and delete the image if it was its last.

        Never removes a container: an image a container uses is refused (ImageInUse, naming
        the containers), with or without ``force``. ``force`` only allows deleting an image
        given by id that has several names (all of them go).
        """
        try:
            before = self.get(image)
        except ImageNotFound:
            before = None  # Podman's own answer below says so
        response = self._delete_image(image, force=False)
        text = "" if response.ok else explanation_of_response(response)
        if "more than one tag" in text:
            if not force:
                raise InvalidSpec(
                    f"'{image}' is an image id, and that image has several names, so nothing was removed.",
                    hint=f"Remove one name with `%container rmi NAME`, or the image and all its names with `%container rmi -f {image}`.",
                    detail=text,
                    quote=True,
                )
            # Podman's force would also remove the containers using it: look first.
            self._refuse_if_used(image, text)
            response = self._delete_image(image, force=True)
        elif "in use by a container" in text:
            self._refuse_if_used(image, text)
        with translated(image=image):
            response.raise_for_status(not_found=podman_errors.ImageNotFound)
            body = response.json() or {}
        removed = RemovedImage(image=image, untagged=tuple(body.get("Untagged") or ()), deleted=tuple(body.get("Deleted") or ()))
        if removed.deleted or before is None:
            return removed
        # Only the name went: say why the image stays (its other names, the containers using it).
        used_by = tuple(user.name for user in self.containers_using(before.id))
        others = tuple(tag for tag in before.tags if tag not in removed.untagged and tag != image)
        return dataclasses.replace(removed, other_names=others, used_by=used_by)

    def _delete_image(self, image: str, *, force: bool) -> Any:
        with translated(image=image):
            return self._client.api.delete(f"/images/{quote(image, safe='')}", params={"force": force})

    def _refuse_if_used(self, image: str, podman_text: str) -> None:
        users = self.containers_using(self.get(image).id)
        if users:
            raise ImageInUse(image, users, detail=podman_text)

    def containers_using(self, image_id: str) -> tuple[ContainerInfo, ...]:
        """The containers (any state) created from this very image, by name."""
        with translated():
            response = self._client.api.get("/containers/json", params={"all": True})
            response.raise_for_status()
            raw = response.json() or []
        users = [container_info_from_list(entry) for entry in raw if entry.get("ImageID") == image_id.removeprefix("sha256:")]
        return tuple(sorted(users, key=lambda user: user.name))

    # -- prune ------------------------------------------------------------------------------

    def prune(
        self,
        *,
        all: bool = False,
        filters: dict[str, list[str]] | None = None,
        dry_run: bool = False,
        keep: Mapping[str, str] | None = None,
    ) -> ImagePrune:
        """``podman image prune [-a] [--filter ...]``: dangling images (``all``: every unused
        one). Podman chooses, with ``containers=false`` in its own filters: an image any
        container uses (running or not) is never removed. ``dry_run`` lists what it would
        remove, with the same filters, and removes nothing (Removing can leave a parent
        image dangling in turn: Podman then removes it too, which a dry run cannot show.)

        ``keep``: image references (a name, ``:latest`` implied, or an id) and why each must
        stay; such an image is left out and listed in ``kept`` with that reason. Podman's
        prune cannot leave one out, so when one is, the others are removed one by one.
        """
        chosen = {k: list(v) for k, v in (filters or {}).items()}
        listing = {**chosen, "containers": ["false"], **({} if all else {"dangling": ["true"]})}
        with translated():
            response = self._client.api.get("/images/json", params={"filters": json.dumps(listing)})
            response.raise_for_status()
            candidates = sorted((image_info(raw) for raw in response.json() or []), key=lambda i: (i.name, i.id))
        kept = {i.id: f"{', '.join(i.tags) or i.short_id} kept: {why}" for i in candidates if (why := kept_because(i, keep or {}))}
        candidates = [i for i in candidates if i.id not in kept]
        kept_lines = tuple(kept.values())
        if dry_run:
            return ImagePrune(tuple(candidates), sum(i.size for i in candidates), dry_run=True, all=all, kept=kept_lines)
        if kept:
            removed, failures = self._remove_each(candidates)
            return ImagePrune(removed, sum(i.size for i in removed), dry_run=False, all=all, failures=failures, kept=kept_lines)
        params: dict[str, Any] = {"all": all, **({"filters": json.dumps(chosen)} if chosen else {})}
        with translated():
            response = self._client.api.post("/images/prune", params=params, timeout=(10, None))
            response.raise_for_status()
            reports = response.json() or []
        known = {i.id.removeprefix("sha256:"): i for i in candidates}
        removed_now, failures_now, reclaimed = [], [], 0
        for entry in reports:
            image_id = str(entry.get("Id", "")).removeprefix("sha256:")
            if entry.get("Err"):
                failures_now.append(f"{image_id[:12]}: {entry['Err']}")
                continue
            removed_now.append(known.get(image_id) or ImageInfo(id=image_id, tags=(), size=int(entry.get("Size") or 0)))
            reclaimed += int(entry.get("Size") or 0)
        return ImagePrune(tuple(removed_now), reclaimed, dry_run=False, all=all, failures=tuple(failures_now))

    def _remove_each(self, images: Sequence[ImageInfo]) -> tuple[tuple[ImageInfo, ...], tuple[str, ...]]:
        """Remove these images as prune would: each name, then the image (never with force, so
        a container made meanwhile keeps its image: that is a failure, said as Podman says it)."""
        removed, failures = [], []
        for image in images:
            for reference in image.tags or (image.id,):
                response = self._delete_image(reference, force=False)
                if not response.ok and response.status_code != 404:
                    failures.append(f"{image.short_id}: {explanation_of_response(response)}")
                    break
            else:
                removed.append(image)
        return tuple(removed), tuple(failures)

    # -- disk use ---------------------------------------------------------------------------

    def disk_use(self) -> list[DiskUse]:
        """``podman system df``: images, containers and volumes, their sizes and what is reclaimable."""
        for attempt in range(3):
            with translated():
                response = self._client.api.get("/system/df", timeout=(10, None))
                text = "" if response.ok else explanation_of_response(response)
                # A container removed while Podman counts fails the whole answer: count again.
                if "no such container" in text and attempt < 2:
                    continue
                response.raise_for_status()
                return disk_use_rows(response.json() or {})
        raise AssertionError("unreachable")  # pragma: no cover


def fully_qualified(image: str) -> bool:
    """Whether the reference names its registry (``host.domain/...``, ``host:port/...``, ``localhost/...``)."""
    first, sep, _rest = image.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def kept_because(image: ImageInfo, keep: Mapping[str, str]) -> str:
    """Why ``image`` must stay (``keep`` maps references to reasons), or "" when nothing says so."""
    for reference, why in keep.items():
        name = reference if ":" in reference.rpartition("/")[2] or "@" in reference else f"{reference}:latest"
        bare_id = image.id.removeprefix("sha256:")
        if name in image.tags or (len(reference) >= 12 and bare_id.startswith(reference.removeprefix("sha256:"))):
            return why
    return ""


def explanation_of_response(response: Any) -> str:
    """Podman's error text in a failed answer (its JSON ``message``), else the body."""
    try:
        return str((response.json() or {}).get("message") or response.text)
    except ValueError:
        return str(response.text)


def _pull_failed(image: str, text: str, credentials: RegistryCredentials | None, *, stored_login: bool = False) -> PullFailed:
    """Why a pull failed, in our words; Podman's text follows on its own line."""
    lower = text.lower()
    registry = registry_of(image)
    if stored_login and fully_qualified(image) and ("unauthorized" in lower or "authentication required" in lower):
        return PullFailed(
            image, text,
            message=f"Could not pull '{image}': the registry {registry} did not accept your stored login for it.",
            hint=f"Log in again with `%container login {registry}` (the password may have changed), and check the image name.",
        )
    if credentials is not None and ("unauthorized" in lower or "authentication required" in lower):
        return PullFailed(
            image, text,
            message=f"Could not pull '{image}': the registry {registry} did not accept the user name "
            f"'{credentials.username}' with that password.",
            hint="Check both (a registry may also say this for an image that does not exist).",
        )
    return pull_failure(image, text)  # "http response to https client" too: one wording for unreachable
