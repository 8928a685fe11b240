"""A failed tool call is flagged by the loop (`StreamedToolResult.error`), typed, not guessed from
the result's text: the model still gets rig's exact text (T47), the history keeps it, and the
wire JSON of the item is rig's (the flag is not part of it)."""

import json

import pytest

from rig_nb import (
    Agent,
    PromptHook,
    StreamUserItem,
    Text,
    ToolCallHookAction,
    ToolError,
    ToolNotFoundError,
    ToolServerError,
    ToolSet,
    ToolSetError,
    item_from_wire,
    tool,
)
from rig_nb.testing import ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio


@tool
def explode() -> str:
    """Fail."""
    raise RuntimeError("disk full")


@tool
def picky(path: str) -> str:
    """Raise a ToolError of its own."""
    raise ToolError(f"no such file: {path}")


@tool
def fine(x: int) -> int:
    """Work."""
    return x


class SkipFine(PromptHook):
    async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
        if tool_name == "fine":
            return ToolCallHookAction.skip("not now")
        return None


async def run_tools(*calls, hook=None) -> list[StreamUserItem]:
    model = ScriptedModel([[*calls, final()], ["ok", final()]])
    agent = Agent(model, tools=[explode, picky, fine], hook=hook)
    items = [i async for i in agent.stream_prompt("p").multi_turn(1)]
    return [i for i in items if isinstance(i, StreamUserItem)]


async def test_every_failure_kind_is_flagged_with_one_prefix_and_rigs_text_stays() -> None:
    results = await run_tools(
        tool_call("explode", id="a"),
        tool_call("picky", {"path": "x.txt"}, id="b"),
        tool_call("fine", {"x": "not a number"}, id="c"),
        tool_call("ghost", id="d"),
        tool_call("fine", {"x": 1}, id="e"),
    )
    got = [(r.content.failed, r.content.error) for r in results]
    assert got == [
        (True, "ToolCallError: disk full"),
        (True, "ToolCallError: no such file: x.txt"),
        (True, got[2][1]),
        (True, "ToolNotFoundError: ghost"),
        (False, None),
    ]
    assert got[2][1] is not None and got[2][1].startswith("JsonError: invalid arguments for fine")
    texts = [r.content.tool_result.content[0] for r in results]
    assert texts[0] == Text(text="Toolset error: ToolCallError: ToolCallError: disk full")
    assert texts[3] == Text(text="Toolset error: ToolNotFoundError: ghost")
    assert texts[4] == Text(text="1")


async def test_a_skipped_call_is_not_a_failure() -> None:
    (skipped,) = await run_tools(tool_call("fine", {"x": 1}), hook=SkipFine())
    assert not skipped.content.failed and skipped.content.error is None
    assert skipped.content.tool_result.content[0] == Text(text="not now")


async def test_the_flag_is_not_part_of_rigs_json() -> None:
    (failed,) = await run_tools(tool_call("explode", id="a"))
    wire = json.loads(failed.model_dump_json())
    assert set(wire) == {"type", "tool_result", "internal_call_id"}
    back = item_from_wire(wire)
    assert isinstance(back, StreamUserItem)
    assert back.content.tool_result == failed.content.tool_result
    assert back.content.error is None  # the flag is the live run's, not the JSON's


def test_summaries_of_the_error_texts() -> None:
    raised = ToolServerError.toolset(ToolSetError.from_tool_error(ToolError("boom")))
    assert str(raised) == "Toolset error: ToolCallError: ToolCallError: boom"
    assert raised.summary == "ToolCallError: boom"
    missing = ToolServerError.toolset(ToolNotFoundError("f"))
    assert (str(missing), missing.summary) == (
        "Toolset error: ToolNotFoundError: f",
        "ToolNotFoundError: f",
    )
    json_error = ToolServerError.toolset(ToolSetError.from_tool_error(ToolError("x", kind="json")))
    assert json_error.summary == "JsonError: x"
    plain = ToolServerError("Toolset error: from a tool server of your own")
    assert plain.summary is None  # the loop shows its text


class Unreachable(ToolSet):
    async def call_tool(self, name: str, args: str) -> str:
        raise ToolServerError("Toolset error: the tool server is down")


async def test_a_tool_set_of_your_own_that_fails_is_flagged_with_its_text() -> None:
    model = ScriptedModel([[tool_call("fine", {"x": 1}), final()], ["ok", final()]])
    items = [
        i async for i in Agent(model, tools=Unreachable([fine])).stream_prompt("p").multi_turn(1)
    ]
    (result,) = [i for i in items if isinstance(i, StreamUserItem)]
    assert result.content.error == "Toolset error: the tool server is down"
