"""Spec 3: hooks (T35-T45)."""

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    HookAction,
    Message,
    PromptCancelled,
    PromptHook,
    StreamedToolCallDelta,
    StreamingPromptRequest,
    StreamUserItem,
    Text,
    ToolCallArgsDelta,
    ToolCallHookAction,
    ToolCallNameDelta,
    ToolResult,
    UserMessage,
    tool,
)
from rig_nb.core import RawToolCall, RawToolCallDelta, StreamAssistantItem, StreamedToolCall
from rig_nb.testing import ScriptedModel, final, tool_call

from .helpers import collect, kinds

pytestmark = pytest.mark.anyio

U0, A0 = Message.user("u0"), Message.assistant("a0")
RUNS: list[str] = []


@tool
def get(a: int = 0) -> str:
    """Return a fixed result."""
    RUNS.append(f"get:{a}")
    return "got"


def tool_then_text() -> ScriptedModel:
    return ScriptedModel([[tool_call("get", id="tc"), final()], ["done", final()]])


class Recorder(PromptHook):
    """Records every call; returns the action scripted for the nth call of a callback."""

    def __init__(self, **actions) -> None:
        self.calls: list[tuple] = []
        self.actions = actions

    def _act(self, name: str, *args):
        self.calls.append((name, *args))
        action = self.actions.get(name)
        n = sum(1 for c in self.calls if c[0] == name)
        if isinstance(action, dict):
            return action.get(n)
        return action

    async def on_completion_call(self, prompt, history):
        return self._act("completion", prompt, list(history))

    async def on_text_delta(self, text_delta, aggregated_text):
        return self._act("text", text_delta, aggregated_text)

    async def on_tool_call_delta(self, tool_call_id, internal_call_id, tool_name, tool_call_delta):
        return self._act("delta", tool_call_id, internal_call_id, tool_name, tool_call_delta)

    async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
        return self._act("tool_call", tool_name, tool_call_id, internal_call_id, args)

    async def on_tool_result(self, tool_name, tool_call_id, internal_call_id, args, result):
        return self._act("tool_result", tool_name, tool_call_id, internal_call_id, args, result)

    async def on_stream_completion_response_finish(self, prompt, response):
        return self._act("finish", prompt, response)

    def of(self, name: str) -> list[tuple]:
        return [c[1:] for c in self.calls if c[0] == name]


async def test_t35_on_completion_call_arguments() -> None:
    hook = Recorder()
    await collect(
        Agent(tool_then_text(), tools=[get])
        .stream_chat("p", [U0, A0])
        .multi_turn(1)
        .with_hook(hook)
    )
    (p1, h1), (p2, h2) = hook.of("completion")
    assert (p1, h1) == (Message.user("p"), [U0, A0])
    assert p2 == Message.tool_result("tc", "got")
    assert h2 == [
        U0,
        A0,
        Message.user("p"),
        AssistantMessage(content=[tool_call("get", id="tc").to_tool_call()]),
    ]


async def test_t36_terminate_before_the_second_call() -> None:
    model = tool_then_text()
    hook = Recorder(completion={2: HookAction.terminate("stop")})
    items, error = await collect(
        Agent(model, tools=[get]).stream_chat("p", [U0]).multi_turn(1).with_hook(hook)
    )
    assert model.calls == 1
    assert kinds(items) == ["ToolCall:get", "ToolResult"]
    assert isinstance(error, PromptCancelled)
    assert str(error) == "PromptError: PromptCancelled: stop"
    assert error.reason == "stop"
    assert error.chat_history == [
        U0,
        Message.user("p"),
        AssistantMessage(content=[tool_call("get", id="tc").to_tool_call()]),
        Message.tool_result("tc", "got"),
    ]


async def test_t37_terminate_on_a_text_delta() -> None:
    hook = Recorder(text={2: HookAction.terminate("enough")})
    model = ScriptedModel([["a", "b", "c", final()]])
    items, error = await collect(Agent(model).stream_chat("p", [U0]).with_hook(hook))
    assert kinds(items) == ["Text:a"]
    assert isinstance(error, PromptCancelled)
    # Changed (issue 9.11): the partial turn is kept, as a Stop keeps it; the seed kept only
    # [U0, User(p)]. The delta that triggered the Terminate was not yielded, so it is not kept.
    assert error.chat_history == [U0, Message.user("p"), Message.assistant("a")]


