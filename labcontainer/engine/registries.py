"""PodmanRegistries: the engine's registry verbs: login, logout, search, and the registries
Podman uses. PodmanEngine holds one as ``engine.registries``, built on its API client.

Login, and why the check runs here rather than in the service, measured on Podman 4.3.1:
its only login endpoint (the Docker-compatible ``POST /auth``) always asks for HTTPS,
ignoring registries.conf's ``insecure = true``, so it cannot log in to a lab's plain-HTTP
registry at all. ``podman --remote login`` does not use it either: it checks the password
against the registry from the client and writes the client's auth file. We do the same:
``GET /v2/`` with the user's credentials (HTTP Basic, or a token from the registry's
Bearer realm), over HTTPS, falling back to plain HTTP only for a registry the service's
registries.conf marks insecure, as Podman's own client does.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import requests
import urllib3
from podman import PodmanClient

from ..core import errors
from ..core.errors import LoginFailed, RegistryUnreachable
from ..core.models import RegistryCredentials
from ..core.registries import RegistryEntry, RegistryLogin, SearchResult
from . import authfile
from .translate import translated

#: Seconds for each request of a login check: a wrong password is said well within 10 s.
LOGIN_TIMEOUT = (3.05, 4.0)
#: Where Docker Hub's API really is (``docker.io`` is only its name in image references).
_DOCKER_HUB = {"docker.io": "registry-1.docker.io", "index.docker.io": "registry-1.docker.io"}


class PodmanRegistries:
    """Registries as one service sees them (``client``: podman-py's, connected); logins in
    the user's auth file, as the podman CLI keeps them."""

    def __init__(self, client: PodmanClient) -> None:
        self._client = client

    # -- login / logout -------------------------------------------------------------------

    def login(self, registry: str, credentials: RegistryCredentials) -> RegistryLogin:
        """``podman login REGISTRY``: check the password with the registry, then store it
        in the user's auth file (where the podman CLI finds it too).

        Raises:
            LoginFailed: the registry refused the user name and password (nothing stored).
            RegistryUnreachable: the registry could not be reached.
        """
        key = authfile.normalize_key(registry)
        if not key or key.startswith("-"):
            raise errors.InvalidSpec("No registry given.", hint="Use `%container login REGISTRY`, e.g. `%container login nvcr.io`.")
        host = key.split("/")[0]
        check_credentials(host, credentials, insecure=self._insecure(host))
        path = authfile.store_login(key, credentials)
        return RegistryLogin(registry=key, username=credentials.username, auth_file=str(path))

    def logout(self, registry: str | None) -> tuple[str, list[str]]:
        """``podman logout REGISTRY`` (None: ``--all``); returns the auth file and the
        registries whose login went.

        Raises:
            NotLoggedIn: the auth file holds no login for REGISTRY.
        """
        path, removed = authfile.remove_login(registry)
        if registry is not None and not removed:
            elsewhere = authfile.login_elsewhere(registry)
            hint = (
                f"A login for it is in {elsewhere} (written by `docker login`): remove it with `docker logout {registry}`."
                if elsewhere
                else "`%container registries` shows which registries you are logged in to."
            )
            raise errors.NotLoggedIn(f"You are not logged in to {registry} (no login for it in {path}), so nothing was removed.", hint=hint)
        return str(path), removed

    def _insecure(self, host: str) -> bool:
        """Whether the service's registries.conf lets ``host`` speak plain HTTP."""
        for entry in self.list():
            if entry.insecure and authfile.normalize_key(entry.location).split("/")[0] == host:
                return True
        return False

    # -- search ---------------------------------------------------------------------------

    def search(self, term: str, *, limit: int | None = None, tls_verify: bool | None = None) -> list[SearchResult]:
        """``podman search TERM``: Podman asks each registry (a qualified TERM: only its
        registry; else the unqualified-search ones) with its v1 search API, else its
        ``/v2/_catalog``. Stored logins for those registries go along.

        Raises:
            RegistryUnreachable: no registry could be searched (which ones, and why, said).
        """
        params: dict[str, Any] = {"term": term}
        if limit:
            params["limit"] = limit
        if tls_verify is not None:  # else registries.conf decides, as for pull
            params["tlsVerify"] = tls_verify
        first = term.split("/")[0]
        registry = first if "/" in term and ("." in first or ":" in first or first == "localhost") else None
        header = authfile.auth_header(authfile.logins_for(registry))
        with translated():
            response = self._client.api.get("/images/search", params=params, headers={"X-Registry-Auth": header} if header else {})
            text = "" if response.ok else _message(response)
            if text:
                raise search_failure(term, text)
            response.raise_for_status()
            raw = response.json() or []
        return [
            SearchResult(
                registry=str(r.get("Index", "")),
                name=str(r.get("Name", "")),
                description=str(r.get("Description") or ""),
                stars=int(r.get("Stars") or 0),
                official=str(r.get("Official") or "").lower() in ("[ok]", "true", "ok"),
            )
            for r in raw
        ]

    # -- registries -----------------------------------------------------------------------

    def list(self) -> list[RegistryEntry]:
        """The registries the service uses (``podman info`` → registries): search ones
        first, in their order, then the rest; with the login stored for each."""
        with translated():
            response = self._client.api.get("/info")
            response.raise_for_status()
            raw = (response.json() or {}).get("registries") or {}
        search = [str(s) for s in raw.get("search") or ()]
        logins = authfile.stored_logins()
        entries: dict[str, RegistryEntry] = {}
        for prefix, value in raw.items():
            if prefix == "search" or not isinstance(value, dict):
                continue
            mirrors = tuple(
                f"{m.get('Location', '')}{' (insecure)' if m.get('Insecure') else ''}" for m in value.get("Mirrors") or ()
            )
            location = str(value.get("Location") or prefix)
            entries[prefix] = RegistryEntry(
                prefix=str(value.get("Prefix") or prefix),
                location=location,
                search=prefix in search,
                insecure=bool(value.get("Insecure")),
                blocked=bool(value.get("Blocked")),
                mirrors=mirrors,
                login=_login_name(logins, prefix),
            )
        for prefix in search:  # a search registry without a [[registry]] table of its own
            entries.setdefault(prefix, RegistryEntry(prefix=prefix, location=prefix, search=True, login=_login_name(logins, prefix)))
        order = {name: i for i, name in enumerate(search)}
        return sorted(entries.values(), key=lambda e: (order.get(e.prefix, len(order)), e.prefix))


def _login_name(logins: dict[str, RegistryCredentials], prefix: str) -> str:
    credentials = logins.get(authfile.normalize_key(prefix))
    return credentials.username if credentials else ""


def _message(response: Any) -> str:
    try:
        return str((response.json() or {}).get("message") or response.text)
    except ValueError:
        return str(response.text)


def search_failure(term: str, text: str) -> errors.LabContainerError:
    """Podman's "couldn't search registry X: why" (one per registry), in our words."""
    failed = re.findall(r'couldn\'t search registry "([^"]+)": ([^\n]*)', text)
    if not failed:
        return RegistryUnreachable(f"Could not search for '{term}'.", detail=text, quote=True)
    names = ", ".join(name for name, _ in failed)
    reasons = " ".join(why.lower() for _, why in failed)
    if "unauthorized" in reasons or "authentication required" in reasons or "denied" in reasons:
        first = failed[0][0]
        return LoginFailed(
            f"Could not search {names} for '{term}': the registry refused access.",
            hint=f"Log in with `%container login {first}`, then search again.",
            detail=failed[0][1],
            quote=True,
        )
    return RegistryUnreachable(
        f"Could not search for '{term}': Podman could not reach {'the registry' if len(failed) == 1 else 'the registries'} {names}.",
        hint="Check the registry name and port, and this server's network; `%container registries` lists the ones Podman searches.",
        detail=failed[0][1],
        quote=True,
    )


def check_credentials(host: str, credentials: RegistryCredentials, *, insecure: bool) -> None:
    """Ask ``host`` whether it accepts these credentials, as ``podman login`` does."""
    api_host = _DOCKER_HUB.get(host, host)
    session = requests.Session()  # proxies from the environment are honoured, as Podman does
    try:
        response, base = _ping(session, api_host, insecure)
        if response.status_code == 200:
            return  # a registry open to all: nothing to check, the login is stored anyway
        if response.status_code != 401:
            raise RegistryUnreachable(
                f"Could not log in to {host}: it answered {response.status_code} where a registry answers 200 or 401.",
                hint="Check that this is a container registry's address.",
            )
        challenge = response.headers.get("WWW-Authenticate", "")
        auth = (credentials.username, credentials.password)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            if challenge.lower().startswith("bearer"):
                fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
                params = {"account": credentials.username, **({"service": fields["service"]} if "service" in fields else {})}
                answer = session.get(fields.get("realm", ""), params=params, auth=auth, timeout=LOGIN_TIMEOUT, verify=not insecure)
            else:
                answer = session.get(base, auth=auth, timeout=LOGIN_TIMEOUT, verify=not insecure)
    except requests.RequestException as exc:
        raise RegistryUnreachable(
            f"Could not log in to {host}: the registry could not be reached from this server ({_why(exc)}).",
            hint="Check the registry name and port, and this server's network. Nothing was stored.",
            detail=str(exc),
        ) from None
    finally:
        session.close()
    if answer.status_code in (401, 403):
        raise LoginFailed(
            f"Could not log in to {host}: the registry did not accept the user name '{credentials.username}' with that password.",
            hint=f"Check both and run `%container login {host}` again. Nothing was stored.",
        )
    if not answer.ok:
        raise RegistryUnreachable(f"Could not log in to {host}: its login answered {answer.status_code}.", detail=answer.text[:300], quote=True)


def _ping(session: requests.Session, host: str, insecure: bool) -> tuple[requests.Response, str]:
    """``GET /v2/`` over HTTPS; over HTTP too for an insecure registry, as Podman does."""
    try:
        url = f"https://{host}/v2/"
        with warnings.catch_warnings():  # the user's registries.conf said insecure: no warning in the cell
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            return session.get(url, timeout=LOGIN_TIMEOUT, verify=not insecure), url
    except requests.RequestException:
        if not insecure:
            raise
    url = f"http://{host}/v2/"
    return session.get(url, timeout=LOGIN_TIMEOUT), url


def _why(exc: BaseException) -> str:
    """A network failure in a few words (requests' own text is a page of nested reprs)."""
    text = str(exc).lower()
    for needle, words in (("refused", "connection refused"), ("timed out", "no answer in time"), ("name or service not known", "unknown host"),
                          ("temporary failure in name resolution", "unknown host"), ("certificate", "its TLS certificate was not accepted")):
        if needle in text:
            return words
    return type(exc).__name__
