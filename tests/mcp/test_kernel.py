"""MCP servers in a real ipykernel: added in one cell, used by later `%%agent` cells, interrupted
mid-call, and closed when the kernel shuts down (no process left behind)."""

from __future__ import annotations

import re
import shlex
import time
from typing import Any

from tests.magics.kernel import Kernel

from .conftest import STDIO, gone

SETUP = """
%load_ext rig_nb
from rig_nb.testing import ScriptedModel, final, tool_call
"""


def add_server(kernel: Kernel, name: str = "calc") -> int:
    ran = kernel.run(f"%agent mcp add {name} -- {shlex.join([*STDIO, '--linger'])}", timeout=60)
    assert not ran.errors, ran.shown
    found = re.search(r"pid (\d+)", ran.stdout)
    assert found, ran.stdout
    return int(found.group(1))


def shut_down(kernel: Kernel) -> None:
    """The notebook's Shut Down: a shutdown request, and the kernel exits on its own."""
    kernel.client.stop_channels()
    kernel.manager.shutdown_kernel(now=False)


def test_a_server_added_in_one_cell_serves_later_cells_and_dies_with_the_kernel() -> None:
    kernel = Kernel()
    pid = 0
    try:
        assert not kernel.run(SETUP).errors
        pid = add_server(kernel)
        kernel.run(
            "model = ScriptedModel([[tool_call('pid', {}), final()], ['Done.', final()],"
            " [tool_call('add', {'a': 1, 'b': 2}), final()], ['3.', final()]])"
        )
        first = kernel.run("%%agent -m model --approve auto --no-widget\nYour pid?")
        assert not first.errors and f"[tool result] {pid}" in first.stdout, first.shown
        second = kernel.run("%%agent -m model --approve auto --no-widget\n1 + 2?")
        assert not second.errors and "[tool result] 3" in second.stdout, second.shown
        assert not gone(pid)
    finally:
        shut_down(kernel)
    # the server ignores its stdin closing (--linger): only rig_nb's exit handler stops it,
    # and the kernel reaps it before it exits (nothing is left, not even a zombie)
    assert not kernel.manager.is_alive()
    assert gone(pid)


def test_a_kernel_interrupt_during_an_mcp_call_ends_the_cell_and_the_server_goes_on() -> None:
    kernel = Kernel()
    try:
        assert not kernel.run(SETUP).errors
        pid = add_server(kernel)
        kernel.run(
            "model = ScriptedModel([[tool_call('slow', {'seconds': 60}), final()], ['Slow.', final()]])"
        )
        pressed: list[float] = []

        def on_state(k: Kernel, comm_id: str, state: dict[str, Any]) -> None:
            tools = [b for b in state.get("blocks", []) if b["kind"] == "tool"]
            if not pressed and tools and tools[0]["status"] == "running":
                time.sleep(0.3)  # the call is on its way to the server
                k.interrupt()
                pressed.append(time.monotonic())

        ran = kernel.run("%%agent -m model --approve auto\nTake your time", on_state=on_state)
        assert pressed and time.monotonic() - pressed[0] < 5
        assert ran.reply["ename"] == "RunInterrupted", ran.shown
        after = kernel.run(
            "import asyncio\n"
            "server = __import__('rig_nb.magics').magics.session_for(get_ipython()).mcp_servers['calc']\n"
            "print(await server.call_tool('add', {'a': 2, 'b': 3}))"
        )
        assert after.stdout == "5\n", after.shown
        assert not gone(pid)
    finally:
        shut_down(kernel)
    assert gone(pid)


def test_remove_in_a_kernel_stops_the_process_at_once() -> None:
    kernel = Kernel()
    try:
        assert not kernel.run(SETUP).errors
        pid = add_server(kernel)
        ran = kernel.run("%agent mcp remove calc")
        assert ran.stdout == "rig_nb: MCP server 'calc' is closed\n" and not ran.errors
        assert gone(pid)
        listed = kernel.run("%agent mcp list")
        assert listed.stdout.startswith("(no MCP servers")
    finally:
        kernel.close()
