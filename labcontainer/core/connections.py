"""The user's Podman connections, read from the files ``podman system connection add`` writes,
and the default chosen as the podman CLI chooses it.

Where podman keeps them (containers/common, measured with Podman 4.3.1 here):

- Podman 4.x: ``[engine.service_destinations.NAME]`` (``uri``, ``identity``) and
  ``engine.active_service`` in containers.conf. With ``CONTAINERS_CONF`` set, that file alone
  is read (and written). Otherwise /usr/share/containers/containers.conf, then
  /etc/containers/containers.conf and its ``.d`` folder, then, for a user other than root,
  ``$XDG_CONFIG_HOME/containers/containers.conf`` (default ``~/.config/...``); a later file
  wins key by key. As root, ``connection add`` writes /etc/containers/containers.conf.
- Podman 5: ``podman-connections.json`` (``Connection.Default``,
  ``Connection.Connections.NAME.URI/Identity``) at ``$PODMAN_CONNECTIONS_CONF``, else next to
  the user's containers.conf (root's too). On a clash of names the JSON wins, as in Podman.

Standard library only (this is core): tomllib reads the TOML.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .connection import LOCAL, Connection
from .errors import InvalidSpec

SYSTEM_CONFS = ("/usr/share/containers/containers.conf", "/etc/containers/containers.conf")


@dataclass(frozen=True)
class PodmanConnections:
    """The user's connections by name (file order), the default one's name, the files read."""

    connections: dict[str, Connection] = field(default_factory=dict)
    default: str | None = None
    files: tuple[str, ...] = ()


def _user_config_dir(environ: Mapping[str, str]) -> Path:
    config_home = environ.get("XDG_CONFIG_HOME")
    home = config_home if config_home else os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(home) / "containers"


def containers_conf_files(environ: Mapping[str, str] | None = None, *, is_root: bool | None = None) -> list[Path]:
    """The containers.conf files Podman 4 reads, in order (a later one wins)."""
    environ = os.environ if environ is None else environ
    if environ.get("CONTAINERS_CONF"):
        return [Path(environ["CONTAINERS_CONF"])]
    is_root = os.geteuid() == 0 if is_root is None else is_root
    files = [Path(path) for path in SYSTEM_CONFS]
    files += _dropins(Path(SYSTEM_CONFS[1] + ".d"))
    if not is_root:  # root's own ~/.config is not read: measured, `connection add` writes /etc
        user = _user_config_dir(environ) / "containers.conf"
        files += [user, *_dropins(Path(str(user) + ".d"))]
    return files


def _dropins(folder: Path) -> list[Path]:
    try:
        return sorted(path for path in folder.iterdir() if path.suffix == ".conf")
    except OSError:
        return []


def connections_json_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where Podman 5 keeps ``podman-connections.json``."""
    environ = os.environ if environ is None else environ
    if environ.get("PODMAN_CONNECTIONS_CONF"):
        return Path(environ["PODMAN_CONNECTIONS_CONF"])
    return _user_config_dir(environ) / "podman-connections.json"


def _read_toml(path: Path) -> dict | None:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidSpec(f"Podman's configuration file {path} cannot be read: {error}.",
                          hint="Fix or remove it; `podman system connection list` shows what Podman makes of it.") from error


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise InvalidSpec(f"Podman's connection file {path} cannot be read: {error}.",
                          hint="Fix or remove it; `podman system connection list` shows what Podman makes of it.") from error


def _connection(name: str, url: object, identity: object) -> Connection:
    return Connection(name=name, url=str(url) if url else None, identity=str(identity) if identity else None)


def read_podman_connections(environ: Mapping[str, str] | None = None, *, is_root: bool | None = None) -> PodmanConnections:
    """The connections podman itself would list (``podman system connection list``)."""
    environ = os.environ if environ is None else environ
    found: dict[str, Connection] = {}
    default: str | None = None
    files: list[str] = []
    for path in containers_conf_files(environ, is_root=is_root):
        conf = _read_toml(path)
        if conf is None:
            continue
        files.append(str(path))
        engine = conf.get("engine") or {}
        for name, entry in (engine.get("service_destinations") or {}).items():
            found[name] = _connection(name, entry.get("uri"), entry.get("identity"))
        default = engine.get("active_service") or default
    json_path = connections_json_file(environ)
    data = _read_json(json_path)
    if data is not None:
        files.append(str(json_path))
        section = data.get("Connection") or {}
        for name, entry in (section.get("Connections") or {}).items():
            found[name] = _connection(name, entry.get("URI"), entry.get("Identity"))
        default = section.get("Default") or default
    return PodmanConnections(found, default if default in found else None, tuple(files))


def _from_url(url: str, environ: Mapping[str, str], name: str | None = None) -> Connection:
    """A connection given as a URL (``--url``, ``CONTAINER_HOST``): a unix socket is this
    machine's Podman; an ``ssh://`` one is named ``USER@HOST`` and uses ``CONTAINER_SSHKEY``."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return Connection(name=name or LOCAL, url=url)
    if parts.scheme not in ("ssh", "tcp"):
        raise InvalidSpec(f"'{url}' is not a Podman URL.", hint="Use unix:///path/podman.sock or ssh://USER@HOST[:PORT]/path/podman.sock.")
    label = name or (parts.netloc.rsplit(":", 1)[0] if parts.scheme == "ssh" else parts.netloc)
    return Connection(name=label, url=url, identity=environ.get("CONTAINER_SSHKEY") or None)


def choose_connection(
    explicit: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    known: PodmanConnections | None = None,
) -> Connection:
    """The connection the podman CLI would use: ``explicit`` (a URL, ``--url``, or a connection
    name, ``-c``), else ``CONTAINER_HOST``, else ``CONTAINER_CONNECTION``, else the default
    connection, else this machine's socket (``Connection()``: the engine finds it).

    Raises:
        InvalidSpec: a connection name the user has not added (the known ones are listed).
    """
    environ = os.environ if environ is None else environ
    if explicit and "://" in explicit:
        return _from_url(explicit, environ)
    known = read_podman_connections(environ) if known is None else known
    if explicit:
        return _named(explicit, known)
    if environ.get("CONTAINER_HOST"):
        return _from_url(environ["CONTAINER_HOST"], environ)
    if environ.get("CONTAINER_CONNECTION"):
        return _named(environ["CONTAINER_CONNECTION"], known)
    if known.default:
        return known.connections[known.default]
    return Connection()


def _named(name: str, known: PodmanConnections) -> Connection:
    if name in known.connections:
        return known.connections[name]
    if name == LOCAL:
        return Connection()
    names = ", ".join(sorted(known.connections)) or "none"
    raise InvalidSpec(
        f"There is no Podman connection named '{name}' (yours: {names}).",
        hint=f"Add it as for podman: `podman system connection add {name} ssh://USER@HOST/run/user/UID/podman/podman.sock`.",
    )
