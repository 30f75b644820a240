"""Any image with Python 3 as a kernel: an ipykernel bundle built for the image's Python.

An image without ipykernel gets one mounted read-only at BUNDLE_MOUNT with PYTHONPATH
pointing at it. The server's own site-packages would only fit a Python of the server's
minor version, and compiled wheels (pyzmq, psutil, debugpy) fit only one CPython minor
version and C library, so the bundle is downloaded for exactly the image's: pip's
``--target --python-version --platform --only-binary`` fetches wheels for a Python that
need not exist on the host.

What an image's Python is comes from one throwaway container (imagecheck.run_probe) and is
kept per image *id* in the user's cache folder: an image id names its content, so the
answer never goes stale, and a second kernel start on the same image asks Podman for the
image's id only. Bundles live in the same folder, one per (Python, C library, machine).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core.errors import KernelStartError, LabContainerError, ServiceUnavailable
from ..service import LabService
from .imagecheck import ImageLacksIpykernel, ProbeInconclusive, run_probe

#: Printed by the image's python3 as one JSON line. Written for any Python 3 (no f-strings):
#: the point is to work on images we know nothing about. libc_ver() reads the interpreter
#: binary; musl leaves it empty, so musl is recognised by its loader.
PROBE_SCRIPT = """
import glob, json, platform, sys
try:
    import ipykernel
    has_ipykernel = True
except Exception:
    has_ipykernel = False
libc, libc_version = platform.libc_ver()
if not libc and glob.glob('/lib/ld-musl-*'):
    libc = 'musl'
print(json.dumps({'python': '%d.%d' % sys.version_info[:2], 'libc': libc, 'libc_version': libc_version,
                  'machine': platform.machine(), 'has_ipykernel': has_ipykernel}))
"""
PROBES_FILE = "python-probes.json"
#: What a bundle holds; pip picks the newest ipykernel that supports the target Python.
REQUIREMENT = "ipykernel"
#: glibc tiers: wheels for manylinux_2_X run on any glibc >= 2.X. Two tiers keep the number of
#: bundles small while letting modern images (glibc >= 2.28: Debian 10+, Ubuntu 20.04+, RHEL 8+)
#: get current pyzmq wheels, which older glibc (CentOS 7) cannot load.
GLIBC_TIERS = (28, 17)
PIP_TIMEOUT = 900.0


def cache_dir() -> Path:
    """Where probes and bundles are kept: LABCONTAINER_CACHE_DIR, else the XDG cache folder."""
    explicit = os.environ.get("LABCONTAINER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "labcontainer"


@dataclass(frozen=True)
class PythonTarget:
    """An image's Python as far as wheels care: version, C library, machine."""

    python: str  # "3.13"
    libc: str = "glibc"  # "glibc", "musl", or "" when the probe could not tell
    libc_version: str = ""  # "2.41"; empty for musl
    machine: str = "x86_64"
    has_ipykernel: bool = False

    @property
    def glibc_tier(self) -> int:
        try:
            major, minor = (int(part) for part in self.libc_version.split(".")[:2])
        except ValueError:
            return GLIBC_TIERS[-1]  # unknown: the oldest tier, whose wheels load on any glibc
        return next((t for t in GLIBC_TIERS if (major, minor) >= (2, t)), GLIBC_TIERS[-1])

    @property
    def family(self) -> str:
        return "musllinux_1_2" if self.libc == "musl" else f"manylinux_2_{self.glibc_tier}"

    @property
    def bundle_name(self) -> str:
        """The bundle's folder name, e.g. cp313-manylinux_2_28-x86_64."""
        return f"cp{self.python.replace('.', '')}-{self.family}-{self.machine}"

    def platforms(self) -> list[str]:
        """pip's --platform tags: every tag a wheel for this family may carry (pip does not
        widen manylinux_2_X to the older ones by itself)."""
        if self.libc == "musl":
            return [f"musllinux_1_1_{self.machine}", f"musllinux_1_2_{self.machine}"]
        tags = [f"manylinux2014_{self.machine}"]
        return tags + [f"manylinux_2_{x}_{self.machine}" for x in range(17, self.glibc_tier + 1)]

    def cli_command(self) -> str:
        """The `labcontainer bundle` command that prepares exactly this bundle."""
        words = ["labcontainer", "bundle", "--python", self.python]
        if self.libc == "musl":
            words.append("--musl")
        elif self.glibc_tier != GLIBC_TIERS[0]:
            words += ["--glibc", f"2.{self.glibc_tier}"]
        if self.machine != platform.machine():
            words += ["--machine", self.machine]
        return " ".join(words)


