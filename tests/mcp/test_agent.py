"""An Agent driven by ScriptedModel calls MCP tools end to end; hooks and approvals apply to them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rig_nb import (
    Agent,
    Image,
    PromptHook,
    Text,
    ToolCallHookAction,
    ToolResult,
    UserError,
)
from rig_nb.mcp import MCPServer
from rig_nb.testing import ScriptedModel, final, tool_call
from rig_nb.widgets import AgentView, ApprovalPolicy

from .conftest import STDIO, gone

pytestmark = pytest.mark.anyio


def results(history: list[Any]) -> list[ToolResult]:
    return [c for m in history if m.role == "user" for c in m.content if isinstance(c, ToolResult)]


async def test_an_agent_calls_mcp_tools_and_reads_text_and_images(shared: MCPServer) -> None:
    model = ScriptedModel(
        [
            [
                tool_call("add", {"a": 2, "b": 3}, id="c1"),
                tool_call("picture", {"caption": "dot"}, id="c2"),
                final(),
            ],
            ["2 + 3 = 5, and here is a dot.", final()],
        ]
    )
    answer = (
        await Agent(model, tools=shared.tools)
        .stream_prompt("add, then draw")
        .with_history([])
        .multi_turn(2)
    )
    assert answer.response == "2 + 3 = 5, and here is a dot."
    sent = model.requests[0].tools
    add = next(d for d in sent if d.name == "add")
    assert add.description == "Add two numbers." and add.parameters["required"] == ["a", "b"]
    first, second = results(answer.history or [])
    assert first.content == [Text(text="5")]
    assert second.content[0] == Text(text='"dot"') and isinstance(second.content[1], Image)
    # the model's second turn got both results, the image as an image
    assert results(model.requests[1].chat_history) == [first, second]


async def test_a_failing_mcp_tool_is_an_error_result_and_the_run_goes_on() -> None:
    model = ScriptedModel(
        [
            [tool_call("refuse", {"reason": "no cheese"}), final()],
            [tool_call("crash", {}), final()],
            [tool_call("add", {"a": 1, "b": 1}), final()],
            ["The server is gone.", final()],
        ]
    )
    async with MCPServer(STDIO, name="cheese") as server:
        answer = (
            await Agent(model, tools=server.tools)
            .stream_prompt("go")
            .with_history([])
            .multi_turn(4)
        )
    texts = [r.content[0].text for r in results(answer.history or [])]  # type: ignore[union-attr]
    assert (
        texts[0]
        == "Toolset error: ToolCallError: ToolCallError: Error executing tool refuse: refused: no cheese"
    )
    assert texts[1].startswith(
        "Toolset error: ToolCallError: ToolCallError: tools/call crash did not finish: the MCP server 'cheese' stopped"
    )
    assert texts[1].endswith("its stderr ends with:\nabout to crash: out of cheese")
    assert texts[2].startswith(
        "Toolset error: ToolCallError: ToolCallError: the MCP server 'cheese' stopped"
    )
    assert answer.response == "The server is gone."


class SkipCrash(PromptHook):
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
        self.seen.append(tool_name)
        if tool_name == "crash":
            return ToolCallHookAction.skip("crashing is not allowed")
        return ToolCallHookAction.cont()


async def test_a_hook_skips_an_mcp_tool_before_it_reaches_the_server() -> None:
    model = ScriptedModel(
        [[tool_call("crash", {}), tool_call("pid", {}), final()], ["Still alive.", final()]]
    )
    hook = SkipCrash()
    async with MCPServer(STDIO) as server:
        answer = await (
            Agent(model, tools=server.tools)
            .stream_prompt("crash it")
            .with_history([])
            .with_hook(hook)
            .multi_turn(2)
        )
        assert server.state == "running" and not gone(server.pid or 0)
        skipped, pid = results(answer.history or [])
    assert hook.seen == ["crash", "pid"]
    assert skipped.content == [Text(text="crashing is not allowed")]
    assert pid.content == [Text(text=str(server.pid))]


async def waiting_card(view: AgentView, answered: tuple[str, ...] = ()) -> str:
    for _ in range(1000):
        for block in view.state.get("blocks", []):
            if (
                block["kind"] == "tool"
                and block["status"] == "waiting"
                and block["id"] not in answered
            ):
                return block["id"]
        await asyncio.sleep(0.005)
    raise AssertionError(f"no tool is waiting: {view.state}")


async def test_the_view_asks_before_an_mcp_tool_runs_and_shows_its_image(target) -> None:
    model = ScriptedModel(
        [
            [tool_call("forget", {"name": "echo"}), final()],
            [tool_call("picture", {}), final()],
            ["Done.", final()],
        ]
    )
    async with MCPServer(target) as server:
        view = AgentView(Agent(model, tools=server.tools), approval="ask")
        view.rendered = True
        run = asyncio.create_task(view.run("go", max_turns=3))
        first = await waiting_card(view)
        view._on_message(view, {"kind": "skip", "id": first, "reason": "no"}, [])
        view._on_message(view, {"kind": "approve", "id": await waiting_card(view, (first,))}, [])
        assert (await run).response == "Done."
        # the skipped call never reached the server: echo is still there
        assert await server.call_tool("echo", {"text": "here"}) == "here"
    forget, picture = [b for b in view.state["blocks"] if b["kind"] == "tool"]
    assert forget["status"] == "skipped"
    assert picture["status"] == "done"
    assert picture["result"]["images"][0]["mime"] == "image/png"


async def test_a_deny_policy_and_headless_ask_never_call_the_server() -> None:
    model = ScriptedModel(
        [
            [tool_call("crash", {}), final()],
            ["ok", final()],
            [tool_call("crash", {}), final()],
            ["ok", final()],
        ]
    )
    async with MCPServer(STDIO) as server:
        agent = Agent(model, tools=server.tools)
        denied = AgentView(
            agent, approval=ApprovalPolicy(default="auto", per_tool={"crash": "deny"})
        )
        await denied.run("x", max_turns=1)
        headless = AgentView(
            agent, approval=ApprovalPolicy(default="ask", headless="deny", render_grace=0.05)
        )
        await headless.run("x", max_turns=1)
        assert server.state == "running"
        assert headless.state["notices"] == [
            "No notebook front end could approve 'crash', so it was skipped (headless approval policy: deny)."
        ]


async def test_two_servers_with_the_same_tool_names_need_a_prefix(shared: MCPServer) -> None:
    async with MCPServer(STDIO) as two:
        with pytest.raises(UserError, match="two tools are named 'add'"):
            Agent(ScriptedModel([]), tools=[*shared.tools, *two.tools])
    model = ScriptedModel([[tool_call("b_add", {"a": 1, "b": 2}), final()], ["3", final()]])
    async with MCPServer(STDIO, prefix="b") as two:
        agent = Agent(model, tools=[*shared.tools, *two.tools])
        answer = await agent.stream_prompt("x").with_history([]).multi_turn(1)
    assert results(answer.history or [])[0].content == [Text(text="3")]
