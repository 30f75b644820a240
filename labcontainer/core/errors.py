"""labcontainer's exception hierarchy.

Every failure a lab member can cause or fix is one of these. ``str(error)`` is a single
paragraph that says what went wrong and what to do; when Podman's own words help, they
follow on a line of their own (``Podman said: ...``), never run into our sentence.
Front-ends show it as it is (one paragraph in IPython, a status line in the panel, a JSON
``message`` over REST) and never a traceback. The engine translates podman-py and HTTP
failures into these; nothing above the engine sees a podman-py exception.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from .models import LABEL_POOL, PURPOSE_KERNEL, ContainerInfo


#: Where a message is shown: the magics (and the ipywidgets panel, in a notebook too), the
#: side panel (the REST answers are its words), a terminal tab in JupyterLab.
FRONT_ENDS = ("magics", "panel", "terminal")

#: Where the side panel's containers are, for hints that send a user to them.
PANEL_CONTAINERS = "the side panel's Containers section"


class LabContainerError(Exception):
    """Base class: a failure explained for the user.

    Attributes:
        message: what went wrong, in the user's words.
        hint: what to do about it (may be empty).
        detail: the underlying service's own words, kept for logs and bug reports.
        quote: show ``detail`` to the user too, on its own line after ours.
    """

    #: HTTP status a REST front-end should answer with.
    http_status: int = 500

    def __init__(self, message: str, *, hint: str = "", detail: str = "", quote: bool = False) -> None:
        self.message = message
        self.hint = hint
        self.detail = detail
        self.quote = quote
        #: The hint in another front-end's own ways (FRONT_ENDS), where they differ from the magics'.
        self.hints: dict[str, str] = {}
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return self.said_in("magics")

    def said_in(self, front_end: str) -> str:
        """The paragraph as ``front_end`` shows it (FRONT_ENDS): its hint names that
        front-end's own ways (the side panel's buttons, not `%container stop`)."""
        text = self.message.rstrip()
        # A terminal tab is in JupyterLab, beside the side panel: the panel's ways fit it too.
        hint = self.hints.get(front_end) or (self.hints.get("panel") if front_end == "terminal" else None) or self.hint
        if hint:
            text = f"{text} {hint.strip()}"
        if self.quote and self.detail.strip():
            text = f"{text}\n{podman_said(self.detail)}"
        return text

    @property
    def kind(self) -> str:
        """A stable name for the kind of failure, e.g. for JSON answers."""
        return type(self).__name__


def podman_said(text: str, limit: int = 300) -> str:
    """Podman's words as the line that follows ours: labelled, its first line only (the
    rest is Go's context, kept in ``detail``), never run into our sentence. A long line is
    cut between words, with an ellipsis, and keeps its last clause (Go's errors end with
    the cause: "...: manifest unknown")."""
    line = text.strip().splitlines()[0].strip()
    if len(line) <= limit:
        return "Podman said: " + line
    last = line.rpartition(": ")[2]
    if len(last) > limit // 2:
        last = ""
    room = limit - len(last) - 3
    head = line[:room + 1]
    head = head[: head.rfind(" ")] if " " in head else line[:room]
    head = head.rstrip(" :,;([")
    return "Podman said: " + (f"{head} … {last}" if last else f"{head} …")


class InvalidSpec(LabContainerError, ValueError):
    """The user's input is malformed (a volume, port, GPU or size spec, a name...)."""

    http_status = 400


class ServiceUnavailable(LabContainerError):
    """No Podman API service answers at the socket we tried."""

    http_status = 503

    def __init__(self, message: str, *, hint: str = "", detail: str = "", url: str = "") -> None:
        self.url = url
        super().__init__(message, hint=hint, detail=detail)


class ServicePermissionDenied(ServiceUnavailable):
    """The socket exists but this user may not open it."""

    http_status = 403


class NotFoundError(LabContainerError):
    """Base for "no such thing" errors."""

    http_status = 404


class ContainerNotFound(NotFoundError):
    def __init__(self, name: str, *, detail: str = "") -> None:
        self.name = name
        super().__init__(
            f"No container named or with id '{name}'.",
            hint="List your containers with `%container ps -a`.",
            detail=detail,
        )
        self.hints = {
            "panel": f"{PANEL_CONTAINERS[0].upper()}{PANEL_CONTAINERS[1:]} lists them (untick 'only containers started from labcontainer' to see every one).",
            "terminal": f"{PANEL_CONTAINERS[0].upper()}{PANEL_CONTAINERS[1:]} lists the containers; a running one's Terminal button opens a terminal in it.",
        }


