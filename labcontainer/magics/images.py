"""``%container`` subcommands about images and the service: pull, images (image ls), rmi,
image prune, system df, connect."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
from typing import Any

from ..core.errors import InvalidSpec, LabContainerError
from ..core.models import ImageInfo, RegistryCredentials
from ..core.specs import parse_filters
from ..core.timefmt import human_bytes
from ..kernels import kernelspecs
from ..service import LabService
from .progress import PullInterrupted, pull_progress
from .commands import SUBCOMMANDS, MagicParser, subcommand
from .render import DISK_USE_COLUMNS, IMAGE_COLUMNS, PRUNE_COLUMNS, Records

pull = subcommand("pull", "Pull an image from a registry (progress while it runs, a summary at the end).")
pull.add_argument("--creds", metavar="USER[:PASSWORD]", help="log in for this pull; without :PASSWORD you are asked for it (it then stays out of the notebook)")
pull.add_argument("--tls-verify", choices=("true", "false"), help="require HTTPS with a valid certificate (default: as registries.conf says)")
pull.add_argument("image", help="e.g. nvcr.io/nvidia/pytorch:24.05-py3")


@pull.runs
def do_pull(service: LabService, args: argparse.Namespace) -> Any:
    credentials = _credentials(args.creds, args.image) if args.creds else None
    tls_verify = None if args.tls_verify is None else args.tls_verify == "true"
    info = pull_showing_progress(service, args.image, credentials=credentials, tls_verify=tls_verify)
    return Records([info], IMAGE_COLUMNS)


def pull_showing_progress(service: LabService, image: str, *, credentials: RegistryCredentials | None = None,
                          tls_verify: bool | None = None, had_it: bool | None = None) -> ImageInfo:
    """Pull IMAGE with the progress `%container pull` shows (a bar in a notebook, lines in a
    terminal); an interrupt raises PullInterrupted, saying whether anything was kept."""
    had_it = _exists_now(service, image) if had_it is None else had_it
    try:
        with pull_progress(image) as report:
            return service.images.pull(image, on_progress=report, credentials=credentials, tls_verify=tls_verify)
    except KeyboardInterrupt:
        # Closing our stream made Podman cancel its pull (measured on 4.3.1, both endpoints:
        # its registry connections close, no image appears), so there is nothing to undo.
        # Only an image that was complete before the interrupt arrived is left, and then we say so.
        raise PullInterrupted(image, kept=not had_it and _exists_now(service, image)) from None


#: ``%container run --pull=POLICY``, as podman run takes it.
PULL_POLICIES = ("missing", "always", "never")


def pull_for_run(service: LabService, image: str, policy: str) -> None:
    """Before a run, pull IMAGE as ``podman run --pull=POLICY`` does: ``missing`` (the
    default) pulls an image this machine lacks, ``always`` pulls even one it has (a newer
    one may be there), ``never`` pulls nothing and refuses an image that is not here.
    Raises before any container exists: a failed or interrupted pull creates none."""
    here = _exists_now(service, image)
    if policy == "never":
        if not here:
            raise InvalidSpec(
                f"The image '{image}' is not on this machine, and --pull=never does not pull it.",
                hint=f"Pull it with `%container pull {image}`, or run without --pull=never (it is then pulled first).",
            )
        return
    # A localhost/ image can only have been built here: there is nowhere to pull it from,
    # and the run's own "not on this machine" says what to do.
    if policy == "missing" and (here or image.startswith("localhost/")):
        return
    pull_showing_progress(service, image, had_it=here)


def _exists_now(service: LabService, image: str) -> bool:
    try:
        return service.images.exists(image)
    except LabContainerError:
        return False


def _credentials(creds: str, image: str) -> RegistryCredentials:
    """``USER:PASSWORD`` as podman's --creds takes it; a missing password is asked for,
    without echo (ipykernel turns getpass into a password box in the notebook)."""
    user, sep, password = creds.partition(":")
    if not user:
        raise InvalidSpec("--creds needs a user name.", hint=f"Use `%container pull --creds USER {image}`: you are then asked for the password.")
    if not sep:
        registry = image.split("/")[0] if "/" in image else "the registry"
        try:
            password = getpass.getpass(f"Password for {user} at {registry}: ")
        except Exception as exc:  # e.g. a notebook run without a way to ask (no stdin)
            raise InvalidSpec(
                "The password could not be asked for here.",
                hint="Run the cell in a notebook or terminal you can type into, or log in with `podman login` in a terminal.",
                detail=str(exc),
            ) from None
    return RegistryCredentials(user, password)


images = subcommand("images", "List local images.")


@images.runs
def do_images(service: LabService, args: argparse.Namespace) -> Any:
    # One row per name, as `podman images` shows it: an image tagged twice is two rows with one id.
    rows: list[Any] = []
    for info in service.images.list():
        rows += [dataclasses.replace(info, tags=(tag,)) for tag in info.tags] or [info]  # nameless: one row
    return Records(rows, IMAGE_COLUMNS, empty="No images. Pull one with `%container pull IMAGE`.")

rmi = subcommand("rmi", "Remove images (an image a container uses is refused, naming the container).")
rmi.add_argument("-f", "--force", action="store_true", help="also an image given by id that has several names (all go); containers are never removed")
rmi.add_argument("images", nargs="+", metavar="IMAGE", help="image names or ids")


@rmi.runs
def do_rmi(service: LabService, args: argparse.Namespace) -> None:
    """Remove each image like podman does: print what went, report every failure after."""
    failures: list[LabContainerError] = []
    for image in args.images:
        try:
            removed = service.images.remove(image, force=args.force)
        except LabContainerError as exc:
            failures.append(exc)
            continue
        for name in removed.untagged:
            print(f"Untagged: {name}")
        for image_id in removed.deleted:
            print(f"Deleted: {image_id}")
    if len(failures) == 1:
        raise failures[0]
    if failures:
        combined = LabContainerError("\n".join(str(f) for f in failures))
        combined.http_status = max(f.http_status for f in failures)
        raise combined


# `image prune` has no one-word spelling in podman: its parser is reached through `image` only.
prune = MagicParser(
    prog="%container image prune",
    description="Remove dangling images (-a: every image no container uses); never one a container uses, "
    "nor a localhost/ image a kernelspec names (it cannot be pulled again; --include-kernel-images removes those too). "
    "Without -f it only shows what would be removed (in a notebook as in a terminal: nothing asks y/N).",
)
prune.add_argument("-a", "--all", action="store_true", help="every image no container uses, not only dangling (nameless) ones")
prune.add_argument("-f", "--force", action="store_true", help="really remove them (without it: show what would go)")
prune.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE", help="podman's image filters, e.g. label=team=vision or until=24h (repeatable)")
prune.add_argument("--include-kernel-images", action="store_true",
                   help="also a localhost/ image a kernelspec uses (kept otherwise: it cannot be pulled again, and its kernel would not start)")


@prune.runs
def do_prune(service: LabService, args: argparse.Namespace) -> Any:
    filters = parse_filters(args.filter, example="label=team=vision` or `--filter until=24h")
    keep = {} if args.include_kernel_images else kernel_images()
    result = service.images.prune(all=args.all, filters=filters, dry_run=not args.force, keep=keep)
    kind = "unused" if args.all else "dangling"
    size = human_bytes(result.reclaimed)
    kept = " ".join([*(f"{line}." for line in result.kept), "(`--include-kernel-images` removes such images too.)"]) if result.kept else ""
    if result.dry_run:
        flags = [*(["-a"] if args.all else []), *(f"--filter {f}" for f in args.filter), *(["--include-kernel-images"] if args.include_kernel_images else [])]
        again = " ".join(["%container image prune", *flags, "-f"])
        note = (f"Nothing was removed. These {len(result.images)} {kind} images ({size}) would be: "
                f"to remove them, run `{again}`.")
        return Records(result.images, PRUNE_COLUMNS, empty=f"No {kind} images to remove.", note=_joined(note if result.images else "", kept))
    note = f"Removed {len(result.images)} {kind} images; space reclaimed, as Podman counts it: {size}."
    if result.failures:
        note += " Not removed: " + "; ".join(result.failures)
    note = note if result.images or result.failures else ""
    return Records(result.images, PRUNE_COLUMNS, empty=f"No {kind} images to remove: nothing was removed.", note=_joined(note, kept))


def kernel_images() -> dict[str, str]:
    """Images a kernelspec names that live only here (``localhost/``, or a short name that
    Podman finds as ``localhost/NAME``), each with why prune keeps it: it cannot be pulled again."""
    users: dict[str, list[str]] = {}
    for spec in kernelspecs.list_kernelspecs():
        first, sep, _ = spec.image.partition("/")
        qualified = bool(sep) and ("." in first or ":" in first or first == "localhost")
        for reference in [spec.image] if qualified else [f"localhost/{spec.image}"] if spec.image else []:
            if reference.startswith("localhost/"):
                users.setdefault(reference, []).append(spec.name)
    return {
        reference: f"used by kernelspec{'s' if len(names) > 1 else ''} {', '.join(names)}; it cannot be pulled again"
        for reference, names in users.items()
    }


def _joined(*notes: str) -> str:
    return " ".join(note for note in notes if note)


def _alias(name: str, summary: str, actions: dict[str, str | MagicParser]) -> None:
    """``%container NAME ACTION ...``: the podman CLI's two-word spelling of a subcommand."""
    parser = subcommand(name, summary)
    described = [f"{a}: as `%container {t}`" if isinstance(t, str) else f"{a}: see `{t.prog} --help`" for a, t in actions.items()]
    parser.add_argument("action", choices=sorted(actions), help=", ".join(described))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="the options and arguments of that subcommand")

    @parser.runs
    def run(service: LabService, args: argparse.Namespace) -> Any:
        chosen = actions[args.action]
        target = SUBCOMMANDS[chosen] if isinstance(chosen, str) else chosen
        return target.runner(service, target.parse_args(args.rest))  # type: ignore[misc]


_alias(
    "image",
    "Images, the guide's way: image ls, image rm, image pull; image prune [-a] [-f] removes dangling (-a: unused) images.",
    {"ls": "images", "list": "images", "rm": "rmi", "pull": "pull", "prune": prune},
)

system = subcommand("system", "Podman as a whole: `system df` shows disk use.")
system.add_argument("action", choices=["df"], help="df: images, containers and volumes, their sizes and what is reclaimable")
system.runs(lambda service, args: Records(service.images.disk_use(), DISK_USE_COLUMNS))

connect = subcommand("connect", "(Re)connect to a Podman service.")
connect.add_argument("--url", help="unix:///path/podman.sock (default: discovered)")
connect.add_argument("--start-service", action="store_true", help="start `podman system service` if none answers")


@connect.runs
def do_connect(service: LabService, args: argparse.Namespace) -> Any:
    info = service.reconnect(args.url, start_service=args.start_service)
    mode = "rootless" if info.rootless else "rootful"
    print(f"Connected to Podman {info.version} ({mode}) at {info.url}")
