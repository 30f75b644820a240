"""The user's registry logins, kept by Podman's rules, so that the podman CLI and
labcontainer see the same logins.

Where (containers-auth.json(5), as ``podman login`` 4.x writes it): ``$REGISTRY_AUTH_FILE``,
else ``$XDG_RUNTIME_DIR/containers/auth.json``, else ``/run/containers/UID/auth.json``.
Reading also looks where Podman reads when ``$REGISTRY_AUTH_FILE`` is not set:
``$XDG_CONFIG_HOME/containers/auth.json`` (default ``~/.config``) and Docker's
``config.json``. Format: ``{"auths": {"REGISTRY": {"auth": base64("USER:PASSWORD")}}}``;
anything else in the file (credential helpers, other keys) is kept as it is.

Why labcontainer sends these to the service itself, measured on Podman 4.3.1: an API pull
without an ``X-Registry-Auth`` header uses the auth file of the *service's* environment
(a rootful service: ``/run/containers/0/auth.json``), not the notebook user's. So, as
``podman --remote`` does, the logins for the registry in question travel with each pull or
search in the header's multi-registry form (``{"REGISTRY": {"username", "password"}}``),
which every endpoint we use reads (the single form is ignored by the search endpoint).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..core.models import RegistryCredentials


def auth_file_path() -> Path:
    """The file ``podman login`` writes to, for this process's environment."""
    explicit = os.environ.get("REGISTRY_AUTH_FILE")
    if explicit:
        return Path(explicit)
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        return Path(runtime_dir) / "containers" / "auth.json"
    return Path(f"/run/containers/{os.getuid()}/auth.json")


def _read_paths() -> list[Path]:
    """Files Podman reads logins from, first match wins."""
    paths = [auth_file_path()]
    if os.environ.get("REGISTRY_AUTH_FILE"):
        return paths
    home = Path.home()
    paths.append(Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "containers" / "auth.json")
    docker = os.environ.get("DOCKER_CONFIG")
    paths.append(Path(docker) / "config.json" if docker else home / ".docker" / "config.json")
    return paths


def normalize_key(registry: str) -> str:
    """The auth file's key for what the user typed: no scheme, no trailing slash."""
    key = registry.strip()
    for scheme in ("https://", "http://"):
        key = key.removeprefix(scheme)
    key = key.rstrip("/")
    # `docker login` writes Docker Hub as https://index.docker.io/v1/; Podman reads it as docker.io.
    return "docker.io" if key in ("index.docker.io", "index.docker.io/v1", "registry-1.docker.io") else key


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # unreadable or damaged: Podman too would ignore its logins
    return data if isinstance(data, dict) else {}


def _decode(entry: Any) -> RegistryCredentials | None:
    if not isinstance(entry, dict) or not entry.get("auth"):
        return None
    try:
        user, sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return RegistryCredentials(user, password) if sep and user else None


def stored_logins() -> dict[str, RegistryCredentials]:
    """Every stored login, by registry key (the first file that has a key wins)."""
    found: dict[str, RegistryCredentials] = {}
    for path in reversed(_read_paths()):  # later files are overridden by earlier ones
        for key, entry in (_load(path).get("auths") or {}).items():
            credentials = _decode(entry)
            if credentials is not None:
                found[normalize_key(key)] = credentials
    return found


def logins_for(registry: str | None) -> dict[str, RegistryCredentials]:
    """The logins a request to ``registry`` may need: its own keys (``host`` and
    ``host/namespace`` ones); every login when the registry is not known yet (a short name,
    resolved by the service through registries.conf)."""
    logins = stored_logins()
    if registry is None:
        return logins
    host = normalize_key(registry).split("/")[0]
    return {key: c for key, c in logins.items() if key == host or key.startswith(host + "/")}


def auth_header(logins: dict[str, RegistryCredentials]) -> str | None:
    """``X-Registry-Auth`` in its multi-registry form, or None when there is nothing to send."""
    if not logins:
        return None
    payload = {key: {"username": c.username, "password": c.password} for key, c in logins.items()}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def store_login(registry: str, credentials: RegistryCredentials) -> Path:
    """Write (or replace) the login for ``registry`` in the auth file; returns the file."""
    path = auth_file_path()
    data = _load(path)
    auths = data.setdefault("auths", {})
    secret = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    auths[normalize_key(registry)] = {"auth": secret}
    _write(path, data)
    return path


def remove_login(registry: str | None) -> tuple[Path, list[str]]:
    """Remove the login for ``registry`` (None: every login) from the auth file; returns
    the file and the keys removed (empty: there was none)."""
    path = auth_file_path()
    data = _load(path)
    auths = data.get("auths") or {}
    removed = sorted(auths) if registry is None else [k for k in auths if normalize_key(k) == normalize_key(registry)]
    if removed:
        data["auths"] = {k: v for k, v in auths.items() if k not in removed}
        _write(path, data)
    return path, removed


def login_elsewhere(registry: str) -> Path | None:
    """Another file Podman reads that holds a login for ``registry`` (``docker login``'s)."""
    for path in _read_paths()[1:]:
        if normalize_key(registry) in {normalize_key(k) for k in (_load(path).get("auths") or {})}:
            return path
    return None


def _write(path: Path, data: dict[str, Any]) -> None:
    """0600 from the first byte, replaced in one rename (a reader never sees half a file)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".auth-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent="\t")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