class ImageNotFound(NotFoundError):
    def __init__(self, image: str, *, detail: str = "") -> None:
        self.image = image
        super().__init__(
            f"The image '{image}' is not on this machine.",
            hint=f"Pull it first with `%container pull {image}`, or list local images with `%container images`.",
            detail=detail,
        )


class ImageInUse(LabContainerError):
    """An image that containers still use was not removed. labcontainer never removes the
    containers for you (``podman rmi -f`` would): they may hold someone's work. The hint
    says what frees the image for each kind of user: a stopped container is removed, a
    running one is stopped first, a kernel's container goes when its notebook shuts the
    kernel down, and kernels kept ready go with their kernelspec's pool."""

    http_status = 409

    def __init__(self, image: str, users: Sequence[ContainerInfo], *, detail: str = "") -> None:
        self.image = image
        self.containers = tuple(user.name for user in users)
        pools = Counter(user.labels.get(LABEL_POOL, "") for user in users if user.waiting_in_pool)
        others = [user for user in users if not user.waiting_in_pool]
        kernels = [user.name for user in others if user.purpose == PURPOSE_KERNEL]
        running = [user.name for user in others if user.purpose != PURPOSE_KERNEL and user.running]
        stopped = [user.name for user in others if user.purpose != PURPOSE_KERNEL and not user.running]
        named = stopped + running + kernels
        used_by = ([f"{'container' if len(named) == 1 else 'containers'} {', '.join(named)}"] if named else []) + [
            f"{count} {'kernel' if count == 1 else 'kernels'} kept ready for kernelspec {spec}" for spec, count in sorted(pools.items())
        ]
        def steps(panel: bool) -> str:
            done = []
            if stopped:
                done.append(f"remove {', '.join(stopped)} " + ("(its Remove button in " + PANEL_CONTAINERS + ")" if panel else f"(`%container rm {stopped[0]}`)"))
            if running:
                done.append(f"stop and remove {', '.join(running)} " + (
                    f"(Stop, then Remove, in {PANEL_CONTAINERS})" if panel else f"(`%container stop {running[0]}`, then `%container rm {running[0]}`)"
                ))
            if kernels:
                done.append(f"shut down the {'kernel' if len(kernels) == 1 else 'kernels'} of {', '.join(kernels)} from {'its notebook' if len(kernels) == 1 else 'their notebooks'} (Kernel > Shut Down Kernel)")
            if pools:
                done.append(f"set the pool of kernelspec {', '.join(sorted(pools))} to 0 (write it again with the side panel's form "
                            "or `labcontainer kernelspec install --replace --pool 0 ...`) or remove the kernelspec")
            return f"First {'; '.join(done)}, then remove the image." if done else ""

        super().__init__(
            f"The image '{image}' is used by {' and '.join(used_by) or 'a container'}, so it was not removed.",
            hint=steps(panel=False),
            detail=detail,
            quote=bool(detail),
        )
        self.hints = {"panel": steps(panel=True)}


class NameInUse(LabContainerError):
    http_status = 409

    def __init__(self, name: str, *, detail: str = "") -> None:
        self.name = name
        super().__init__(
            f"A container named '{name}' already exists.",
            hint=f"Choose another --name, or remove the old one with `%container rm {name}` if you no longer need it.",
            detail=detail,
        )


class PullFailed(LabContainerError):
    """A pull that did not happen. ``message`` says why in our words (the engine reads
    Podman's text for it), ``hint`` what to check; Podman's text follows on its own line."""

    http_status = 502

    def __init__(self, image: str, reason: str, *, message: str = "", hint: str = "", quote: bool = True) -> None:
        self.image = image
        super().__init__(
            message or f"Could not pull '{image}'.",
            hint=hint
            or (
                "Check the image name and its registry, and whether this server can reach that "
                "registry; a lab usually pulls through its registry mirror (set in registries.conf, "
                "e.g. ~/.config/containers/registries.conf: ask your admin for it)."
            ),
            detail=reason,
            quote=quote,
        )