async def test_t38_aggregated_text_resets_per_text_turn() -> None:
    hook = Recorder()
    model = ScriptedModel([["ab", "c", tool_call("get"), final()], ["x", "y", final()]])
    await collect(Agent(model, tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook))
    assert hook.of("text") == [("ab", "ab"), ("c", "abc"), ("x", "x"), ("y", "xy")]
    # Seed quirk kept: without a Final in turn 1 the reset never happens.
    hook = Recorder()
    model = ScriptedModel([["ab", "c", tool_call("get")], ["x", "y", final()]])
    await collect(Agent(model, tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook))
    assert hook.of("text") == [("ab", "ab"), ("c", "abc"), ("x", "abcx"), ("y", "abcxy")]


async def test_t39_on_tool_call_arguments_and_internal_ids() -> None:
    hook = Recorder()
    model = ScriptedModel([[tool_call("get", {"a": 1}, id="toolu_1"), final()], ["ok", final()]])
    items, _ = await collect(
        Agent(model, tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook)
    )
    ((name, call_id, iid, args),) = hook.of("tool_call")
    assert (name, call_id, args) == ("get", None, '{"a":1}')
    call_item, result_item = items[0], items[1]
    assert isinstance(call_item, StreamAssistantItem) and isinstance(
        call_item.content, StreamedToolCall
    )
    assert isinstance(result_item, StreamUserItem)
    assert iid == call_item.content.internal_call_id == result_item.content.internal_call_id
    responses = ScriptedModel(
        [[tool_call("get", id="fc_1", call_id="call_1"), final()], ["ok", final()]]
    )
    hook = Recorder()
    await collect(Agent(responses, tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook))
    assert hook.of("tool_call")[0][1] == "call_1"


async def test_t40_skip_feeds_the_reason_back() -> None:
    RUNS.clear()
    hook = Recorder(tool_call=ToolCallHookAction.skip("denied"))
    model = tool_then_text()
    items, error = await collect(
        Agent(model, tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook)
    )
    assert error is None
    assert RUNS == []
    assert hook.of("tool_result") == []
    result = items[1]
    assert isinstance(result, StreamUserItem)
    assert result.content.tool_result.content == [Text(text="denied")]
    assert model.requests[1].prompt == UserMessage(
        content=[ToolResult(id="tc", content=[Text(text="denied")])]
    )
    skip_json = Recorder(tool_call=ToolCallHookAction.skip('{"response":"no"}'))
    items, _ = await collect(
        Agent(tool_then_text(), tools=[get]).stream_prompt("p").multi_turn(1).with_hook(skip_json)
    )
    assert items[1].content.tool_result.content == [Text(text='"no"')]  # type: ignore[union-attr]


async def test_t41_terminate_on_tool_call() -> None:
    RUNS.clear()
    hook = Recorder(tool_call=ToolCallHookAction.terminate("unsafe"))
    model = tool_then_text()
    items, error = await collect(
        Agent(model, tools=[get]).stream_chat("p", [U0]).multi_turn(1).with_hook(hook)
    )
    assert kinds(items) == ["ToolCall:get"]
    assert isinstance(error, PromptCancelled) and error.reason == "unsafe"
    # The call did not run, so it is not in the history (it would have no result).
    assert error.chat_history == [U0, Message.user("p")]
    assert RUNS == []
    assert model.calls == 1


async def test_t42_terminate_on_tool_result() -> None:
    RUNS.clear()
    hook = Recorder(tool_result=HookAction.terminate("seen enough"))
    items, error = await collect(
        Agent(tool_then_text(), tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook)
    )
    assert RUNS == ["get:0"]
    assert kinds(items) == ["ToolCall:get"]
    assert isinstance(error, PromptCancelled)
    assert hook.of("tool_result") == [("get", None, hook.of("tool_call")[0][2], "{}", "got")]
    # Changed (issue 9.11): the tool ran, so its call and result stay in the history, as after a
    # Stop at the same point (the seed kept only [User(p)]).
    assert error.chat_history == [
        Message.user("p"),
        AssistantMessage(content=[tool_call("get", id="tc").to_tool_call()]),
        Message.tool_result("tc", "got"),
    ]


