"""The `labcontainer` command: manage container kernelspecs from a terminal.

    labcontainer kernelspec install --image IMG [--name N] [--display-name D] [--gpus SPEC] [--volume H:C]... [--replace]
    labcontainer kernelspec list
    labcontainer kernelspec remove NAME
    labcontainer bundle --python 3.13 [--glibc 2.17 | --musl] [--machine aarch64]

The install options are generated from KernelContainerConfig's fields, so the CLI, the
kernelspec file and the REST API accept the same settings.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import re
import sys

from .core.errors import InvalidSpec, LabContainerError
from .kernels.bundle import GLIBC_TIERS, PythonTarget, ensure_bundle
from .kernels.config import KernelContainerConfig
from .kernels.kernelspecs import install_kernelspec, list_kernelspecs, remove_kernelspec
from .service import Services, default_service, open_service


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    """One option per KernelContainerConfig field, typed and described by the field."""
    defaults = KernelContainerConfig()
    for field in dataclasses.fields(KernelContainerConfig):
        meta = field.metadata
        if meta.get("cli") is False:
            continue
        flag = meta.get("flag") or "--" + field.name.replace("_", "-")
        names = [flag] + ([meta["short"]] if meta.get("short") else [])
        default = getattr(defaults, field.name)
        options: dict = {"dest": field.name, "help": meta["help"]}
        if field.type == "bool":
            if default:  # e.g. --no-mount-workdir
                names = ["--no-" + field.name.replace("_", "-")]
                options.update(action="store_false", default=True, help="do not " + meta["help"])
            else:
                options.update(action="store_true", default=False)
        elif field.type.startswith(("tuple", "Mapping")):
            options.update(action="append", default=[], help=meta["help"] + " (repeatable)")
        elif field.type == "float":
            options.update(type=float, default=default)
        elif field.type == "int":
            options.update(type=int, default=default)
        else:
            options.update(default=default, required=field.name == "image")
        parser.add_argument(*names, **options)


def _labels(items: list[str]) -> dict[str, str]:
    """``--label KEY=VALUE`` options as a mapping (as `podman run --label` takes them)."""
    labels = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidSpec(f"Label '{item}' is not KEY=VALUE.", hint="Write it as --label KEY=VALUE.")
        labels[key] = value
    return labels


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labcontainer", description="Container kernels for Jupyter, on Podman.")
    commands = parser.add_subparsers(dest="command", required=True)
    kernelspec = commands.add_parser("kernelspec", help="container kernelspecs shown in the JupyterLab launcher")
    actions = kernelspec.add_subparsers(dest="action", required=True)

    install = actions.add_parser("install", help="make an image a kernel in the launcher")
    install.add_argument("--name", help="kernelspec name (default: from the image and GPUs)")
    install.add_argument("--display-name", help="name shown in the launcher")
    install.add_argument("--prefix", help="install under PREFIX/share/jupyter/kernels instead of the user's data dir")
    install.add_argument("--replace", action="store_true", help="replace a labcontainer kernelspec of the same name")
    _add_config_options(install)

    actions.add_parser("list", help="list labcontainer's kernelspecs")
    remove = actions.add_parser("remove", help="remove a labcontainer kernelspec")
    remove.add_argument("name")

    # An offline server cannot download the ipykernel an image without one needs: this
    # prepares it beforehand (or on a machine with PyPI, sharing the cache folder).
    bundle = commands.add_parser("bundle", help="prepare the ipykernel mounted into images without one (needs PyPI)")
    bundle.add_argument("--python", required=True, help="the image's Python version, e.g. 3.13")
    libc = bundle.add_mutually_exclusive_group()
    libc.add_argument("--glibc", default=f"2.{GLIBC_TIERS[0]}", help="the oldest glibc the images have (default: %(default)s)")
    libc.add_argument("--musl", action="store_true", help="for musl images (Alpine)")
    bundle.add_argument("--machine", default=platform.machine(), help="the images' machine (default: %(default)s)")
    return parser


def _bundle(args: argparse.Namespace) -> None:
    if not re.fullmatch(r"3\.\d{1,2}", args.python):
        raise InvalidSpec(f"'{args.python}' is not a Python version.", hint="Give major.minor, e.g. --python 3.13.")
    libc = "musl" if args.musl else "glibc"
    target = PythonTarget(python=args.python, libc=libc, libc_version="" if args.musl else args.glibc, machine=args.machine)
    print(f"Building the ipykernel bundle for Python {target.python} ({target.family}, {target.machine}) with pip...", flush=True)
    print(f"Ready: {ensure_bundle(target)}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "bundle":
            _bundle(args)
        elif args.action == "install":
            settings = {name: getattr(args, name) for name in KernelContainerConfig.field_names() if hasattr(args, name)}
            settings["labels"] = _labels(settings.get("labels", []))
            config = KernelContainerConfig.from_mapping(settings, where="the command line")
            service = default_service()
            if config.on_other_server:  # each name must be one of the user's connections; the image is checked there
                servers = Services(open_service, service)
                service = [servers.get(name) for name in config.connection][0]
            info = install_kernelspec(
                config,
                name=args.name,
                display_name=args.display_name,
                prefix=args.prefix,
                replace=args.replace,
                service=service,
            )
            print(f"Installed kernelspec '{info.name}' ({info.display_name}) in {info.resource_dir}")
            if info.note:
                print(info.note)
        elif args.action == "list":
            specs = list_kernelspecs()
            if not specs:
                print("No container kernelspecs yet: labcontainer kernelspec install --image IMAGE")
            for info in specs:
                print(f"{info.name:30} {info.image:45} gpus={info.gpus or '-':6} {info.display_name}")
        elif args.action == "remove":
            remove_kernelspec(args.name)
            print(f"Removed kernelspec '{args.name}'")
    except LabContainerError as exc:
        print(f"labcontainer: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
