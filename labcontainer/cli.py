"""The `labcontainer` command: manage container kernelspecs from a terminal.

    labcontainer kernelspec install --image IMG [--name N] [--display-name D] [--gpus SPEC] [--volume H:C]...
    labcontainer kernelspec list
    labcontainer kernelspec remove NAME
"""

from __future__ import annotations

import argparse
import sys

from .errors import LabContainerError
from .kernelspecs import install_kernelspec, list_kernelspecs, remove_kernelspec


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labcontainer", description="Container kernels for Jupyter, on Podman.")
    commands = parser.add_subparsers(dest="command", required=True)
    kernelspec = commands.add_parser("kernelspec", help="container kernelspecs shown in the JupyterLab launcher")
    actions = kernelspec.add_subparsers(dest="action", required=True)

    install = actions.add_parser("install", help="make an image a kernel in the launcher")
    install.add_argument("--image", required=True)
    install.add_argument("--name")
    install.add_argument("--display-name")
    install.add_argument("--gpus", help="all, 0, 0,1, GPU-<uuid> or count=N")
    install.add_argument("--volume", "-v", action="append", default=[], help="HOST:CONTAINER[:ro], repeatable")
    install.add_argument("--env", "-e", action="append", default=[], help="NAME=VALUE, repeatable")
    install.add_argument("--shm-size")
    install.add_argument("--network", help="container network (default: Podman's default)")
    install.add_argument("--transport", choices=("ipc", "tcp"), default="ipc")
    install.add_argument("--inject-ipykernel", action="store_true", help="for images with python3 but no ipykernel")
    install.add_argument("--prefix", help="install under PREFIX/share/jupyter/kernels instead of the user's data dir")

    actions.add_parser("list", help="list labcontainer's kernelspecs")
    remove = actions.add_parser("remove", help="remove a labcontainer kernelspec")
    remove.add_argument("name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.action == "install":
            info = install_kernelspec(
                args.image,
                name=args.name,
                display_name=args.display_name,
                gpus=args.gpus,
                volumes=args.volume,
                env=args.env,
                shm_size=args.shm_size,
                network=args.network,
                transport=args.transport,
                inject_ipykernel=args.inject_ipykernel,
                prefix=args.prefix,
            )
            print(f"Installed kernelspec '{info.name}' ({info.display_name}) in {info.resource_dir}")
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
