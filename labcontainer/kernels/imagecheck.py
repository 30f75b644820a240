"""Does an image have ipykernel? Asked once, when a kernelspec is written, not at every start.

A kernelspec for an image without ipykernel looks fine in the launcher and only fails when
someone opens a notebook with it. When the image is already on this machine, one throwaway
container (``python3 -c "import ipykernel"``, no network, about half a second) answers the
question while the user is still looking at the form. An image that is not here is not
pulled just to check: the first kernel start pulls it and explains a missing ipykernel then.
"""

from __future__ import annotations

import time
import uuid

from ..core.errors import InvalidSpec, LabContainerError, ServiceUnavailable
from ..core.models import ContainerSpec
from ..service import LabService

PROBE_COMMAND = ("python3", "-c", "import ipykernel")
#: States of a probe container that has not finished yet.
_UNFINISHED = ("created", "configured", "initialized", "running", "stopping", "unknown")
#: An image whose entry point ignores the command could run forever: stop waiting then.
PROBE_TIMEOUT = 30.0


class ImageLacksIpykernel(InvalidSpec):
    """The image cannot serve as a kernel: python3 or ipykernel is missing in it."""

    def __init__(self, image: str, *, python_missing: bool, output: str = "") -> None:
        self.image = image
        what = "no python3" if python_missing else "Python but no ipykernel"
        cure = (
            "Use an image with Python 3 and ipykernel."
            if python_missing
            else "Install ipykernel in the image (pip install ipykernel), or let labcontainer mount this "
            "server's ipykernel into it: `labcontainer kernelspec install --inject-ipykernel ...` "
            '(REST: "inject_ipykernel": true; the image\'s Python must have the same minor version as the server\'s).'
        )
        hint = cure + (f"\n{output.strip()}" if output.strip() else "")
        super().__init__(
            f"The image {image} has {what}, so a container kernel could not start in it; no kernelspec was written.",
            hint=hint,
            detail=output,
        )


def check_ipykernel(service: LabService, image: str) -> str:
    """Raise ImageLacksIpykernel when a local ``image`` cannot import ipykernel.

    Returns a note for the user when nothing could be checked (image not here, Podman not
    answering, the probe not finishing), else an empty string. Never pulls."""
    deferred = "whether it has ipykernel will be checked when the kernel first starts."
    try:
        if not service.image_exists(image):
            return f"The image {image} is not on this machine yet: it will be pulled, and {deferred}"
    except ServiceUnavailable:
        return f"Podman did not answer, so the image {image} was not checked now; {deferred}"
    name = f"lc-ipykernel-check-{uuid.uuid4().hex[:10]}"
    spec = ContainerSpec(image=image, command=PROBE_COMMAND, name=name, network="none")
    try:
        service.run(spec)
    except ServiceUnavailable:
        return f"Podman did not answer, so the image {image} was not checked now; {deferred}"
    except LabContainerError as exc:
        text = f"{exc} {exc.detail}".lower()
        if "executable file not found" in text or "no such file or directory" in text:
            raise ImageLacksIpykernel(image, python_missing=True, output=exc.detail or str(exc)) from None
        return f"The image {image} could not be checked for ipykernel ({exc.message}); {deferred}"
    try:
        exit_code = _wait_for_exit(service, name)
        if exit_code is None:
            return f"The image {image} could not be checked for ipykernel within {PROBE_TIMEOUT:.0f} s; {deferred}"
        if exit_code != 0:
            lines = [line for line in service.logs(name, tail=5) if line.strip()]
            output = lines[-1] if lines else ""  # e.g. ModuleNotFoundError: No module named 'ipykernel'
            raise ImageLacksIpykernel(image, python_missing=exit_code == 127, output=output)
        return ""
    finally:
        try:
            service.remove(name, force=True)
        except LabContainerError:
            pass  # already gone, or Podman went away: nothing else of the user's is touched


def _wait_for_exit(service: LabService, name: str) -> int | None:
    """The probe's exit code, or None when it did not finish in time (or Podman did not
    say). Polls: a blocking wait would hold the request forever on a stuck image."""
    deadline = time.monotonic() + PROBE_TIMEOUT
    while time.monotonic() < deadline:
        info = service.get(name)
        if info.state not in _UNFINISHED:
            # Podman records the exit code as it marks the container stopped. (Not `podman
            # wait`: measured here, it can take 20 s to answer for a container already stopped.)
            return info.exit_code
        time.sleep(0.05)
    return None
