"""The Run form filled in as a user would: GPUs, several volumes, environment, attached runs."""

from __future__ import annotations

import html

from labcontainer.gpus import RecordedReader
from labcontainer.service import LabService
from labcontainer.widgets import ContainerPanel

from ..conftest import no_driver_reader, wait_until


def inspect(podman_cli, name: str, template: str) -> str:
    return podman_cli("inspect", "--format", template, name).stdout.strip()


def test_no_gpus_no_bare_gpus_label(engine, panel, test_image, unique_name, podman_cli):
    """On a machine without a driver the form offers no GPUs, and says nothing half-way."""
    bare = ContainerPanel(LabService(engine, nvml=no_driver_reader()), auto_refresh=False)
    try:
        assert bare.run_form.gpu_row.layout.get_state()["display"] == "none"
        assert bare.run_form.gpu_choices.children == ()
        name = unique_name()
        bare.run_form.image.value = test_image
        bare.run_form.name.value = name
        bare.run_form.command.value = "sleep infinity"
        bare.run_form.run_button.click()
        assert podman_cli.state(name) == "running", bare.status
        assert inspect(podman_cli, name, "{{len .HostConfig.Devices}}") == "0"
    finally:
        bare.close()
    # NVML working but no GPUs: the strip says so, the form offers none.
    empty = ContainerPanel(LabService(engine, nvml=RecordedReader({"gpus": []})), auto_refresh=False)
    assert "no GPUs" in empty.gpus_text
    assert empty.run_form.gpu_row.layout.get_state()["display"] == "none"
    empty.close()
    # Where there are GPUs, the row is there with one box per GPU.
    assert panel.run_form.gpu_row.layout.get_state()["display"] == "flex"
    assert [box.description.removesuffix(" (free)") for box in panel.run_form.gpu_choices.children] == ["GPU 0", "GPU 1"]


def test_environment_variables_one_per_line(panel, test_image, unique_name, podman_cli):
    name = unique_name()
    panel.run_form.fill(image=test_image, name=name, command="sleep infinity")
    panel.run_form.env.value = "GREETING=hello, world\n\n  LEVEL=3  \nEMPTY="
    panel.run_form.run_button.click()
    assert podman_cli.state(name) == "running", panel.status
    env = inspect(podman_cli, name, "{{range .Config.Env}}{{println .}}{{end}}").splitlines()
    assert {"GREETING=hello, world", "LEVEL=3", "EMPTY="} <= set(env)

    bad = unique_name("bad")
    panel.run_form.fill(image=test_image, name=bad, command="true")
    panel.run_form.env.value = "GOOD=1\nNOT VALID"
    panel.run_form.run_button.click()
    assert "Bad environment variable 'NOT VALID'" in html.unescape(panel.status)
    assert not podman_cli.exists(bad), "nothing is created from a form with a bad line"


def test_several_volumes_each_checked(panel, test_image, unique_name, podman_cli, tmp_path):
    data, models = tmp_path / "data", tmp_path / "models"
    data.mkdir()
    models.mkdir()
    name = unique_name()
    panel.run_form.fill(image=test_image, name=name, command="sleep infinity")
    panel.run_form.volumes.value = f"{data}:/data\n{models}:/models:ro\n"
    panel.run_form.run_button.click()
    assert podman_cli.state(name) == "running", panel.status
    mounts = inspect(podman_cli, name, "{{range .Mounts}}{{.Source}}>{{.Destination}}>{{.RW}};{{end}}")
    assert set(mounts.strip(";").split(";")) == {f"{data}>/data>true", f"{models}>/models>false"}

    bad = unique_name("bad")
    panel.run_form.fill(image=test_image, name=bad, command="true")
    panel.run_form.volumes.value = f"{data}:/data\nmodels:/models"
    panel.run_form.run_button.click()
    assert "volume 'models:/models'" in html.unescape(panel.status) and "absolute path" in panel.status
    assert not podman_cli.exists(bad), "nothing is created from a form with a bad line"


def test_attached_run_says_how_it_exited(panel, test_image, unique_name, podman_cli):
    name = unique_name()
    panel.run_form.fill(image=test_image, name=name, command="sh -c 'echo working; echo done; exit 3'", detach=False)
    panel.run_form.run_button.click()
    wait_until(lambda: "exited with code 3" in panel.status, timeout=30, message="the exit code in the status line")
    assert panel.status == f"{name} exited with code 3"
    assert inspect(podman_cli, name, "{{.State.ExitCode}}") == "3"
    assert "exited with code 3" in panel.logs.title.value
    wait_until(lambda: panel.logs.shown_text == "working\ndone", message="its output in the Logs box")
    wait_until(lambda: "Exited (3)" in {r.name: r for r in panel.rows}[name].status, message="its row to say Exited (3)")
