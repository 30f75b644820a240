"""GET /api/kernels while a container kernel starts: never a 500.

jupyter_client files a started kernel in the kernel manager one event-loop turn before
jupyter_server marks it (``last_activity``, ``execution_state``); a request served in that
turn failed with ``'NoneType' object has no attribute 'isoformat'``. CI saw it once: the
browser test's poll of /api/kernels, right as the launcher's kernel came up, got a 500.
"""

from __future__ import annotations

import asyncio


async def test_the_kernel_list_answers_at_every_turn_of_a_kernel_start(jp_serverapp, api, test_image):
    status, body = await api("POST", "kernelspecs", {"image": test_image, "name": "lc-listed-while-starting"})
    assert status == 201, body
    km = jp_serverapp.kernel_manager
    start = asyncio.ensure_future(km.start_kernel(kernel_name="lc-listed-while-starting"))
    seen_before_start_returned: list[dict] = []
    try:
        # What the kernels handler runs, at every turn of the loop until the start returns:
        # the one turn in between is among them.
        while not start.done():
            for model in km.list_kernels():
                seen_before_start_returned.append(model)
            await asyncio.sleep(0)
        kernel_id = start.result()
        assert seen_before_start_returned, "the kernel was never listed before its start returned: the turn was not seen"
        model = seen_before_start_returned[0]
        assert model["id"] == kernel_id
        assert model["execution_state"] == "starting"
        assert isinstance(model["last_activity"], str)
    finally:
        if start.done() and not start.exception():
            await km.shutdown_kernel(start.result(), now=True)
