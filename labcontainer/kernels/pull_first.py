"""A kernel's image, pulled before its container is made (when it is missing).

This runs before the container exists, so the startup timeout (counted while waiting for the
kernel's sockets) does not include the pull; while it runs the service lists it, with the
kernel's id, for the side panel (GET pulls). A shutdown meanwhile (``cancelled`` set) stops
it at its next step: out of the pull's stream, the engine closes it and Podman gives it up.
"""

from __future__ import annotations

import threading
from typing import Any

from ..core.models import PullProgress
from .launch import StartCancelled


def ensure_image(service: Any, image: str, *, kernel_id: str, cancelled: threading.Event, log: Any) -> None:
    """Pull ``image`` on ``service``'s server if it is not there. Raises StartCancelled."""

    def step(progress: PullProgress) -> None:
        log.info("labcontainer pull for kernel %s: %s", kernel_id, progress.message)
        if cancelled.is_set() and not progress.done:
            raise StartCancelled(f"kernel {kernel_id} was shut down while its image was pulled")

    if not service.images.exists(image):
        log.info("labcontainer: pulling %s before starting kernel %s", image, kernel_id)
        service.images.pull(image, on_progress=step, kernel_id=kernel_id)
    if cancelled.is_set():  # (between the check and the pull, or a pull just done)
        raise StartCancelled(f"kernel {kernel_id} was shut down while its image {image} was pulled")
