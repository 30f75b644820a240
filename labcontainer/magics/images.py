"""``%container`` subcommands about images and the service: pull, images, connect."""

from __future__ import annotations

import argparse
from typing import Any

from ..service import LabService
from .progress import pull_progress
from .registry import subcommand
from .render import IMAGE_COLUMNS, Records

pull = subcommand("pull", "Pull an image from a registry.")
pull.add_argument("image", help="e.g. nvcr.io/nvidia/pytorch:24.05-py3")


@pull.runs
def do_pull(service: LabService, args: argparse.Namespace) -> Any:
    with pull_progress(args.image) as report:
        info = service.pull(args.image, on_progress=report)
    return Records([info], IMAGE_COLUMNS)


images = subcommand("images", "List local images.")
images.runs(lambda service, args: Records(service.images(), IMAGE_COLUMNS, empty="No images. Pull one with `%container pull IMAGE`."))

connect = subcommand("connect", "(Re)connect to a Podman service.")
connect.add_argument("--url", help="unix:///path/podman.sock (default: discovered)")
connect.add_argument("--start-service", action="store_true", help="start `podman system service` if none answers")


@connect.runs
def do_connect(service: LabService, args: argparse.Namespace) -> Any:
    info = service.reconnect(args.url, start_service=args.start_service)
    mode = "rootless" if info.rootless else "rootful"
    print(f"Connected to Podman {info.version} ({mode}) at {info.url}")
