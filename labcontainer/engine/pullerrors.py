"""Why a pull failed, read from Podman's own text: which registries it tried, and what each
answered.

Podman may try several places for one pull, and its error text names them all: a short name
becomes one candidate per search registry (``N errors occurred while pulling:`` then one
``* initializing source docker://REF: ...`` line each), and a registry with mirrors in
registries.conf is tried mirror by mirror, then itself (``(Mirrors also failed: [REF: why]
...): REF: why``, c/image's ``docker_image_src.go``). Blaming the image's literal registry
is then wrong (``ubuntu`` failed because the lab mirror has no ``library/ubuntu``, not
because docker.io, which it never needed, is unreachable), so the message names each place
and its answer.

Not reaching a registry reads the same whatever happened there (refused, silent, another
protocol): whoever may ask this server to pull must not learn whether some port on some
host is open. Podman's own words, which do tell, are then kept in ``detail`` (the server's
log) and not shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import PullFailed

#: Podman's words for a registry it could not talk to (no answer, or not a registry's answer).
UNREACHABLE = (
    "connection refused", "i/o timeout", "no route to host", "network is unreachable", "deadline exceeded",
    "connection reset", "broken pipe", "tls:", "x509:", "http response to https client", "unexpected eof", ": eof",
    "malformed http",
)

_MIRRORS = re.compile(r"\(Mirrors also failed: (\[.*?\])\): (\S+?): (.*)$", re.DOTALL)
_MIRROR_ENTRY = re.compile(r"\[(\S+?): (.*?)\](?=\n\[|$)", re.DOTALL)
_SOURCE = re.compile(r"(?:initializing|reading|copying) source docker://(\S+?): ")
_MIRROR_HINT = "a lab usually pulls through its registry mirror, set in registries.conf (ask your admin)."


@dataclass(frozen=True)
class Attempt:
    """One place Podman tried: the registry (or mirror location), the repository:tag asked
    there, what it answered, and whether it is a mirror."""

    registry: str
    path: str
    text: str
    mirror: bool = False

    @property
    def answer(self) -> str:
        lower = self.text.lower()
        if unreachable(lower):
            return "unreachable"
        if "unauthorized" in lower or "authentication required" in lower or "access to the resource is denied" in lower:
            return "refused"
        if "manifest unknown" in lower or "name unknown" in lower or "not found" in lower:
            return "missing"
        return "failed"

    def said(self, *, primary_of_mirrors: bool = False) -> str:
        where = f"the mirror {self.registry}" if self.mirror else (f"{self.registry} itself" if primary_of_mirrors else self.registry)
        return {
            "unreachable": f"{where} is not reachable from this server",
            "refused": f"{where} refused access to {self.path}",
            "missing": f"{where} has no {self.path}",
        }.get(self.answer, f"{where} failed to serve {self.path}")


def unreachable(lower: str) -> bool:
    return "no such host" in lower or "pinging container registry" in lower or any(s in lower for s in UNREACHABLE)


def attempts_in(text: str) -> list[Attempt]:
    """The places Podman's text says it tried, in its order; [] when it names none."""
    if "errors occurred while pulling:" in text:
        parts = [part for part in re.split(r"\n \* ", text)[1:] if part.strip()]
    else:
        parts = [text.strip()]
    found: list[Attempt] = []
    for part in parts:
        found += _attempts_in_one(part)
    return found


def _attempts_in_one(text: str) -> list[Attempt]:
    source = _SOURCE.search(text)
    rest = text[source.end():] if source else text
    mirrors = _MIRRORS.search(rest)
    if mirrors:
        primary_ref, primary_text = mirrors.group(2), mirrors.group(3)
        registry, path = _split(primary_ref)
        tried = []
        for entry in _MIRROR_ENTRY.finditer(mirrors.group(1)):
            ref, why = entry.group(1), entry.group(2)
            location = ref[: -len(path) - 1] if path and ref.endswith("/" + path) else _split(ref)[0]
            tried.append(Attempt(location, path, why, mirror=True))
        return [*tried, Attempt(registry, path, primary_text)]
    if source:
        registry, path = _split(source.group(1))
        return [Attempt(registry, path, rest)]
    return []


