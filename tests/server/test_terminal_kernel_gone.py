"""A terminal in a kernel's container after that kernel was shut down (#24 item 6): the tab
says the kernel was shut down and offers nothing that cannot work (no "new shell" in a
container that went with the kernel), whether it reconnects to its kept terminal or asks
for a new one. Real server, real kernel, real Podman."""

from __future__ import annotations

from labcontainer.core.models import kernel_container_name

from .test_terminal import jp_server_config, open_terminal, terminal_url  # noqa: F401 - fixtures

SAID = "The kernel this terminal was in has been shut down"


async def test_a_shut_down_kernels_terminal_says_so_and_offers_no_new_shell(jp_serverapp, api, test_image, open_terminal, podman_cli):  # noqa: F811
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-terminal-after-shutdown"})
    assert status == 201, body
    kernels = jp_serverapp.kernel_manager
    kernel_id = await kernels.start_kernel(kernel_name="lc-terminal-after-shutdown")
    name = kernel_container_name(kernel_id)
    try:
        term = await open_terminal(name)
        await term.type("echo in-kernel-$((6*7))\r")
        await term.wait_for("in-kernel-42")
    finally:
        await kernels.shutdown_kernel(kernel_id, now=True)
    await term.until_closed()  # its shell went with the container
    assert podman_cli("container", "exists", name, check=False).returncode != 0

    # The tab comes back (a reload, a lost connection): its terminal is no longer kept.
    again = await open_terminal(name, session=term.session)
    messages = await again.until_closed()
    assert messages[-1] == ["session_gone", term.session, {"new_shell": False}], messages
    assert SAID in again.output, again.output
    assert "no longer there" not in again.output and "No container named" not in again.output

    # A new terminal there (the widget's refresh): the same answer, not "No container named".
    fresh = await open_terminal(name)
    messages = await fresh.until_closed()
    assert messages[-1] == ["session_gone", None, {"new_shell": False}], messages
    assert SAID in fresh.output and "No container named" not in fresh.output


async def test_a_container_that_never_was_a_kernel_is_still_named_missing(open_terminal):  # noqa: F811
    term = await open_terminal("lct-no-such-container-anywhere")
    messages = await term.until_closed()
    assert messages[-1] == ["disconnect", 1] and SAID not in term.output
    # In a terminal tab's own ways (#24 item 5): the side panel, not `%container ps -a`.
    assert "No container named or with id 'lct-no-such-container-anywhere'." in term.output
    assert "Containers section lists the containers" in term.output and "%container" not in term.output, term.output
