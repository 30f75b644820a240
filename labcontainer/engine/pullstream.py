"""Reading a pull's event stream: Podman's JSON events -> PullProgress steps.

Two shapes reach us (engine/images.py says which endpoint is used when, and why):

- Docker-compatible ``/images/create``: per layer, ``{"status": "Pulling fs layer", "id": L}``,
  then about once a second while bytes arrive ``{"status": "Downloading", "progressDetail":
  {"current": N, "total": M}, "id": L}``, then ``"Download complete"``; ``"Already exists"``
  for a layer this machine has. A fast pull (loopback) may show no "Downloading" at all.
- libpod ``/libpod/images/pull``: text lines ``{"stream": "Copying blob sha256:..."}`` and a
  last ``{"images": [...], "id": IMAGE_ID}``; no byte counts in Podman 4.

Both put a failure in the 200 stream as ``{"error": TEXT}``: that is the caller's to raise.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

from ..core.models import ImageInfo, PullProgress
from ..core.timefmt import human_bytes


class PullTracker:
    """The state of one pull: layers' byte counts so far, the image id once Podman says it."""

    def __init__(self, image: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.image = image
        self.image_id: str | None = None
        self._clock = clock
        self._start = clock()
        self._layers: dict[str, tuple[int, int]] = {}  # layer id -> (bytes so far, size)

    @property
    def elapsed(self) -> float:
        return self._clock() - self._start

    @property
    def downloaded(self) -> int:
        return sum(current for current, _ in self._layers.values())

    @property
    def total(self) -> int:
        return sum(size for _, size in self._layers.values())

    def step(self, message: str, *, layer: str = "", done: bool = False, fraction: float | None = None) -> PullProgress:
        """A progress step carrying the byte counts as they are now."""
        downloaded, total = self.downloaded, self.total
        if fraction is None and total:
            fraction = min(1.0, downloaded / total)
        return PullProgress(
            image=self.image,
            message=message,
            fraction=fraction,
            done=done,
            layer=layer,
            downloaded=downloaded,
            total=total,
            elapsed=self.elapsed,
        )

    def read(self, event: Mapping[str, Any]) -> PullProgress | None:
        """The step one event makes (None for an event with nothing to show). Errors are
        not looked at here: the caller checks ``event.get("error")`` first."""
        if "images" in event:  # libpod's last event: the image id
            self.image_id = str(event.get("id") or "") or None
            return None
        text = event.get("stream")
        if text is not None:
            text = str(text).strip()
            return self.step(text) if text else None
        status = str(event.get("status") or "").strip()
        layer = str(event.get("id") or "")
        detail = event.get("progressDetail") or {}
        if status == "Downloading" and detail.get("total"):
            current, size = int(detail.get("current") or 0), int(detail["total"])
            self._layers[layer] = (current, size)
            return self.step(f"Downloading {layer}: {human_bytes(current)} of {human_bytes(size)}", layer=layer)
        if status == "Download complete" and layer in self._layers:
            size = self._layers[layer][1]
            self._layers[layer] = (size, size)
        if not status:
            return None
        return self.step(f"{status} {layer}".strip(), layer=layer)

    def summary(self, info: ImageInfo) -> PullProgress:
        """The last step: what was pulled, its size, and how long it took."""
        got = f", {human_bytes(self.downloaded)} downloaded" if self.downloaded else ""
        message = f"Pulled {info.name}: image {info.short_id}, {human_bytes(info.size)}{got}, in {self.elapsed:.1f} s"
        return self.step(message, done=True, fraction=1.0)
