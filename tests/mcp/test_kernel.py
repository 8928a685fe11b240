"""MCP servers in a real ipykernel: added in one cell, used by later `%%agent` cells, interrupted
mid-call, removed, and closed when the kernel shuts down (no process left behind)."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.magics.kernel import Kernel

from .conftest import STDIO, gone

SETUP = """
%load_ext rig_nb
from rig_nb.magics import session_for
from rig_nb.testing import ScriptedModel, final, tool_call
"""
PIDS: dict[str, int] = {}


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    running = Kernel()
    try:
        assert not running.run(SETUP).errors
        yield running
    finally:
        shut_down(running)


def shut_down(kernel: Kernel) -> None:
    """The notebook's Shut Down: a shutdown request, and the kernel exits on its own."""
    if kernel.manager.is_alive():
        kernel.client.stop_channels()
        kernel.manager.shutdown_kernel(now=False)


def server(kernel: Kernel, name: str) -> int:
    """Add a server (once) that ignores its stdin closing: only rig_nb can stop it."""
    if name not in PIDS:
        command = shlex.join([*STDIO, "--linger"])
        ran = kernel.run(f"%agent mcp add {name} --prefix {name} -- {command}", timeout=60)
        assert not ran.errors, ran.shown
        found = re.search(r"pid (\d+)", ran.stdout)
        assert found, ran.shown
        PIDS[name] = int(found.group(1))
    return PIDS[name]


def test_a_server_added_in_one_cell_serves_later_cells(kernel: Kernel) -> None:
    pid = server(kernel, "calc")
    kernel.run(
        "model = ScriptedModel([[tool_call('calc_pid', {}), final()], ['Done.', final()],"
        " [tool_call('calc_add', {'a': 1, 'b': 2}), final()], ['3.', final()]])"
    )
    first = kernel.run("%%agent -m model --approve auto --no-widget\nYour pid?")
    assert not first.errors and f"[tool result] {pid}" in first.stdout, first.shown
    second = kernel.run("%%agent -m model --approve auto --no-widget\n1 + 2?")
    assert not second.errors and "[tool result] 3" in second.stdout, second.shown
    assert not gone(pid)


def test_a_kernel_interrupt_during_an_mcp_call_ends_the_cell_and_the_server_goes_on(
    kernel: Kernel,
) -> None:
    pid = server(kernel, "calc")
    kernel.run(
        "model = ScriptedModel([[tool_call('calc_slow', {'seconds': 60}), final()], ['Slow.', final()]])"
    )
    pressed: list[float] = []

    def on_state(k: Kernel, comm_id: str, state: dict[str, Any]) -> None:
        tools = [b for b in state.get("blocks", []) if b["kind"] == "tool"]
        if not pressed and tools and tools[0]["status"] == "running":
            time.sleep(0.3)  # the call is on its way to the server
            k.interrupt()
            pressed.append(time.monotonic())

    ran = kernel.run("%%agent -m model --approve auto --new\nTake your time", on_state=on_state)
    assert pressed and time.monotonic() - pressed[0] < 5
    assert ran.reply["ename"] == "RunInterrupted", ran.shown
    after = kernel.run(
        "calc = session_for(get_ipython()).mcp_servers['calc']\n"
        "print(await calc.call_tool('add', {'a': 2, 'b': 3}))\n"
        "print('cancelled on the server:', 'slow(60.0) was cancelled' in calc.stderr)"
    )
    assert after.stdout == "5\ncancelled on the server: True\n", after.shown
    assert not gone(pid)


def test_remove_stops_the_process_at_once(kernel: Kernel) -> None:
    pid = server(kernel, "other")
    ran = kernel.run("%agent mcp remove other")
    assert ran.stdout == "rig_nb: MCP server 'other' is closed\n" and not ran.errors
    assert gone(pid)
    assert "other:" not in kernel.run("%agent mcp list").stdout


def test_the_kernels_shutdown_stops_every_server_it_still_has(kernel: Kernel) -> None:
    pids = [server(kernel, "calc"), server(kernel, "last")]
    assert not any(gone(pid) for pid in pids)
    shut_down(kernel)
    assert not kernel.manager.is_alive()
    # reaped by the kernel before it exited: not even a zombie is left
    assert [gone(pid) for pid in pids] == [True, True]
