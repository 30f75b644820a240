"""One throwaway container that asks an image's Python a question (bundle.py asks which
Python it is and whether ipykernel imports).

Run when a kernelspec is written and, once per image id, when a kernel first starts in an
image: no network, about half a second, removed at once. An image whose entry point ignores
the command is given up on after PROBE_TIMEOUT rather than waited on forever.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from ..core.errors import InvalidSpec, LabContainerError, ServiceUnavailable
from ..core.models import ContainerSpec
from ..service import LabService

#: Probe containers are named so; tests (and users reading `podman ps -a`) recognise them.
PROBE_PREFIX = "lc-ipykernel-check-"
#: States of a probe container that has not finished yet.
_UNFINISHED = ("created", "configured", "initialized", "running", "stopping", "unknown")
PROBE_TIMEOUT = 30.0


class ImageLacksIpykernel(InvalidSpec):
    """The image cannot serve as a kernel: it has no python3 (an image with Python but no
    ipykernel gets an ipykernel bundle mounted instead, see bundle.py)."""

    def __init__(self, image: str, *, python_missing: bool = True, output: str = "", at_start: bool = False) -> None:
        self.image = image
        what = "no python3" if python_missing else "Python but no ipykernel"
        outcome = "the kernel was not started" if at_start else "no kernelspec was written"
        cure = (
            "Use an image with Python 3 in it (any Python 3 image works: an ipykernel is mounted into it when it has none)."
            if python_missing
            else "Install ipykernel in the image (pip install ipykernel)."
        )
        hint = cure + (f"\n{output.strip()}" if output.strip() else "")
        super().__init__(
            f"The image {image} has {what}, so a container kernel cannot run in it; {outcome}.",
            hint=hint,
            detail=output,
        )


class ProbeInconclusive(Exception):
    """The probe did not answer (Podman away, image stuck, odd output): ``reason`` says why,
    in words that finish the sentence "The image X could not be checked (...)"."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def run_probe(service: LabService, image: str, command: Sequence[str]) -> str:
    """Run ``command`` in a throwaway, network-less container of a local ``image``; return
    its output. Raises ImageLacksIpykernel when the image has no such program (python3),
    ProbeInconclusive when it could not find out. Never pulls, never leaves the container."""
    name = f"{PROBE_PREFIX}{uuid.uuid4().hex[:10]}"
    spec = ContainerSpec(image=image, command=tuple(command), name=name, network="none")
    try:
        service.run(spec)
    except ServiceUnavailable:
        raise ProbeInconclusive("Podman did not answer") from None
    except LabContainerError as exc:
        text = f"{exc} {exc.detail}".lower()
        if "executable file not found" in text or "no such file or directory" in text:
            raise ImageLacksIpykernel(image, python_missing=True, output=exc.detail or str(exc)) from None
        raise ProbeInconclusive(exc.message) from None
    try:
        exit_code = _wait_for_exit(service, name)
        if exit_code is None:
            raise ProbeInconclusive(f"its probe did not finish within {PROBE_TIMEOUT:.0f} s")
        lines = [line for line in service.logs(name) if line.strip()]
        if exit_code == 127:
            raise ImageLacksIpykernel(image, python_missing=True, output=lines[-1] if lines else "")
        if exit_code != 0:
            raise ProbeInconclusive(f"its python3 exited with code {exit_code}: {lines[-1] if lines else 'no output'}")
        return "\n".join(lines)
    except ServiceUnavailable:
        raise ProbeInconclusive("Podman stopped answering") from None
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
