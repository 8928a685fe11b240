"""A server outlives the task, loop or thread that opened it, and is closed with the process.

The SDK's transports must be entered and left by one task; a notebook runs every cell as a new
task. These tests open a server in one task (or loop, or thread), use it from others and close it
from yet another, and check that the process is gone afterwards, also when nobody closed it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from rig_nb.mcp import MCPServer

from .conftest import STDIO, HttpServer, gone

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.anyio
async def test_opened_in_one_task_used_from_others_closed_from_a_third(target) -> None:
    server = MCPServer(target)
    await asyncio.create_task(server.start())  # the opening task ends here
    add = next(t for t in server.tools if t.name == "add")
    answers = await asyncio.gather(
        *(asyncio.create_task(add.call(f'{{"a": {i}, "b": 1}}')) for i in range(4))
    )
    assert answers == ["1", "2", "3", "4"]
    pid = server.pid
    await asyncio.create_task(server.aclose())
    assert server.state == "closed"
    if pid is not None:
        assert gone(pid)


def test_opened_on_one_loop_used_on_another_closed_from_a_thread() -> None:
    server = MCPServer(STDIO)
    asyncio.run(server.start())  # that loop is closed after this line
    add = next(t for t in server.tools if t.name == "add")
    assert asyncio.run(add.call('{"a": 20, "b": 22}')) == "42"
    results: list[str] = []
    worker = threading.Thread(
        target=lambda: results.append(asyncio.run(add.call('{"a": 1, "b": 2}')))
    )
    worker.start()
    worker.join(30)
    assert results == ["3"]
    closer = threading.Thread(target=server.close_sync)
    closer.start()
    closer.join(30)
    assert server.state == "closed" and server.pid is not None and gone(server.pid)


def test_the_sync_front_door() -> None:
    server = MCPServer(STDIO).start_sync()
    assert [t.name for t in server.tools][:2] == ["add", "echo"]
    server.close_sync()
    assert server.pid is not None and gone(server.pid)


EXITING = """
import asyncio, sys
from rig_nb.mcp import MCPServer, close_all, mcp_tools

async def main():
    tools = await mcp_tools({stdio!r})
    print(tools[0].server.pid, flush=True)
    http = await MCPServer({http!r}).start()   # an HTTP connection left open too
    {ending}

asyncio.run(main())
"""


@pytest.mark.parametrize(
    "ending",
    [
        "pass",
        "raise RuntimeError('the script failed')",
        "await close_all(); print(tools[0].server.state, http.state)",
    ],
)
def test_a_script_that_never_closes_its_servers_leaves_no_process(
    ending: str, shared_http: HttpServer
) -> None:
    """The server ignores stdin closing (--linger): only rig_nb's exit handler stops it."""
    code = EXITING.format(stdio=[*STDIO, "--linger"], http=shared_http.url, ending=ending)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    pid = int(done.stdout.split()[0])
    assert gone(pid), (pid, done.stderr)
    assert "Task was destroyed" not in done.stderr
    assert "Traceback" not in done.stderr or "the script failed" in done.stderr
    if "close_all" in ending:
        assert done.stdout.split()[1:] == ["closed", "closed"]
