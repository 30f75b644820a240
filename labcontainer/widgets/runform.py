"""The panel's Run form: what ``%container run`` takes, as widgets.

Volumes and environment variables go one per line (a comma cannot separate them: Podman's
own volume options and many values contain commas). Each line is checked by the same
parsers as ``-v`` and ``-e`` before anything is created.

The image box offers this machine's images and takes any other name: an image that is not
here is pulled first, as ``podman run`` does, with a bar in the form (bytes, %, speed).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import ipywidgets as widgets

from ..core.errors import InvalidSpec
from ..core.models import ContainerSpec, PullProgress
from ..core.timefmt import human_bytes
from ..service import LabService
from .layout import fit_layout, wrapping_row


def lines_of(text: str) -> list[str]:
    """The non-blank lines of a text box, without surrounding spaces."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class RunForm(widgets.VBox):
    def __init__(self) -> None:
        # A combobox, not a dropdown: an image to pull is one this machine does not list yet.
        # Empty until the user picks or types one (a prefilled image was run by mistake), and
        # wide enough for a registry name with its tag; never wider than the notebook.
        self.image = widgets.Combobox(description="image", options=[], ensure_option=False,
                                      placeholder="a local image, or one to pull, e.g. python:3.12",
                                      layout=widgets.Layout(width="460px", max_width="100%"))
        self.name = widgets.Text(description="name", placeholder="optional")
        self.gpu_choices = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        # Hidden until there are GPUs to offer: a bare "GPUs:" says nothing (the GPU strip
        # above says why there are none).
        self.gpu_row = widgets.HBox([widgets.HTML("GPUs:&nbsp;"), self.gpu_choices], layout=widgets.Layout(display="none"))
        wide = {"width": "560px", "max_width": "100%"}  # room for a path pair on one line
        self.volumes = widgets.Textarea(description="volumes", rows=2, layout=widgets.Layout(**wide),
                                        placeholder="/host/path:/container/path[:ro]  (one per line)")
        self.env = widgets.Textarea(description="env", rows=2, layout=widgets.Layout(**wide),
                                    placeholder="NAME=VALUE  (one per line)")
        self.command = widgets.Text(description="command", placeholder="e.g. sleep infinity", layout=widgets.Layout(**wide))
        self.detach = widgets.Checkbox(value=True, description="detached", indent=False, layout=fit_layout())
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="rocket", layout=fit_layout())
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, layout=widgets.Layout(display="none", width="200px"))
        # Shown from the first pull on: the pull's bar, then its summary (or why it failed).
        self.pull_bar = widgets.FloatProgress(value=0, min=0, max=1, description="pull", layout=widgets.Layout(width="260px"))
        self.pull_text = widgets.Label()
        self.pull_row = wrapping_row([self.pull_bar, self.pull_text])
        self.pull_row.layout.display = "none"
        super().__init__([
            wrapping_row([self.image, self.name]),
            self.gpu_row,
            self.volumes,
            self.env,
            self.command,
            wrapping_row([self.detach, self.run_button, self.progress]),
            self.pull_row,
        ])

    def set_images(self, names: Sequence[str]) -> None:
        """Offer these images; the box keeps what the user chose or typed (it may be one to
        pull), and stays empty until then."""
        self.image.options = list(names)

    def set_gpus(self, labels: Sequence[str]) -> None:
        """Offer these GPUs (e.g. "GPU 1 (free)"), keeping what the user ticked; none: hide the row."""
        checked = {c.description: c.value for c in self.gpu_choices.children}
        self.gpu_choices.children = [
            widgets.Checkbox(value=checked.get(label, False), description=label, indent=False, layout=fit_layout())
            for label in labels
        ]
        self.gpu_row.layout.display = "flex" if labels else "none"

    def fill(self, *, image: str | None = None, name: str = "", gpus: tuple[int, ...] = (), volumes: str = "",
             env: str = "", command: str = "", detach: bool = True) -> None:
        """Fill the form as a user would (for tests and scripts)."""
        if image is not None:
            if image not in self.image.options:
                self.image.options = list(self.image.options) + [image]
            self.image.value = image
        self.name.value = name
        self.volumes.value = volumes
        self.env.value = env
        self.command.value = command
        self.detach.value = detach
        for box in self.gpu_choices.children:
            box.value = any(box.description.split()[1] == str(i) for i in gpus)

    def spec(self, service: LabService) -> ContainerSpec:
        """The form's values as a checked ContainerSpec; raises InvalidSpec naming the bad entry."""
        try:
            command = shlex.split(self.command.value)
        except ValueError as exc:
            raise InvalidSpec(f"Cannot read the command: {exc}.", hint="Check its quotes.") from None
        gpus = [box.description.split()[1] for box in self.gpu_choices.children if box.value]
        return service.build_spec(
            self.image.value or "",
            command,
            name=self.name.value.strip() or None,
            volumes=lines_of(self.volumes.value),
            env=lines_of(self.env.value),
            gpus=",".join(gpus) if gpus else None,
        )

    def busy(self, running: bool) -> None:
        """Show an indeterminate-looking bar while a container is being created."""
        self.progress.layout.display = "block" if running else "none"
        self.progress.bar_style = "info"
        self.progress.value = 0.3

    def ensure_image(self, service: LabService, image: str) -> None:
        """Pull IMAGE when this machine lacks it, showing the pull in the form (as ``podman
        run`` pulls a missing image). A ``localhost/`` name is never pulled: such an image can
        only have been built here, so the run's own "no such image" says what to do."""
        if image.startswith("localhost/") or service.images.exists(image):
            return
        self.pull_bar.value, self.pull_bar.bar_style = 0.0, "info"
        self.pull_text.value = f"Pulling {image}"
        self.pull_row.layout.display = "flex"
        try:
            service.images.pull(image, on_progress=self.show_pull)
        except BaseException as exc:
            self.pull_bar.bar_style = "danger"
            # The kernel's interrupt stops the pull, and Podman keeps nothing (engine.pull says why).
            interrupted = isinstance(exc, KeyboardInterrupt)
            self.pull_text.value = f"pull of {image} interrupted; nothing was kept" if interrupted else f"Could not pull {image}: see the status line"
            raise
        self.pull_bar.bar_style = "success"
        if image not in self.image.options:  # offered from now on, like the other local images
            self.image.options = [*self.image.options, image]

    def show_pull(self, step: PullProgress) -> None:
        """One progress step of the pull: the bar, and bytes, % and speed beside it."""
        if step.fraction is not None:
            self.pull_bar.value = step.fraction
        self.pull_text.value = pull_words(step)


def pull_words(step: PullProgress) -> str:
    """``45 % · 15.1 MB of 33.6 MB · 9.1 MB/s · 4 s left`` while bytes arrive; else Podman's step."""
    if step.done or not step.total:
        return step.message
    words = [f"{(step.fraction or 0) * 100:.0f} %", f"{human_bytes(step.downloaded)} of {human_bytes(step.total)}"]
    if step.speed:
        words.append(f"{human_bytes(int(step.speed))}/s")
    if step.eta is not None:
        words.append(f"{step.eta:.0f} s left")
    return " · ".join(words)
