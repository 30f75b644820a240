"""Each front-end's messages name that front-end's own ways (#24 item 5): the magics say
`%container ...`; the side panel (REST answers) names its buttons; a terminal tab, which sits
beside the side panel in JupyterLab, the same. No Podman needed: the errors are built as the
engine builds them."""

from __future__ import annotations

from labcontainer.core.errors import ContainerNotFound, ImageInUse
from labcontainer.core.models import ContainerInfo
from labcontainer.engine.translate import ServiceText, translate


def container(name: str, state: str, purpose: str = "container") -> ContainerInfo:
    labels = {"org.labcontainer.managed": "true", "org.labcontainer.purpose": purpose}
    return ContainerInfo(id=name.ljust(64, "0"), name=name, image="img", state=state, status=state, labels=labels)


def test_an_image_in_use_names_the_panels_buttons_in_the_panel_and_the_magics_in_a_notebook():
    error = ImageInUse("localhost/x:1", [container("old", "exited"), container("train", "running")])
    panel = error.said_in("panel")
    assert "remove old (its Remove button in the side panel's Containers section)" in panel, panel
    assert "stop and remove train (Stop, then Remove, in the side panel's Containers section)" in panel, panel
    assert "%container" not in panel
    assert "`%container rm old`" in str(error) and "`%container stop train`" in str(error)  # the magics keep theirs
    assert str(error) == error.said_in("magics")


def test_a_missing_container_in_a_terminal_tab_points_to_the_side_panel():
    error = ContainerNotFound("gone")
    assert "`%container ps -a`" in str(error)
    for where in ("terminal", "panel"):
        said = error.said_in(where)
        assert said.startswith("No container named or with id 'gone'.") and "%container" not in said, said
        assert "side panel's Containers section" in said, said


def test_a_container_in_the_wrong_state_names_its_buttons_in_the_panel():
    running = translate(ServiceText("cannot remove container abc as it is running - running or paused containers cannot be "
                                    "removed without force: container state improper"), container="train")
    assert "its Stop button" in running.said_in("panel") and "%container" not in running.said_in("panel")
    assert "`%container stop train`" in str(running)
    stopped = translate(ServiceText("can only create exec sessions on running containers: container state improper"), container="train")
    assert stopped.said_in("terminal").startswith("Container 'train' is not running. Start it first with its Start button.")
