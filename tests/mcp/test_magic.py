"""`%agent mcp add / list / remove` in a real IPython shell, and `%%agent` cells that call the tools."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError

from rig_nb.magics import session_for
from rig_nb.testing import ScriptedModel, final, tool_call

from ..magics.shell import cell, fresh_shell
from .conftest import STDIO, HttpServer, gone

COMMAND = shlex.join(STDIO)


@pytest.fixture
def shell() -> Iterator[Any]:
    shells = fresh_shell()
    ip = next(shells)
    try:
        yield ip
    finally:
        session = session_for(ip)
        for server in session.mcp_servers.values():
            server.close_sync()
        session.mcp_servers.clear()
        shells.close()


def agent(ip: Any, line: str) -> None:
    ip.run_line_magic("agent", line)


@pytest.mark.anyio
async def test_add_list_use_in_a_cell_and_remove(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    agent(shell, f"mcp add calc -- {COMMAND}")
    server = session_for(shell).mcp_servers["calc"]
    assert capsys.readouterr().out.startswith(
        f"rig_nb: MCP server 'calc' is running, pid {server.pid}; its tools: add, echo, pid"
    )
    agent(shell, "mcp list")
    listed = capsys.readouterr().out.splitlines()
    assert listed[0] == f"calc: running pid {server.pid} {COMMAND}"
    assert listed[1].startswith("  tools: add, echo, pid, picture")

    shell.user_ns["model"] = ScriptedModel(
        [[tool_call("add", {"a": 20, "b": 22}), final()], ["It is 42.", final()]]
    )
    result = await cell(shell, "%%agent -m model --approve auto --no-widget\nWhat is 20 + 22?")
    assert result.error_in_exec is None, result.error_in_exec
    out = capsys.readouterr().out
    assert "[tool call] add({'a': 20, 'b': 22})" in out
    assert "[tool result] 42" in out
    assert shell.user_ns["agent_result"].response == "It is 42."

    agent(shell, "mcp remove calc")
    assert capsys.readouterr().out == "rig_nb: MCP server 'calc' is closed\n"
    assert server.pid is not None and gone(server.pid)
    agent(shell, "mcp list")
    assert capsys.readouterr().out.startswith("(no MCP servers")


@pytest.mark.anyio
async def test_the_cell_approval_policy_applies_to_mcp_tools(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    agent(shell, f"mcp add calc -- {COMMAND}")
    server = session_for(shell).mcp_servers["calc"]
    shell.user_ns["model"] = ScriptedModel(
        [[tool_call("crash", {}), final()], ["Not allowed, fine.", final()]]
    )
    await cell(shell, "%%agent -m model --approve-tool crash=deny --no-widget\nCrash it.")
    assert "[tool result] The user declined to run this tool" in capsys.readouterr().out
    assert server.state == "running" and not gone(server.pid)


@pytest.mark.anyio
async def test_an_http_server_with_a_header(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    http = HttpServer("--require-header", "Authorization=Bearer sk-magic-secret")
    try:
        shell.user_ns["token"] = "Bearer sk-magic-secret"
        agent(shell, f'mcp add web --header "Authorization: {{token}}" {http.url}')
        assert "MCP server 'web' is running; its tools: add" in capsys.readouterr().out
        agent(shell, "mcp list")
        listed = capsys.readouterr().out
        assert listed.startswith(f"web: running {http.url}") and "sk-magic" not in listed
        agent(shell, "mcp remove web")
    finally:
        http.stop()


def test_mistakes_are_one_line_usage_errors(shell: Any) -> None:
    for line, message in [
        ("mcp", "%agent mcp takes one of"),
        ("mcp frobnicate", "%agent mcp takes one of"),
        ("mcp add", "the following arguments are required: name"),
        ("mcp add x", "give a command after -- or a URL"),
        ("mcp add x http://127.0.0.1:9/mcp -- python s.py", "give a command after -- or a URL"),
        ("mcp add 'a b' -- python s.py", "'a b' is not a server name"),
        ("mcp add x --bogus -- python s.py", "unrecognized arguments: --bogus"),
        ("mcp add x --header nocolon http://127.0.0.1:9/mcp", "--header takes NAME=VALUE"),
        ("mcp add x --env A=1 http://127.0.0.1:9/mcp", "env= and cwd= are for a server started"),
        ("mcp add x -- no-such-mcp-server", "'no-such-mcp-server' was not found"),
        ("mcp remove ghost", "no MCP server named 'ghost' (added: none)"),
    ]:
        with pytest.raises(UsageError, match=re.escape(message)):
            agent(shell, line)
    assert session_for(shell).mcp_servers == {}


def test_a_failing_start_shows_the_servers_stderr(shell: Any) -> None:
    with pytest.raises(UsageError) as failed:
        agent(shell, f"mcp add broken -- {COMMAND} --stderr 'bad config' --exit-at-start 1")
    assert "exited before it finished the MCP handshake" in str(failed.value)
    assert str(failed.value).endswith("its stderr ends with:\nbad config")


def test_names_and_tool_names_must_not_clash(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    agent(shell, f"mcp add one -- {COMMAND}")
    with pytest.raises(UsageError, match="already running: %agent mcp remove one first"):
        agent(shell, f"mcp add one -- {COMMAND}")
    with pytest.raises(
        UsageError,
        match="the tool 'add' of MCP server 'two' has the same name as a tool of MCP server 'one': add it with --prefix two",
    ):
        agent(shell, f"mcp add two -- {COMMAND}")
    agent(shell, f"mcp add two --prefix two -- {COMMAND}")
    assert "its tools: two_add, two_echo" in capsys.readouterr().out
    assert sorted(session_for(shell).mcp_servers) == ["one", "two"]


@pytest.mark.anyio
async def test_a_cell_tool_with_an_mcp_tools_name_is_a_usage_error(shell: Any) -> None:
    agent(shell, f"mcp add calc -- {COMMAND}")
    shell.user_ns["add"] = lambda a, b: a + b
    shell.user_ns["model"] = ScriptedModel([["hi", final()]])
    result = await cell(shell, "%%agent -m model -t add --no-widget\nhi")
    assert isinstance(result.error_in_exec, UsageError)
    assert "--prefix calc" in str(result.error_in_exec)


@pytest.mark.anyio
async def test_a_server_that_died_is_reported_at_the_next_cell(shell: Any) -> None:
    agent(shell, f"mcp add calc -- {COMMAND}")
    shell.user_ns["model"] = ScriptedModel([[tool_call("crash", {}), final()], ["ok", final()]])
    await cell(shell, "%%agent -m model --approve auto --no-widget\nCrash it.")
    shell.user_ns["model"] = ScriptedModel([["hi", final()]])
    result = await cell(shell, "%%agent -m model --no-widget\nhi")
    assert isinstance(result.error_in_exec, UsageError)
    assert str(result.error_in_exec).startswith(
        "the MCP server 'calc' is failed (it closed the connection (it exited or crashed)): add it again"
    )
    agent(shell, f"mcp add calc -- {COMMAND}")  # a failed server may be replaced by name
    assert session_for(shell).mcp_servers["calc"].state == "running"


def test_unload_ext_closes_the_servers(shell: Any) -> None:
    agent(shell, f"mcp add calc -- {COMMAND}")
    server = session_for(shell).mcp_servers["calc"]
    shell.run_line_magic("unload_ext", "rig_nb")
    try:
        assert session_for(shell).mcp_servers == {}
        assert server.state == "closed" and server.pid is not None and gone(server.pid)
    finally:
        shell.run_line_magic("load_ext", "rig_nb")
