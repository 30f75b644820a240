"""Every route and method of the REST API, with a fixed corpus of hostile paths, queries
and bodies: never a 5xx, and nothing written outside the Jupyter data folder (issue #25).

The routes are walked from handler_routes, so a new endpoint is fuzzed without editing this
file. Bodies take every field of the endpoint's schema definition with hostile values, and
whole hostile documents (deep, huge, not JSON, not UTF-8). Images named here never exist
and are never pulled (a localhost name), so nothing is created in Podman either.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import tempfile
import time
from pathlib import Path

from labcontainer.server.handlers import handler_routes
from labcontainer.server.schema import fields_of

ABSENT_IMAGE = "localhost/lct-fuzz-absent:1"
#: Path parts for a route's name groups (jp_fetch URL-escapes them): ones the route matches
#: (absent things) and ones it must not.
NAMES = ["lct-fuzz-absent", "a" * 300, "..", "-f", "\x00", "x/../../etc", "x;id", "\u202e", "%2e%2e"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
QUERIES = [{}, {"follow": "1", "tail": "0"}, {"tail": "-1"}, {"tail": "9" * 40}, {"force": "1"}, {"scope": "\x00"}, {"all": "x" * 5000}]
HOSTILE_VALUES = [
    None, True, -1, 2**70, 1e308, float("nan"), "", " ", "-f", "\x00", "a\nb", "../../../etc", "/", "/etc:/etc",
    "x" * 5000, "\u202e\ufeff", "$(id)", "${HOME}", "%s%n", [], ["\x00"], ["/:/host"], ["/etc:/e:rw"], ["HOME"],
    ["0.0.0.0:1:1"], ["x"] * 200, {}, {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {}}}}}}}}},
    {"org.labcontainer.managed": "false"}, "99999999999999999999g", "count=999999", "host", "ns:/proc/1/ns/net",
]
WHOLE_BODIES = [
    b"", b"null", b"[]", b"1e999", b'"x"', b"{", b"\xff\xfe\x00", b"\xef\xbb\xbf{}", b"[" * 30000 + b"]" * 30000,
    b'{"image":' + b"{" * 20000 + b"}" * 20000 + b"}", b'{"image": "' + b"x" * 200_000 + b'"}', b'{"a": NaN}',
    json.dumps({"image": ABSENT_IMAGE, "image ": 1}).encode(), json.dumps({"__proto__": {"image": 1}}).encode(),
]
DEFINITIONS = {"containers": "ContainerCreate", "kernelspecs": "KernelspecCreate", "images": "ImagePull"}


def concrete_paths(pattern: str) -> list[str]:
    """A route's regex with each group replaced: every word of an alternation, else NAMES."""
    paths = [pattern]
    for group in re.findall(r"\(([^()]*)\)", pattern):
        choices = group.split("|") if re.fullmatch(r"[a-z|]+", group) else NAMES
        paths = [p.replace(f"({group})", choice, 1) for p in paths for choice in choices]
    return paths


def bodies(path: str, method: str) -> list[bytes]:
    """The whole corpus for the bodies the API reads (POST of a schema definition), a few
    hostile documents for every other method and path (which must ignore or refuse them)."""
    definition = DEFINITIONS.get(path) if method == "POST" else None
    if definition is None:
        return [b"", WHOLE_BODIES[5], WHOLE_BODIES[8]]
    found = list(WHOLE_BODIES)
    for field in fields_of(definition):
        for value in HOSTILE_VALUES:
            body = {"image": ABSENT_IMAGE, field: value}
            if path == "images" and body["image"] == ABSENT_IMAGE:
                continue  # a valid name would start a (failing) pull in the background
            if field == "pool":
                body["gpus"] = "count=1"  # a pool is refused with it: no waiting kernels start
            found.append(json.dumps(body).encode())
    return found


def snapshot(*roots: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple[int, float]]:
    """Every file under ``roots`` (but ``skip``): its size and modification time."""
    seen: dict[str, tuple[int, float]] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
            for name in files:
                path = Path(folder, name)
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                seen[str(path)] = (stat.st_size, stat.st_mtime)
    return seen


def my_temp_entries() -> set[str]:
    """This user's entries at the top of the temp folder (none watched for root: see below)."""
    if os.getuid() == 0:
        return set()
    temp = Path(tempfile.gettempdir())
    return {p.name for p in temp.iterdir() if p.lstat().st_uid == os.getuid()}


async def test_no_route_answers_5xx_or_writes_outside_the_data_folder(jp_fetch, jp_data_dir, jp_runtime_dir, tmp_path, podman_cli):
    # The server's HOME, root folder and config are pytest-jupyter's, under tmp_path. The user's
    # real home and /tmp are watched too where this user runs nothing else (rootless: the lab
    # user); root shares them with every other process on the machine.
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    alone = os.getuid() != 0
    home_skip = (real_home / ".local" / "share" / "containers", real_home / ".cache", real_home / ".config" / "containers")
    watched = (tmp_path, real_home) if alone else (tmp_path,)
    skip = (Path(jp_data_dir), Path(jp_runtime_dir), *home_skip)
    files_before, temp_before, containers_before = snapshot(*watched, skip=skip), my_temp_entries(), podman_cli.names()
    routes = [r[0] for r in handler_routes("/")]
    assert len(routes) >= 10  # the walk found the API
    failures, requests, started = [], 0, time.monotonic()
    for pattern in routes:
        for path in concrete_paths(pattern.lstrip("/")):
            for method in METHODS:
                # Hostile queries on the routes' real shapes; hostile names need no more than one.
                plain = not set(path.split("/")) & set(NAMES[1:])
                queries = QUERIES if method in ("GET", "DELETE") and plain else [{}]
                payloads = bodies(path, method) if method in ("POST", "PUT", "PATCH") else [None]
                for query in queries:
                    for body in payloads:
                        response = await jp_fetch(
                            "labcontainer", "api", *path.split("/"), method=method, body=body, params=query,
                            raise_error=False, allow_nonstandard_methods=True, request_timeout=30,
                        )
                        requests += 1
                        if response.code >= 500:
                            failures.append((method, path, query, (body or b"")[:120], response.code, response.body[:300]))
    elapsed = time.monotonic() - started
    assert failures == [], f"{len(failures)} of {requests} requests got a 5xx: {failures[:5]}"
    assert elapsed < 120, f"{requests} requests took {elapsed:.0f} s"
    assert snapshot(*watched, skip=skip) == files_before
    assert my_temp_entries() - temp_before == set()
    assert podman_cli.names() - containers_before == set()


def test_the_walk_covers_every_route():
    paths = [p for pattern, _ in handler_routes("/") for p in concrete_paths(pattern.lstrip("/"))]
    assert "containers/lct-fuzz-absent/restart" in paths and "images/\x00" in paths
    assert all("(" not in p for p in paths)