class TooBusy(LabContainerError):
    """This server already runs as much of some background work (log followers, pulls) as it
    allows at once; nothing was started. Try again when some of it has ended."""

    http_status = 429


class RootlessSetupError(LabContainerError):
    """Rootless Podman cannot map the user's UIDs/GIDs (subuid/subgid not set up or stale)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "Rootless Podman cannot find the UID/GID ranges for your user.",
            hint=(
                "Run `podman system migrate` in a terminal and try again; if it persists, ask your "
                "admin to add your user to /etc/subuid and /etc/subgid."
            ),
            detail=detail,
        )


class NoSubuidRange(ServiceUnavailable):
    """The member has no subordinate UID/GID range: rootless Podman cannot run their containers."""

    def __init__(self, user: str, missing: str, detail: str = "") -> None:
        super().__init__(
            f"Your user {user} has no subordinate ID range in {missing}, so rootless Podman cannot run "
            "containers for you and labcontainer did not start a Podman service.",
            hint=(
                f"Ask the lab's admin to give {user} a range of its own, e.g. `usermod --add-subuids "
                f"200000-265535 --add-subgids 200000-265535 {user}` (one not used by another member), and "
                "then run `podman system migrate` as that user."
            ),
            detail=detail,
        )


class PodmanNeedsMigrate(ServiceUnavailable):
    """Podman says ``cannot find UID/GID for user`` though the member has a range: its
    user namespace was made before the range existed."""

    def __init__(self, user: str, detail: str = "") -> None:
        super().__init__(
            f"Rootless Podman cannot find the UID/GID range of {user}, though /etc/subuid and /etc/subgid "
            "list one: Podman still uses the user namespace it made before that range was added.",
            hint=(
                f"Run `podman system migrate` as {user} (the admin: `runuser -u {user} -- podman system "
                "migrate`), then restart the Jupyter server."
            ),
            detail=detail,
        )


class RuntimeDirNotOwned(ServiceUnavailable):
    """The runtime folder where the member's Podman keeps its socket belongs to someone else."""

    http_status = 403

    def __init__(self, path: str, owner: str, user: str) -> None:
        super().__init__(
            f"The runtime folder {path} belongs to {owner}, not to {user}, so labcontainer will not start "
            f"{user}'s Podman service there (another user could read or take over its socket).",
            hint=(
                f"Ask the lab's admin to remove {path} (or give it to {user}: `chown {user}: {path}; "
                f"chmod 0700 {path}`); with systemd, `loginctl enable-linger {user}` makes /run/user for them."
            ),
            url=f"unix://{path}/podman/podman.sock",
        )


class GpuDeviceUnknown(LabContainerError):
    """A CDI GPU device was asked for that no CDI spec on this machine defines."""

    http_status = 400

    def __init__(self, devices: str, *, detail: str = "") -> None:
        self.devices = devices
        super().__init__(
            f"Podman does not know the GPU device(s) {devices}.",
            hint=(
                "GPUs reach containers through a CDI spec: an admin generates it with "
                "`sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml` (check with "
                "`nvidia-ctk cdi list`). `%gpus` shows the GPUs this machine has."
            ),
            detail=detail,
        )


class NotSupportedHere(LabContainerError):
    """The service refuses an operation on this host (e.g. stats on rootless cgroup v1)."""

    http_status = 501


class ContainerStateError(LabContainerError):
    """The container is not in a state that allows the operation."""

    http_status = 409


class PodmanError(LabContainerError):
    """Any other failure reported by the Podman service."""

    http_status = 502


class KernelStartError(LabContainerError):
    """A container kernel did not come up; carries the container's last log lines."""

    http_status = 500

    def __init__(self, message: str, *, hint: str = "", logs: str = "") -> None:
        self.logs = logs
        text_hint = hint
        if logs.strip():
            text_hint = f"{hint} Last lines from the container:\n{logs.rstrip()}".strip()
        super().__init__(message, hint=text_hint, detail=logs)


class LoginFailed(LabContainerError):
    """The registry did not accept the user name and password (nothing was stored)."""

    http_status = 401


class NotLoggedIn(NotFoundError):
    """``logout`` of a registry the auth file has no login for."""


class RegistryUnreachable(LabContainerError):
    """A registry could not be reached (or answered in a way we cannot use)."""

    http_status = 502