def anthropic_style_turn() -> list:
    iid = "iid_1"
    return [
        RawToolCallDelta(id="toolu_1", internal_call_id=iid, content=ToolCallNameDelta(name="get")),
        RawToolCallDelta(
            id="toolu_1", internal_call_id=iid, content=ToolCallArgsDelta(delta='{"a"')
        ),
        RawToolCallDelta(
            id="toolu_1", internal_call_id=iid, content=ToolCallArgsDelta(delta=":1}")
        ),
        RawToolCall(id="toolu_1", name="get", arguments={"a": 1}, internal_call_id=iid),
        final(),
    ]


async def test_t43_tool_call_deltas_reach_the_hook_and_the_caller() -> None:
    hook = Recorder()
    model = ScriptedModel([anthropic_style_turn(), ["ok", final()]])
    items, _ = await collect(
        Agent(model, tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook)
    )
    assert hook.of("delta") == [
        ("toolu_1", "iid_1", "get", ""),
        ("toolu_1", "iid_1", None, '{"a"'),
        ("toolu_1", "iid_1", None, ":1}"),
    ]
    # Deviation (rig #1789): deltas are yielded to the caller too.
    assert kinds(items)[:4] == ["ToolCallDelta", "ToolCallDelta", "ToolCallDelta", "ToolCall:get"]
    first = items[0]
    assert isinstance(first, StreamAssistantItem) and isinstance(
        first.content, StreamedToolCallDelta
    )
    assert first.content.internal_call_id == "iid_1"
    from dataclasses import replace

    seed = replace(
        Agent(ScriptedModel([anthropic_style_turn(), ["ok", final()]]), tools=[get])
        .stream_prompt("p")
        .multi_turn(1),
        forward_tool_call_deltas=False,
    )
    items, _ = await collect(seed)
    assert "ToolCallDelta" not in kinds(items)
    stop = Recorder(delta={1: HookAction.terminate("no")})
    items, error = await collect(
        Agent(ScriptedModel([anthropic_style_turn()]), tools=[get])
        .stream_prompt("p")
        .with_hook(stop)
    )
    assert items == []
    assert isinstance(error, PromptCancelled)
    assert error.chat_history == [Message.user("p")]


async def test_t44_finish_hook_terminates_and_is_skipped_for_tool_only_turns() -> None:
    hook = Recorder(finish=HookAction.terminate("done"))
    items, error = await collect(
        Agent(ScriptedModel([["a", final()]])).stream_prompt("p").with_hook(hook)
    )
    assert kinds(items) == ["Text:a"]
    assert isinstance(error, PromptCancelled)
    assert error.chat_history == [Message.user("p"), Message.assistant("a")]  # issue 9.11
    hook = Recorder()
    await collect(
        Agent(tool_then_text(), tools=[get]).stream_prompt("p").multi_turn(1).with_hook(hook)
    )
    assert len(hook.of("finish")) == 1  # only the text turn
    assert hook.of("finish")[0][0] == Message.tool_result("tc", "got")


async def test_t45_request_hook_replaces_the_agent_hook() -> None:
    h1, h2 = Recorder(), Recorder()
    agent = Agent(ScriptedModel([["a", final()], ["b", final()]]), hook=h1)
    await collect(agent.stream_prompt("p").with_hook(h2))
    assert h1.calls == [] and len(h2.calls) > 0
    await collect(StreamingPromptRequest.new(agent, Message.user("p")))
    assert h1.calls == []


async def test_hooks_returning_none_continue() -> None:
    class Quiet(PromptHook):
        pass

    answer = (
        await Agent(tool_then_text(), tools=[get], hook=Quiet()).stream_prompt("p").multi_turn(1)
    )
    assert answer.response == "done"
