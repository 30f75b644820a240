"""``%container`` subcommands about registries: login, logout, search, registries.

Logins are stored where the podman CLI keeps them (``$REGISTRY_AUTH_FILE``, else
``$XDG_RUNTIME_DIR/containers/auth.json``), so ``podman pull`` in a terminal and
``%container pull`` in a notebook share them. The password is asked for with getpass: it
never echoes, is never part of the magic's line (so never in IPython's history), and
ipykernel shows a password box for it in a notebook.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from typing import Any

from ..core.errors import InvalidSpec
from ..core.models import RegistryCredentials
from ..service import LabService
from .commands import subcommand
from .render import REGISTRY_COLUMNS, SEARCH_COLUMNS, Records

login = subcommand("login", "Log in to a registry: the password is asked for (never shown) and stored where the podman CLI keeps logins.")
login.add_argument("-u", "--username", metavar="USER", help="the user name (asked for when not given)")
login.add_argument("registry", help="e.g. nvcr.io or registry.lab:5000")


@login.runs
def do_login(service: LabService, args: argparse.Namespace) -> None:
    registry = args.registry
    user = args.username or _ask(lambda: input("Username: "), registry).strip()
    if not user:
        raise InvalidSpec("No user name given, so nothing was stored.", hint=f"Use `%container login -u USER {registry}`.")
    password = _ask(lambda: getpass.getpass(f"Password for {user} at {registry}: "), registry)
    if not password:
        raise InvalidSpec("No password given, so nothing was stored.", hint=f"Run `%container login -u {user} {registry}` again and type it.")
    stored = service.registries.login(registry, RegistryCredentials(user, password))
    print(f"Login Succeeded: {stored.username} at {stored.registry}, stored in {stored.auth_file} "
          f"(`%container pull` and the podman CLI use it; `%container logout {stored.registry}` removes it).")


def _ask(question: Callable[[], str], registry: str) -> str:
    try:
        return question()
    except (EOFError, OSError, RuntimeError) as exc:  # e.g. a notebook run without a way to ask (no stdin)
        raise InvalidSpec(
            "The user name or password could not be asked for here, so nothing was stored.",
            hint=f"Run the cell in a notebook or terminal you can type into, or use `podman login {registry}` in a terminal.",
            detail=str(exc),
        ) from None


logout = subcommand("logout", "Remove a stored registry login (--all: every one).")
logout.add_argument("-a", "--all", action="store_true", help="remove the logins for every registry")
logout.add_argument("registry", nargs="?", help="the registry to log out of")


@logout.runs
def do_logout(service: LabService, args: argparse.Namespace) -> None:
    if args.all == bool(args.registry):
        raise InvalidSpec("Say which registry to log out of, or --all.", hint="Use `%container logout REGISTRY` or `%container logout --all`.")
    path, removed = service.registries.logout(None if args.all else args.registry)
    if args.all:
        print(f"Removed login credentials for all registries ({', '.join(removed) or 'there were none'}) from {path}")
    else:
        print(f"Removed login credentials for {args.registry} from {path}")


search = subcommand("search", "Search registries for images (the registry's search API, else its catalog).")
search.add_argument("--limit", type=int, metavar="N", help="at most N results from each registry")
search.add_argument("--tls-verify", choices=("true", "false"), help="require HTTPS with a valid certificate (default: as registries.conf says)")
search.add_argument("term", help="e.g. pytorch, or REGISTRY/TERM for one registry only")


@search.runs
def do_search(service: LabService, args: argparse.Namespace) -> Any:
    if args.limit is not None and args.limit < 1:
        raise InvalidSpec(f"--limit {args.limit} asks for no results.", hint="Give a number of 1 or more.")
    tls_verify = None if args.tls_verify is None else args.tls_verify == "true"
    results = service.registries.search(args.term, limit=args.limit, tls_verify=tls_verify)
    where = "its registry" if "/" in args.term else "the search registries (`%container registries` lists them)"
    return Records(results, SEARCH_COLUMNS, empty=f"Nothing matches '{args.term}' in {where}.")


registries = subcommand("registries", "The registries Podman uses: search order, mirrors, insecure ones, your logins.")
registries.runs(
    lambda service, args: Records(
        service.registries.list(),
        REGISTRY_COLUMNS,
        empty="Podman has no registries configured (registries.conf): only fully qualified image names can be pulled.",
    )
)