def probe_python(service: LabService, image: str) -> PythonTarget:
    """What Python a local image has, and whether ipykernel imports in it: from the cache
    when this image id was probed before, else from one throwaway container. Raises
    ImageLacksIpykernel (no python3) or ProbeInconclusive."""
    try:
        image_id = service.images.get(image).id
    except ServiceUnavailable:
        raise ProbeInconclusive("Podman did not answer") from None
    known = _load_probes().get(image_id)
    if isinstance(known, dict):
        try:
            return PythonTarget(**known)
        except TypeError:
            pass  # written by another version of labcontainer: probe again
    output = run_probe(service, image, ("python3", "-c", PROBE_SCRIPT))
    try:
        answer = json.loads(output.strip().splitlines()[-1])
        target = PythonTarget(**answer)
    except (ValueError, TypeError, IndexError):
        raise ProbeInconclusive(f"its python3 printed something unexpected: {output[-200:]!r}") from None
    _save_probe(image_id, target)
    return target


def _load_probes() -> dict:
    try:
        data = json.loads((cache_dir() / PROBES_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_probe(image_id: str, target: PythonTarget) -> None:
    # Written whole and renamed into place: a reader never sees half a file. Two servers
    # writing at once may lose one entry, which only costs a probe later.
    probes = {**_load_probes(), image_id: asdict(target)}
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, prefix=f".{PROBES_FILE}.", delete=False) as out:
            json.dump(probes, out, indent=1)
        os.replace(out.name, folder / PROBES_FILE)
    except OSError:
        pass  # a read-only cache only means probing again next time


def ensure_bundle(target: PythonTarget) -> Path:
    """The folder of an ipykernel bundle for ``target``, built with pip if not there yet.

    Built in a temporary folder beside its place and renamed into it only when complete
    (with a ``.complete`` marker), so a kernel never mounts half a bundle and two servers
    building at once leave one good copy. Raises KernelStartError, saying how to prepare
    one, when pip cannot get the wheels (an offline server)."""
    root = cache_dir() / "bundles"
    final = root / target.bundle_name
    if (final / ".complete").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.bundle_name}-", dir=root))
    try:
        # --no-compile: pip would compile with the host's Python, whose .pyc files the
        # image's Python ignores. The kernel compiles into its PYTHONPYCACHEPREFIX instead.
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                   "--target", str(building), "--python-version", target.python, "--implementation", "cp",
                   "--only-binary=:all:", *(f"--platform={tag}" for tag in target.platforms()), REQUIREMENT]
        try:
            done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=PIP_TIMEOUT, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _unavailable(target, str(exc)) from None
        if done.returncode != 0 or not (building / "ipykernel").is_dir():
            raise _unavailable(target, done.stderr)
        (building / ".complete").write_text(json.dumps({"target": asdict(target), "platforms": target.platforms()}))
        try:
            os.rename(building, final)
        except OSError:
            if not (final / ".complete").is_file():
                raise  # not another server's finished bundle: something is wrong with the folder
            # Another server finished the same bundle first: use theirs.
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def _unavailable(target: PythonTarget, pip_output: str) -> KernelStartError:
    lines = [line.strip() for line in pip_output.splitlines() if line.strip() and not line.startswith("WARNING")]
    said = lines[-1][:300] if lines else "no output"
    return KernelStartError(
        f"No ipykernel bundle for Python {target.python} ({target.family}, {target.machine}) is on this server, and pip "
        f"could not download one (is this server offline?), so a kernel in an image without ipykernel could not start.",
        hint=f"Prepare it once where PyPI is reachable: `{target.cli_command()}` (it is kept in "
        f"{cache_dir() / 'bundles'}), or install ipykernel in the image.\npip said: {said}",
    )


def bundle_for_image(service: LabService, image: str) -> str | None:
    """The host folder to mount as the kernel's ipykernel, or None when the image has its own
    (or could not be probed: it then starts as it is, and a missing ipykernel is explained by
    the start's own failure). Raises ImageLacksIpykernel when the image has no python3."""
    try:
        target = probe_python(service, image)
    except ProbeInconclusive:
        return None
    except ImageLacksIpykernel as exc:
        raise ImageLacksIpykernel(image, python_missing=True, output=exc.detail, at_start=True) from None
    return None if target.has_ipykernel else str(ensure_bundle(target))


def check_ipykernel(service: LabService, image: str) -> str:
    """At kernelspec install: raise ImageLacksIpykernel when a local image has no python3;
    return a one-line note when its kernels will get a bundle or it could not be checked,
    else an empty string. Never pulls."""
    deferred = "whether it has ipykernel will be checked when the kernel first starts."
    try:
        if not service.images.exists(image):
            return f"The image {image} is not on this machine yet: it will be pulled, and {deferred}"
        target = probe_python(service, image)
    except ServiceUnavailable:
        return f"Podman did not answer, so the image {image} was not checked now; {deferred}"
    except ProbeInconclusive as exc:
        return f"The image {image} could not be checked for ipykernel ({exc.reason}); {deferred}"
    except ImageLacksIpykernel:
        raise
    except LabContainerError as exc:
        return f"The image {image} could not be checked for ipykernel ({exc.message}); {deferred}"
    if target.has_ipykernel:
        return ""
    return (f"The image {image} has Python {target.python} but no ipykernel: its kernels get an ipykernel bundle "
            f"for Python {target.python} mounted (built once with pip on this server).")
