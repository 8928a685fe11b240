"""MCPServer against a real SDK server, over stdio and streamable HTTP: tools, results, failures."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import pytest

from rig_nb import Base64, Image, Text, ToolError, ToolResult, UserError
from rig_nb.mcp import MCPServer, MCPServerError, MCPTool, mcp_tools

from .conftest import STDIO, HttpServer, eventually, gone, stderr_of

pytestmark = pytest.mark.anyio


async def test_tools_are_listed_with_their_schema_and_called_with_arguments(shared) -> None:
    tools = {t.name: t for t in shared.tools}
    assert list(tools)[:3] == ["add", "echo", "pid"]
    add = tools["add"]
    assert isinstance(add, MCPTool) and add.server is shared
    definition = add.definition()
    assert definition.description == "Add two numbers."
    assert definition.parameters["properties"]["a"]["type"] == "integer"
    assert definition.parameters["required"] == ["a", "b"]
    assert await add.call('{"a": 2, "b": 40}') == "42"
    assert await tools["echo"].call(json.dumps({"text": "héllo\nworld"})) == "héllo\nworld"
    # a name providers refuse is made valid; the server still gets its own name
    assert tools["dotted_name"].mcp_name == "dotted.name"
    assert await tools["dotted_name"].call("{}") == "dotted"


async def test_results_map_onto_rig_nb_tool_results(shared) -> None:
    tools = {t.name: t for t in shared.tools}

    async def seen(name: str, args: dict) -> list:
        return ToolResult.from_tool_output(await tools[name].call(json.dumps(args)))

    [text, image] = await seen("picture", {"caption": "a dot"})
    assert text == Text(text='"a dot"')
    assert isinstance(image, Image) and image.media_type == "png"
    assert isinstance(image.data, Base64) and image.data.value.startswith("iVBOR")
    assert await seen("document", {}) == [Text(text="line one\nline two")]
    assert await seen("structured_only", {}) == [Text(text='{"city": "Paris", "temp_c": 21}')]
    with pytest.raises(ToolError, match="refused: no reason"):
        await tools["refuse"].call('{"reason": "no reason"}')


async def test_bad_arguments_are_json_errors_the_model_can_fix(shared) -> None:
    add = next(t for t in shared.tools if t.name == "add")
    with pytest.raises(ToolError, match=r"^JsonError: arguments of add are not valid JSON"):
        await add.call("{not json")
    with pytest.raises(ToolError, match=r"^JsonError: arguments of add must be a JSON object"):
        await add.call("[1, 2]")
    # the server validates against its schema; its message comes back as a failed call
    with pytest.raises(ToolError, match="validation error"):
        await add.call('{"a": "two"}')


async def test_a_tool_that_vanished_is_a_failed_call_and_the_server_goes_on(target) -> None:
    async with MCPServer(target) as server:
        tools = {t.name: t for t in server.tools}
        assert await tools["forget"].call('{"name": "echo"}') == "forgot echo"
        with pytest.raises(ToolError, match="Unknown tool: echo"):
            await tools["echo"].call('{"text": "x"}')
        assert await tools["add"].call('{"a": 1, "b": 1}') == "2"
        assert "echo" not in [t.name for t in await server.refresh_tools()]


async def test_a_slow_call_times_out_and_the_server_keeps_serving(target) -> None:
    async with MCPServer(target, timeout=0.3) as server:
        tools = {t.name: t for t in server.tools}
        started = time.monotonic()
        with pytest.raises(
            ToolError, match=r"did not answer tools/call slow within 0.3 s; the call was cancelled"
        ):
            await tools["slow"].call('{"seconds": 30}')
        assert time.monotonic() - started < 10
        if not isinstance(target, str):  # the server stopped the work
            assert await eventually(lambda: "slow(30.0) was cancelled" in server.stderr)
        # the server goes on (an HTTP server may take a moment after a cancelled call)
        assert await server.call_tool("add", {"a": 1, "b": 2}, timeout=30) == "3"
        assert server.state == "running"


async def test_a_server_that_crashes_mid_call_fails_that_call_and_later_ones() -> None:
    async with MCPServer(STDIO, name="cheese") as server:
        tools = {t.name: t for t in server.tools}
        pid = server.pid
        assert pid is not None and await tools["pid"].call("{}") == str(pid)
        slow = asyncio.create_task(tools["slow"].call('{"seconds": 30}'))
        await asyncio.sleep(0.2)
        with pytest.raises(ToolError) as crashed:
            await tools["crash"].call("{}")
        text = str(crashed.value)
        assert "tools/call crash did not finish: the MCP server 'cheese' stopped" in text
        assert "it closed the connection (it exited or crashed)" in text
        assert text.endswith("its stderr ends with:\nabout to crash: out of cheese")
        # a call in flight at the crash ends too, with the same story
        with pytest.raises(ToolError, match="tools/call slow did not finish"):
            await slow
        with pytest.raises(ToolError, match="the MCP server 'cheese' stopped: it closed"):
            await tools["add"].call('{"a": 1, "b": 2}')
        assert server.state == "failed" and gone(pid)


async def test_an_http_server_that_dies_mid_call_fails_the_call() -> None:
    http = HttpServer()
    try:
        async with MCPServer(http.url, name="web") as server:
            tools = {t.name: t for t in server.tools}
            with pytest.raises(
                ToolError, match="tools/call crash did not finish: the MCP server 'web' stopped"
            ):
                await tools["crash"].call("{}")
            with pytest.raises(ToolError, match="the MCP server 'web' stopped"):
                await tools["add"].call('{"a": 1, "b": 2}')
            assert server.state == "failed"
    finally:
        http.stop()


async def test_a_command_that_is_not_there_is_a_clear_error() -> None:
    with pytest.raises(
        MCPServerError, match="'no-such-mcp-server' was not found; check the command"
    ):
        await MCPServer("no-such-mcp-server --flag").start()


async def test_a_server_that_exits_at_start_shows_its_stderr() -> None:
    server = MCPServer([*STDIO, "--stderr", "config error: no database", "--exit-at-start", "2"])
    with pytest.raises(MCPServerError) as failed:
        await server.start()
    assert isinstance(failed.value, UserError)
    text = str(failed.value)
    assert "exited before it finished the MCP handshake" in text
    assert f"({sys.executable} " in text  # the command is named
    assert text.endswith("its stderr ends with:\nconfig error: no database")
    assert failed.value.stderr == "config error: no database"
    assert server.state == "failed" and server.pid is not None and gone(server.pid)


async def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    server = MCPServer([*STDIO, "--silent", "--stderr", "waiting..."], connect_timeout=0.5)
    with pytest.raises(MCPServerError, match=r"did not finish the MCP handshake within 0.5 s") as e:
        await server.start()
    assert "waiting..." in str(e.value)
    assert server.pid is not None and gone(server.pid)


async def test_an_unreachable_or_refusing_http_server_is_a_clear_error() -> None:
    http = HttpServer("--require-header", "Authorization=Bearer sk-right-one")
    try:
        with pytest.raises(
            MCPServerError, match="answered HTTP 401 Unauthorized; check the headers="
        ):
            await MCPServer(http.url, headers={"Authorization": "Bearer sk-wrong-one"}).start()
        async with MCPServer(http.url, headers={"Authorization": "Bearer sk-right-one"}) as server:
            assert len(server.tools) > 5
    finally:
        http.stop()
    with pytest.raises(
        MCPServerError,
        match=r"cannot reach the MCP server '127.0.0.1' \(http://127.0.0.1:\d+/mcp\): ConnectError",
    ):
        await MCPServer(http.url, connect_timeout=5).start()


async def test_secrets_stay_out_of_reprs_and_errors() -> None:
    http = HttpServer("--require-header", "Authorization=Bearer sk-secret-value")
    try:
        server = MCPServer(
            http.url.replace("http://", "http://user:pa55word@") + "?api_key=sk-in-query&x=1",
            headers={"Authorization": "Bearer sk-secret-value"},
        )
        with pytest.raises(MCPServerError) as failed:
            await server.start()  # the URL with a query is another path: 404
        shown = repr(server) + str(failed.value) + failed.value.target
        assert "['Authorization']" in repr(server) and "x=1" in shown
        for secret in ("sk-secret-value", "pa55word", "sk-in-query"):
            assert secret not in shown
    finally:
        http.stop()
    stdio = MCPServer(
        [*STDIO, "--api-key", "sk-arg-secret", "--stderr", "env says sk-env-secret"],
        env={"SERVICE_TOKEN": "sk-env-secret"},
    )
    async with stdio:
        assert "sk-" not in repr(stdio) and "SERVICE_TOKEN" in repr(stdio)
    assert "sk-env-secret" not in stdio.stderr and "[redacted]" in stdio.stderr


async def test_bad_arguments_are_user_errors() -> None:
    for kwargs, message in [
        ({"target": ""}, "no MCP server given"),
        ({"target": []}, "no MCP server given"),
        ({"target": "python 'unclosed"}, "cannot split the MCP server command"),
        ({"target": "http://h/mcp", "env": {"A": "b"}}, "env= and cwd= are for a server started"),
        ({"target": "python s.py", "headers": {"A": "b"}}, "headers= are for an HTTP server"),
        ({"target": "python s.py", "prefix": "a b"}, "prefix 'a b' is not valid"),
        ({"target": "python s.py", "timeout": 0}, "timeout must be a number of seconds above 0"),
    ]:
        with pytest.raises(UserError, match=message):
            MCPServer(**kwargs)
    server = MCPServer(STDIO)
    with pytest.raises(UserError, match=r"is not started: await server\.start"):
        server.tools  # noqa: B018
    await server.aclose()  # closing a server never started is fine
    with pytest.raises(UserError, match="was already started"):
        await server.start()


async def test_names_default_from_the_command_and_a_prefix_applies() -> None:
    assert MCPServer("python my_server.py").name == "my_server"
    assert MCPServer("npx -y @org/server-fs /tmp").name == "server-fs"
    assert MCPServer("python -m pkg.server").name == "pkg"
    assert MCPServer("http://127.0.0.1:9/mcp").name == "127.0.0.1"
    async with MCPServer(STDIO, prefix="calc") as server:
        names = [t.name for t in server.tools]
        assert names[0] == "calc_add" and "calc_dotted_name" in names
        assert await server.tools[0].call('{"a": 1, "b": 1}') == "2"


async def test_close_stops_the_process_and_later_calls_fail_clearly() -> None:
    server = await MCPServer(STDIO, name="closing").start()
    pid = server.pid
    assert pid is not None and not gone(pid)
    add = server.tools[0]
    await server.aclose()
    assert server.state == "closed" and gone(pid)
    with pytest.raises(ToolError, match="the MCP server 'closing' is closed"):
        await add.call('{"a": 1, "b": 1}')
    await server.aclose()  # twice is fine


async def test_a_call_in_flight_at_close_ends_with_an_error() -> None:
    server = await MCPServer(STDIO, name="busy").start()
    slow = next(t for t in server.tools if t.name == "slow")
    call = asyncio.create_task(slow.call('{"seconds": 30}'))
    await asyncio.sleep(0.3)
    await server.aclose()
    with pytest.raises(
        ToolError, match="tools/call slow did not finish: the MCP server 'busy' is closed"
    ):
        await call


async def test_a_cancelled_caller_cancels_its_call_only(shared) -> None:
    tools = {t.name: t for t in shared.tools}
    call = asyncio.create_task(tools["slow"].call('{"seconds": 31}'))
    await asyncio.sleep(0.3)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await tools["add"].call('{"a": 1, "b": 2}') == "3"
    # the server hears of it and stops the work
    assert await eventually(lambda: "slow(31.0) was cancelled" in stderr_of(shared))


async def test_mcp_tools_starts_a_server_that_runs_until_closed() -> None:
    tools = await mcp_tools(STDIO, name="quick")
    server = tools[0].server
    assert server.state == "running" and await tools[0].call('{"a": 2, "b": 2}') == "4"
    await server.aclose()
    assert server.state == "closed" and server.pid is not None and gone(server.pid)


async def test_calls_are_served_concurrently(shared) -> None:
    tools = {t.name: t for t in shared.tools}
    waiting = [asyncio.create_task(tools["slow"].call('{"seconds": 32}')) for _ in range(3)]
    # while three calls wait on the server, others are answered (no call blocks the connection)
    answers = await asyncio.gather(*(tools["add"].call(f'{{"a": {i}, "b": 0}}') for i in range(5)))
    assert answers == ["0", "1", "2", "3", "4"]
    assert not any(task.done() for task in waiting)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
