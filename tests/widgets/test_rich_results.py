"""The view and rich results: a rich view beside what the model got, code shown for approval, and
tools that ask to be asked (run_python)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pandas as pd
import pytest

from rig_nb import Agent, Text, ToolCall, ToolFunction, ToolResult, kernel_tools, tool
from rig_nb.core import (
    StreamAssistantItem,
    StreamedToolCall,
    StreamedToolResult,
    StreamUserItem,
    ToolDisplay,
)
from rig_nb.testing import ScriptedModel, final, tool_call
from rig_nb.widgets import AgentView, ApprovalPolicy
from rig_nb.widgets._reducer import ViewState

pytestmark = pytest.mark.anyio

CODE = "total = sum(prices)\nprint(total)"


def call(name: str, arguments: Any, iid: str = "i1") -> StreamAssistantItem:
    return StreamAssistantItem(
        content=StreamedToolCall(
            tool_call=ToolCall(id="c1", function=ToolFunction(name=name, arguments=arguments)),
            internal_call_id=iid,
        )
    )


@pytest.mark.parametrize(
    ("name", "arguments", "code"),
    [
        ("run_python", {"code": CODE}, {"language": "python", "text": CODE}),
        ("run_python", json.dumps({"code": CODE}), {"language": "python", "text": CODE}),
        ("run_python", '{"code": "unfinished', None),  # arguments that do not parse: no code view
        ("run_python", {"code": 3}, None),
        ("run_python", ["code"], None),
        ("get_weather", {"code": CODE}, None),  # a tool that shows no code
    ],
)
def test_the_card_shows_a_code_argument_once_the_call_arrived(
    name: str, arguments: Any, code: Any
) -> None:
    view = ViewState(code_arguments={"run_python": ("code", "python")})
    view.apply(call(name, arguments))
    block = view.snapshot()["blocks"][0]
    assert block["kind"] == "tool" and block["code"] == code
    json.dumps(view.snapshot())


def test_a_result_s_display_is_its_rich_view_and_the_text_is_what_the_model_got() -> None:
    view = ViewState()
    view.apply(call("cities", {}))
    view.apply(
        StreamUserItem(
            content=StreamedToolResult(
                tool_result=ToolResult(id="c1", content=[Text(text="pandas DataFrame: 2 rows")]),
                internal_call_id="i1",
                display=ToolDisplay(mime="text/html", data="<table><tr><td>1</td></tr></table>"),
            )
        )
    )
    result = view.snapshot()["blocks"][0]["result"]  # type: ignore[typeddict-item]
    assert result == {
        "text": "pandas DataFrame: 2 rows",
        "json": False,
        "images": [],
        "rich": {"mime": "text/html", "data": "<table><tr><td>1</td></tr></table>"},
    }


@pytest.mark.parametrize(
    ("default", "per_tool", "asked", "policy"),
    [
        ("auto", {}, "ask", "ask"),  # a tool that asks to be asked is asked under auto
        ("auto", {}, None, "auto"),
        ("deny", {}, "ask", "deny"),  # the stricter one wins
        ("ask", {}, "auto", "ask"),
        ("auto", {"run_python": "auto"}, "ask", "auto"),  # the user's own word for the tool wins
        ("ask", {"run_python": "deny"}, "ask", "deny"),
        ("auto", {}, "deny", "deny"),
    ],
)
def test_a_tool_s_own_policy_is_a_floor_unless_the_user_names_the_tool(
    default: Any, per_tool: Any, asked: Any, policy: str
) -> None:
    assert (
        ApprovalPolicy(default=default, per_tool=per_tool).for_tool("run_python", asked) == policy
    )


async def waiting_card(view: AgentView) -> dict[str, Any]:
    for _ in range(400):
        for block in view.state.get("blocks", []):
            if block["kind"] == "tool" and block["status"] == "waiting":
                return block
        await asyncio.sleep(0.005)
    raise AssertionError(f"no tool is waiting: {view.state}")


def agent_with_kernel_tools(namespace: dict[str, Any]) -> Agent:
    model = ScriptedModel(
        [
            [
                tool_call("list_variables", id="c0"),
                tool_call("run_python", {"code": CODE}, id="c1"),
                final(),
            ],
            ["The total is 12.", final()],
        ]
    )
    return Agent(model, tools=kernel_tools(namespace))


async def test_run_python_waits_for_a_click_under_auto_and_its_card_shows_the_code() -> None:
    namespace: dict[str, Any] = {"prices": [3, 4, 5]}
    view = AgentView(agent_with_kernel_tools(namespace), approval="auto")
    view.rendered = True
    run = asyncio.create_task(view.run("Total?", max_turns=1))
    card = await waiting_card(view)
    assert card["name"] == "run_python"
    assert card["code"] == {"language": "python", "text": CODE}
    listed = next(b for b in view.state["blocks"] if b["name"] == "list_variables")
    assert listed["status"] in ("running", "done")  # the read-only tool ran without asking
    assert "total" not in namespace  # nothing ran before the click
    view._on_message(view, {"kind": "approve", "id": card["id"]}, [])
    answer = await run
    assert answer.response == "The total is 12." and namespace["total"] == 12
    ran = next(b for b in view.state["blocks"] if b["name"] == "run_python")
    assert ran["status"] == "done" and ran["result"]["text"] == "stdout:\n12"


async def test_headless_run_python_is_denied_unless_the_user_allows_it_by_name() -> None:
    namespace: dict[str, Any] = {"prices": [3, 4, 5]}
    policy = ApprovalPolicy(default="auto", headless="deny", render_grace=0)
    view = AgentView(agent_with_kernel_tools(namespace), approval=policy)
    await view.run("Total?", max_turns=1)
    card = next(b for b in view.state["blocks"] if b["name"] == "run_python")
    assert card["status"] == "skipped" and "total" not in namespace
    assert any("'run_python'" in n for n in view.state["notices"])
    allowed = ApprovalPolicy(default="auto", per_tool={"run_python": "auto"}, render_grace=0)
    view = AgentView(agent_with_kernel_tools(namespace), approval=allowed)
    await view.run("Total?", max_turns=1)
    assert namespace["total"] == 12


async def test_a_dataframe_result_reaches_the_view_as_a_table() -> None:
    @tool
    def cities() -> Any:
        """The cities."""
        return pd.DataFrame({"city": ["Paris", "<b>Rome</b>"], "temp": [21, 25]})

    model = ScriptedModel([[tool_call("cities"), final()], ["Rome.", final()]])
    view = AgentView(Agent(model, tools=[cities]), approval="auto")
    await view.run("Warmest?", max_turns=1)
    result = next(b for b in view.state["blocks"] if b["kind"] == "tool")["result"]
    assert result["text"].startswith("pandas DataFrame: 2 rows x 2 columns")
    assert result["rich"]["mime"] == "text/html"
    assert "<table" in result["rich"]["data"]
    assert "&lt;b&gt;Rome&lt;/b&gt;" in result["rich"]["data"]  # pandas escapes cell text too
    sent = model.requests[1].chat_history[-1]
    assert "<table" not in sent.model_dump_json()  # the model got the description only