def _split(reference: str) -> tuple[str, str]:
    """``host[:port]/repo:tag`` -> (host[:port], repo:tag); docker.io when no host is named."""
    first, sep, rest = reference.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", reference if "/" in reference else f"library/{reference}"


def pull_failure(image: str, text: str) -> PullFailed:
    """A failed pull, explained by what Podman's text says went wrong, where (network, name, access)."""
    tried = attempts_in(text)
    if len(tried) > 1:
        return _several_failed(image, text, tried)
    registry = tried[0].registry if tried else registry_of(image)
    said = f"Could not pull '{image}'"
    if tried and _named(image) != f"{tried[0].registry}/{tried[0].path}":
        said += f" (Podman tried {tried[0].registry}/{tried[0].path})"
    lower = text.lower()
    if "no such host" in lower:
        return PullFailed(
            image, text,
            message=f"{said}: this server cannot find the registry host '{registry}'.",
            hint=f"Check the registry name in the image; if it is right, this server's network or DNS cannot reach it: {_MIRROR_HINT}",
        )
    if unreachable(lower):
        # One wording, without Podman's words, for every way of not talking to a registry.
        return PullFailed(
            image, text,
            message=f"{said}: the registry {registry} could not be reached from this server.",
            hint=_local_hint(registry) or (
                "Nothing there answered as a registry this server can use. Check the registry name and port in the "
                "image, and this server's network; a registry that speaks plain HTTP belongs in registries.conf with "
                f"`insecure = true` (for one pull, `--tls-verify=false`); {_MIRROR_HINT}"
            ),
            quote=False,  # Podman's text (kept in ``detail``, for the server's log) tells refused from silent
        )
    if "short-name" in lower:
        return PullFailed(
            image, text,
            message=f"Could not pull '{image}': it names no registry, and none is set to search.",
            hint="Give the full name, e.g. docker.io/library/python:3.12, or ask your admin for the lab's registry mirror.",
        )
    if "manifest unknown" in lower or "name unknown" in lower or "not found" in lower:
        return PullFailed(
            image, text, message=f"{said}: the registry {registry} has no such image or tag.", hint="Check the image name and its tag."
        )
    if "unauthorized" in lower or "authentication required" in lower or "access to the resource is denied" in lower:
        return PullFailed(
            image, text,
            message=f"{said}: the registry {registry} refused access.",
            hint=f"Log in first with `podman login {registry}` in a terminal or `%container login {registry}` in a notebook, and check the name (registries also say this for images that do not exist).",
        )
    return PullFailed(image, text)


def _several_failed(image: str, text: str, tried: list[Attempt]) -> PullFailed:
    """Podman tried mirrors, or several search registries: say what each answered."""
    with_mirrors = any(a.mirror for a in tried)
    clauses = [a.said(primary_of_mirrors=with_mirrors and not a.mirror) for a in tried]
    answers = {a.answer for a in tried}
    if answers == {"unreachable"}:
        hint = f"Check this server's network; {_MIRROR_HINT}"
    elif "missing" in answers:
        hint = "Check the image name and its tag" + (
            "; if they are right, the lab's mirror does not have this image (ask your admin whether it can fetch it)."
            if with_mirrors else "."
        )
    elif "refused" in answers:
        hint = "Log in to the registry that refused (`%container login REGISTRY`), and check the name."
    else:
        hint = "Podman's words follow."
    # Podman's words tell a closed port from a silent one: shown only when every place answered.
    leaks = any(a.answer == "unreachable" and any(s in a.text.lower() for s in UNREACHABLE) for a in tried)
    return PullFailed(image, text, message=f"Could not pull '{image}': {'; '.join(clauses)}.", hint=hint, quote=not leaks)


def _named(image: str) -> str:
    """The reference as Podman completes it (registry, library/, :latest)."""
    registry, path = _split(image)
    last = path.rpartition("/")[2]
    return f"{registry}/{path}" if ":" in last or "@" in last else f"{registry}/{path}:latest"


def _local_hint(registry: str) -> str:
    if registry != "localhost":
        return ""
    return (
        "localhost/... names an image made on this machine (built, committed or tagged here): no registry serves it, "
        "so it cannot be pulled. If `%container images` does not list it, build or load it again."
    )


def registry_of(image: str) -> str:
    """The registry part of an image reference, as Podman reads it (docker.io if none)."""
    return _split(image)[0]
