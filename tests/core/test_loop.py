"""Spec 2: the multi-turn loop (T05-T07, T09, T17-T34, T50-T53).

Where ARCHITECTURE.md names a deviation from rig's seed, the test asserts the new behaviour and says
so; the seed's behaviour is in the comment next to it.
"""

import json
import logging

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    CompletionError,
    FinalResponse,
    MaxTurnsError,
    Message,
    ModelError,
    ProviderError,
    Reasoning,
    ReasoningEncrypted,
    ReasoningSummary,
    ReasoningText,
    RequestError,
    StreamAssistantItem,
    StreamedFinal,
    StreamUserItem,
    SystemMessage,
    Text,
    ToolCall,
    ToolFunction,
    ToolResult,
    Usage,
    UserMessage,
    tool,
)
from rig_nb.core import (
    AnyMessage,
    CompletionRequest,
    RawMessageId,
    RawReasoning,
    RawReasoningDelta,
)
from rig_nb.testing import ScriptedModel, final, tool_call

from .helpers import collect, final_of, kinds

pytestmark = pytest.mark.anyio

P = Message.user("do tool work")


@tool
def echo(text: str = "ok") -> str:
    """Echo the text back."""
    echo.calls.append(text)  # type: ignore[attr-defined]
    return text


def fresh_echo():
    echo.calls = []  # type: ignore[attr-defined]
    return echo


def tool_msg(call: ToolCall) -> AssistantMessage:
    return AssistantMessage(content=[call])


def call_of(name: str, args=None, id: str | None = None, call_id: str | None = None) -> ToolCall:
    return ToolCall(
        id=id or f"call_{name}",
        call_id=call_id,
        function=ToolFunction(name=name, arguments=args or {}),
    )


async def test_t05_continues_after_a_tool_call_turn() -> None:
    seen = []

    def validate(request: CompletionRequest, index: int) -> None:
        seen.append(index)
        if index == 1:
            assert request.chat_history == [
                Message.user("do tool work"),
                AssistantMessage(
                    content=[call_of("missing_tool", {"input": "value"}, "tool_call_1", "call_1")]
                ),
                UserMessage(
                    content=[
                        ToolResult(
                            id="tool_call_1",
                            call_id="call_1",
                            content=[Text(text="Toolset error: ToolNotFoundError: missing_tool")],
                        )
                    ]
                ),
            ]

    model = ScriptedModel(
        [
            [
                tool_call("missing_tool", {"input": "value"}, id="tool_call_1", call_id="call_1"),
                final(total_tokens=4),
            ],
            ["done", final(total_tokens=6)],
        ],
        validate=validate,
    )
    items, error = await collect(
        Agent(model).stream_prompt("do tool work").with_history([]).multi_turn(3)
    )
    assert error is None
    assert kinds(items) == [
        "ToolCall:missing_tool",
        "ToolResult",
        "Text:done",
        "Final",
        "FinalResponse",
    ]
    result = items[1]
    assert isinstance(result, StreamUserItem)
    assert result.content.tool_result.content == [
        Text(text="Toolset error: ToolNotFoundError: missing_tool")
    ]
    answer = final_of(items)
    assert answer.response == "done"
    assert answer.aggregated_usage.total_tokens == 10
    assert answer.history is not None and answer.history[-1] == Message.assistant("done")
    assert seen == [0, 1]
    assert model.calls == 2


async def test_t06_final_response_matches_streamed_text() -> None:
    model = ScriptedModel([["hello", " world", final(total_tokens=3)]])
    items, error = await collect(Agent(model).stream_prompt("hi"))
    assert error is None
    assert kinds(items) == ["Text:hello", "Text: world", "Final", "FinalResponse"]
    answer = final_of(items)
    assert answer.response == "hello world"
    assert answer.history is None
    assert model.requests[0].chat_history == [Message.user("hi")]


async def test_t07_textless_turn_gives_an_empty_response(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel([[final(total_tokens=1)]])
    with caplog.at_level(logging.WARNING, logger="rig_nb.agent"):
        items, error = await collect(Agent(model).stream_prompt("hi"))
    assert error is None
    assert kinds(items) == ["FinalResponse"]
    assert final_of(items).response == ""
    assert final_of(items).aggregated_usage.total_tokens == 1
    assert "Streaming turn completed without assistant text" in caplog.text


async def test_t09_and_t23_history_holds_only_the_new_messages() -> None:
    u0, a0 = Message.user("earlier"), Message.assistant("earlier answer")
    model = ScriptedModel([["hi", final()]])
    items, _ = await collect(Agent(model, preamble="P").stream_chat("now", [u0, a0]))
    assert final_of(items).history == [
        Message.user("now"),
        AssistantMessage(id=None, content=[Text(text="hi")]),
    ]
    assert model.requests[0].chat_history == [Message.system("P"), u0, a0, Message.user("now")]
    empty = ScriptedModel([["x", final()]])
    items, _ = await collect(Agent(empty).stream_prompt("p").with_history([]))
    assert final_of(items).history == [Message.user("p"), Message.assistant("x")]


async def test_t17_empty_terminal_turn_after_a_tool_turn(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel(
        [
            [tool_call("echo"), final(input_tokens=1, output_tokens=1, total_tokens=2)],
            [final(input_tokens=1, output_tokens=1, total_tokens=2)],
        ]
    )
    with caplog.at_level(logging.WARNING, logger="rig_nb.agent"):
        items, error = await collect(
            Agent(model, tools=[fresh_echo()]).stream_chat("go", []).multi_turn(1)
        )
    assert error is None
    answer = final_of(items)
    assert answer.response == ""
    assert answer.usage == Usage(input_tokens=2, output_tokens=2, total_tokens=4)
    assert answer.history is not None and len(answer.history) == 3
    assert answer.history[1] == tool_msg(call_of("echo"))
    assert answer.history[2] == Message.tool_result("call_echo", "ok")
    assert model.calls == 2
    assert "without assistant text" in caplog.text


def always_calling_echo(n: int) -> ScriptedModel:
    return ScriptedModel([[tool_call("echo", id=f"t{i + 1}"), final()] for i in range(n)])


async def test_t18_default_budget_allows_two_calls_then_max_turns_error() -> None:
    model = always_calling_echo(3)
    items, error = await collect(Agent(model, tools=[fresh_echo()]).stream_prompt(P))
    assert kinds(items) == ["ToolCall:echo", "ToolResult", "ToolCall:echo", "ToolResult"]
    assert model.calls == 2
    assert echo.calls == ["ok", "ok"]  # type: ignore[attr-defined]
    assert isinstance(error, MaxTurnsError)
    assert str(error) == "PromptError: MaxTurnError: (reached max turn limit: 0)"
    assert error.max_turns == 0
    assert error.prompt == Message.user("")
    assert error.chat_history == [
        P,
        tool_msg(call_of("echo", id="t1")),
        Message.tool_result("t1", "ok"),
        tool_msg(call_of("echo", id="t2")),
        Message.tool_result("t2", "ok"),
    ]


async def test_t19_multi_turn_one_allows_three_calls() -> None:
    ok = ScriptedModel(
        [[tool_call("echo"), final()], [tool_call("echo"), final()], ["answer", final()]]
    )
    items, error = await collect(Agent(ok, tools=[fresh_echo()]).stream_prompt(P).multi_turn(1))
    assert error is None and final_of(items).response == "answer"
    assert ok.calls == 3
    too_many = always_calling_echo(4)
    _, error = await collect(Agent(too_many, tools=[fresh_echo()]).stream_prompt(P).multi_turn(1))
    assert isinstance(error, MaxTurnsError)
    assert too_many.calls == 3


async def test_t20_agent_default_max_turns_and_its_override() -> None:
    model = always_calling_echo(5)
    agent = Agent(model, tools=[fresh_echo()], default_max_turns=2)
    assert agent.stream_prompt(P).effective_max_turns == 2
    _, error = await collect(agent.stream_prompt(P))
    assert isinstance(error, MaxTurnsError) and error.max_turns == 2
    assert model.calls == 4
    overridden = always_calling_echo(5)
    agent = Agent(overridden, tools=[fresh_echo()], default_max_turns=2)
    _, error = await collect(agent.stream_prompt(P).multi_turn(0))
    assert isinstance(error, MaxTurnsError) and error.max_turns == 0
    assert overridden.calls == 2


async def test_t21_max_turns_history_starts_with_the_input_history() -> None:
    u0, a0 = Message.user("u0"), Message.assistant("a0")
    _, error = await collect(
        Agent(always_calling_echo(2), tools=[fresh_echo()]).stream_chat(P, [u0, a0])
    )
    assert isinstance(error, MaxTurnsError)
    assert error.chat_history[:3] == [u0, a0, P]


async def test_t22_no_history_means_none_and_no_json_key() -> None:
    items, _ = await collect(Agent(ScriptedModel([["x", final()]])).stream_prompt("p"))
    answer = final_of(items)
    assert answer.history is None
    assert "history" not in json.loads(answer.model_dump_json())


async def test_t24_preamble_is_a_leading_system_message_never_seen_by_hooks() -> None:
    from rig_nb import PromptHook

    seen: list[tuple[AnyMessage, list[AnyMessage]]] = []

    class Spy(PromptHook):
        async def on_completion_call(self, prompt, history):
            seen.append((prompt, list(history)))

    u0, a0 = Message.user("u0"), Message.assistant("a0")
    model = ScriptedModel([[tool_call("echo"), final()], ["done", final()]])
    agent = Agent(model, preamble="P", tools=[fresh_echo()], hook=Spy())
    await collect(agent.stream_chat("go", [u0, a0]).multi_turn(1))
    call = tool_msg(call_of("echo"))
    result = Message.tool_result("call_echo", "ok")
    assert [r.chat_history for r in model.requests] == [
        [SystemMessage(content="P"), u0, a0, Message.user("go")],
        [SystemMessage(content="P"), u0, a0, Message.user("go"), call, result],
    ]
    assert all(r.preamble is None for r in model.requests)
    # The hooks get the same histories without the preamble (exactly: nothing added, nothing lost).
    assert seen == [
        (Message.user("go"), [u0, a0]),
        (result, [u0, a0, Message.user("go"), call]),
    ]


async def test_t25_text_and_tool_in_one_turn() -> None:
    from rig_nb import PromptHook

    finishes = []

    class Spy(PromptHook):
        async def on_stream_completion_response_finish(self, prompt, response):
            finishes.append(response)

    model = ScriptedModel(
        [["Let me check. ", tool_call("echo", id="x"), final()], ["done", final()]]
    )
    agent = Agent(model, tools=[fresh_echo()], hook=Spy())
    items, error = await collect(agent.stream_chat("q", []).multi_turn(1))
    assert error is None
    # Tools run once the turn's stream has ended, so the turn's Final precedes the ToolResult
    # (seed: Text, ToolCall, ToolResult, Final, ...).
    assert kinds(items) == [
        "Text:Let me check. ",
        "ToolCall:echo",
        "Final",
        "ToolResult",
        "Text:done",
        "Final",
        "FinalResponse",
    ]
    history = final_of(items).history
    assert history is not None
    assert history[1] == AssistantMessage(
        id=None, content=[Text(text="Let me check. "), call_of("echo", id="x")]
    )
    assert len(finishes) == 2


async def test_t26_two_calls_in_one_turn_give_two_result_messages() -> None:
    model = ScriptedModel(
        [
            [
                tool_call("echo", {"text": "a"}, id="a"),
                tool_call("echo", {"text": "b"}, id="b"),
                final(),
            ],
            ["ok", final()],
        ]
    )
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_prompt("p").multi_turn(1))
    # Deferred execution: both calls are yielded as they arrive, then both results
    # (the seed interleaves them).
    assert kinds(items) == [
        "ToolCall:echo",
        "ToolCall:echo",
        "ToolResult",
        "ToolResult",
        "Text:ok",
        "Final",
        "FinalResponse",
    ]
    assert model.requests[1].chat_history == [
        Message.user("p"),
        AssistantMessage(
            content=[call_of("echo", {"text": "a"}, "a"), call_of("echo", {"text": "b"}, "b")]
        ),
        Message.tool_result("a", "a"),
        Message.tool_result("b", "b"),
    ]
    assert model.requests[1].prompt == Message.tool_result("b", "b")


async def test_t27_reasoning_blocks_merge_by_id_and_take_the_message_id() -> None:
    model = ScriptedModel(
        [
            [
                RawReasoning("rs_1", ReasoningSummary(text="s1")),
                RawReasoning("rs_1", ReasoningEncrypted(data="enc")),
                RawMessageId("msg_1"),
                tool_call("echo", id="t"),
                final(),
            ],
            ["ok", final()],
        ]
    )
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1))
    assert kinds(items)[:3] == ["Reasoning", "Reasoning", "ToolCall:echo"]
    history = final_of(items).history
    assert history is not None
    assert history[1] == AssistantMessage(
        id="msg_1",
        content=[
            Reasoning(
                id="rs_1", content=[ReasoningSummary(text="s1"), ReasoningEncrypted(data="enc")]
            ),
            call_of("echo", id="t"),
        ],
    )


async def test_t28_text_then_reasoning_then_tool_calls() -> None:
    model = ScriptedModel(
        [
            [RawReasoning("rs", ReasoningText(text="r")), "text", tool_call("echo"), final()],
            ["ok", final()],
        ]
    )
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1))
    history = final_of(items).history
    assert history is not None
    assert [type(c) for c in history[1].content] == [Text, Reasoning, ToolCall]


async def test_t29_reasoning_deltas_become_one_unsigned_block_with_the_first_id() -> None:
    model = ScriptedModel(
        [
            [
                RawReasoningDelta(None, "th"),
                RawReasoningDelta("r1", "ink"),
                tool_call("echo", id="t"),
                final(),
            ],
            ["ok", final()],
        ]
    )
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1))
    assert kinds(items)[:3] == ["ReasoningDelta", "ReasoningDelta", "ToolCall:echo"]
    history = final_of(items).history
    assert history is not None
    assert history[1] == AssistantMessage(
        content=[
            Reasoning(id="r1", content=[ReasoningText(text="think", signature=None)]),
            call_of("echo", id="t"),
        ]
    )


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["r1", "r2", None], "r1"),  # spec T8: the first non-null id wins, not the last
        ([None, None, "r3"], "r3"),
        ([None, None, None], None),
    ],
)
async def test_t29_which_reasoning_delta_id_wins(ids: list, expected: str | None) -> None:
    deltas = [RawReasoningDelta(rid, text) for rid, text in zip(ids, ["a", "b", "c"], strict=True)]
    model = ScriptedModel([[*deltas, tool_call("echo", id="t"), final()], ["ok", final()]])
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1))
    history = final_of(items).history
    assert history is not None
    assert history[1].content[0] == Reasoning(id=expected, content=[ReasoningText(text="abc")])


async def test_t30_a_full_block_wins_over_deltas() -> None:
    model = ScriptedModel(
        [
            [
                RawReasoningDelta(None, "a"),
                RawReasoning(None, ReasoningText(text="a", signature="sig")),
                tool_call("echo", id="t"),
                final(),
            ],
            ["ok", final()],
        ]
    )
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1))
    history = final_of(items).history
    assert history is not None
    assert history[1] == AssistantMessage(
        content=[
            Reasoning(id=None, content=[ReasoningText(text="a", signature="sig")]),
            call_of("echo", id="t"),
        ]
    )


async def test_t31_final_turn_with_reasoning_is_stored_once() -> None:
    def script() -> ScriptedModel:
        return ScriptedModel([[RawReasoning("rs_1", ReasoningText(text="r")), "ans", final()]])

    block = Reasoning(id="rs_1", content=[ReasoningText(text="r")])
    items, _ = await collect(Agent(script()).stream_chat("p", []))
    # Fixed (rig #1849): two messages.
    assert final_of(items).history == [
        Message.user("p"),
        AssistantMessage(id=None, content=[Text(text="ans"), block]),
    ]
    compat = Agent(script()).stream_chat("p", [])
    from dataclasses import replace

    items, _ = await collect(replace(compat, compat_seed_history=True))
    # The seed's quirk, on request: the final text twice.
    assert final_of(items).history == [
        Message.user("p"),
        AssistantMessage(id=None, content=[Text(text="ans"), block]),
        Message.assistant("ans"),
    ]


async def test_t32_textless_final_turn_after_tools(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel([[tool_call("echo"), final()], [final()]])
    with caplog.at_level(logging.WARNING, logger="rig_nb.agent"):
        items, _ = await collect(
            Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1)
        )
    answer = final_of(items)
    assert answer.response == ""
    assert answer.history is not None
    assert all(
        not (isinstance(m, AssistantMessage) and m.text() == "" and not m.tool_calls())
        for m in answer.history
    )
    assert "final response will be empty" in caplog.text


async def test_t33_usage_sums_every_turn_even_tool_only_ones() -> None:
    u1 = Usage(
        input_tokens=1,
        output_tokens=2,
        total_tokens=3,
        cached_input_tokens=4,
        cache_creation_input_tokens=5,
    )
    u2 = Usage(
        input_tokens=10,
        output_tokens=20,
        total_tokens=30,
        cached_input_tokens=40,
        cache_creation_input_tokens=50,
    )
    model = ScriptedModel([[tool_call("echo"), final(u1)], ["x", final(u2)]])
    items, _ = await collect(Agent(model, tools=[fresh_echo()]).stream_prompt("p").multi_turn(1))
    assert kinds(items).count("Final") == 1  # the tool-only turn surfaces no Final
    assert final_of(items).aggregated_usage == u1 + u2


async def test_t34_second_final_of_a_turn_is_ignored() -> None:
    model = ScriptedModel([["a", final(total_tokens=1), final(total_tokens=2)]])
    items, _ = await collect(Agent(model).stream_prompt("p"))
    assert kinds(items) == ["Text:a", "Final", "FinalResponse"]
    assert final_of(items).usage.total_tokens == 1


async def test_t50_provider_error_ends_the_run_keeping_the_partial_turn() -> None:
    model = ScriptedModel([["a", ProviderError("boom")]])
    items, error = await collect(Agent(model).stream_chat("p", [Message.user("u0")]))
    assert kinds(items) == ["Text:a"]
    assert isinstance(error, ProviderError) and isinstance(error, CompletionError)
    assert str(error) == "CompletionError: ProviderError: boom"
    # Deviation: rig's seed attached no history to provider errors.
    assert error.chat_history == [Message.user("u0"), Message.user("p"), Message.assistant("a")]


@pytest.mark.parametrize(
    "text", ["request aborted", "Connection aborted.", "stream ABORTED by peer"]
)
async def test_t51_an_aborted_stream_is_an_error_keeping_the_partial_turn(
    text: str, caplog: pytest.LogCaptureFixture
) -> None:
    model = ScriptedModel([["a", "b", ProviderError(text)]])
    with caplog.at_level(logging.WARNING, logger="rig_nb.agent"):
        items, error = await collect(Agent(model).stream_chat("p", [Message.user("u0")]))
    # Deviation (issue 9.2): the seed ended the stream quietly and answered FinalResponse("")
    # (usage zero, empty-text warning). A cut-off answer is never a success here.
    assert kinds(items) == ["Text:a", "Text:b"]
    assert isinstance(error, ProviderError)
    assert str(error) == f"CompletionError: ProviderError: {text}"
    assert error.chat_history == [Message.user("u0"), Message.user("p"), Message.assistant("ab")]
    assert "final response will be empty" not in caplog.text


async def test_t52_dynamic_context_failure_is_a_request_error_before_any_model_call() -> None:
    class BrokenIndex:
        async def top_n(self, query: str, n: int):
            raise RuntimeError("index offline")

    model = ScriptedModel([["never", final()]])
    items, error = await collect(
        Agent(model, dynamic_context=[(2, BrokenIndex())]).stream_prompt("p")
    )
    assert items == []
    assert isinstance(error, RequestError)
    assert (
        str(error) == "CompletionError: RequestError: dynamic context search failed: index offline"
    )
    assert model.calls == 0


async def test_dynamic_and_static_context_become_documents() -> None:
    queries = []

    class Index:
        async def top_n(self, query: str, n: int):
            queries.append((query, n))
            return [(0.9, "doc1", {"title": "Paris", "pop": 2})]

    model = ScriptedModel([[tool_call("echo"), final()], ["ok", final()]])
    agent = Agent(
        model, context=["static text"], dynamic_context=[(1, Index())], tools=[fresh_echo()]
    )
    await collect(agent.stream_prompt("capital?").multi_turn(1))
    assert queries == [("capital?", 1), ("capital?", 1)]  # re-queried with the last user text
    docs = model.requests[1].documents
    assert [d.id for d in docs] == ["static_doc_0", "doc1"]
    assert docs[1].text == json.dumps({"title": "Paris", "pop": 2}, indent=2)
    assert model.requests[0].normalized_documents() is not None


async def test_rag_text_is_the_latest_user_text_for_context_and_tool_definitions() -> None:
    from rig_nb import Tool, ToolDefinition

    queries: list[str] = []
    prompts: list[str] = []

    class Index:
        async def top_n(self, query: str, n: int):
            queries.append(query)
            return []

    class Adaptive(Tool):
        name, description = "adaptive", "Changes its definition with the prompt."

        def definition(self, prompt: str = "") -> ToolDefinition:
            prompts.append(prompt)
            return ToolDefinition(name=self.name, description=prompt, parameters={})

        async def call(self, args: str) -> str:
            return "done"

    # An older user text in the input history, then the prompt; turns 2 and 3 are tool results.
    history = [Message.user("older question"), Message.assistant("older answer")]
    model = ScriptedModel(
        [
            [tool_call("adaptive", id="1"), final()],
            [tool_call("adaptive", id="2"), final()],
            ["ok", final()],
        ]
    )
    agent = Agent(model, dynamic_context=[(1, Index())], tools=[Adaptive()])
    answer = await agent.stream_chat("latest question", history).multi_turn(2)
    assert answer.response == "ok"
    assert queries == ["latest question"] * 3
    assert prompts == ["latest question"] * 3
    assert [r.tools[0].description for r in model.requests] == ["latest question"] * 3
    # With no prompt text at all (a tool-result prompt), the latest user text in history counts.
    model = ScriptedModel([["ok", final()]])
    queries.clear()
    await Agent(model, dynamic_context=[(1, Index())]).stream_chat(
        Message.tool_result("x", "r"), [Message.user("first"), Message.user("second")]
    )
    assert queries == ["second"]


async def test_t53_empty_provider_stream() -> None:
    items, error = await collect(Agent(ScriptedModel([[]])).stream_prompt("p"))
    assert error is None
    assert kinds(items) == ["FinalResponse"]
    assert final_of(items) == FinalResponse(response="")


async def test_request_carries_agent_settings_and_tool_definitions() -> None:
    model = ScriptedModel([["x", final()]])
    agent = Agent(
        model,
        tools=[fresh_echo()],
        temperature=0.2,
        max_tokens=99,
        additional_params={"top_p": 0.5},
        tool_choice="required",
    )
    await collect(agent.stream_prompt("p"))
    request = model.requests[0]
    assert (request.temperature, request.max_tokens, request.tool_choice) == (0.2, 99, "required")
    assert request.additional_params == {"top_p": 0.5}
    assert [t.name for t in request.tools] == ["echo"]
    assert request.tools[0].description == "Echo the text back."


async def test_a_non_rig_exception_from_the_model_is_a_model_error_with_history() -> None:
    # Changed (issue 9.10): it was relabelled ProviderError, but no provider said anything.
    model = ScriptedModel([["partial", ConnectionResetError("peer reset")]])
    items, error = await collect(Agent(model).stream_prompt("p"))
    assert kinds(items) == ["Text:partial"]
    assert isinstance(error, ModelError) and not isinstance(error, ProviderError)
    assert str(error) == "CompletionError: ModelError: ConnectionResetError: peer reset"
    assert isinstance(error.__cause__, ModelError)
    assert isinstance(error.__cause__.__cause__, ConnectionResetError)
    assert error.chat_history == [Message.user("p"), Message.assistant("partial")]


async def test_awaiting_a_request_returns_the_final_response() -> None:
    model = ScriptedModel(
        [[tool_call("echo"), final(total_tokens=1)], ["fine", final(total_tokens=2)]]
    )
    answer = await Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1)
    assert isinstance(answer, FinalResponse)
    assert answer.response == "fine"
    assert answer.usage.total_tokens == 3
    with pytest.raises(MaxTurnsError) as info:
        await Agent(always_calling_echo(2), tools=[fresh_echo()]).stream_prompt("p")
    assert len(info.value.chat_history) == 5


async def test_unexpected_extra_model_call_is_a_readable_model_error() -> None:
    from rig_nb.testing import UnexpectedModelCall

    model = ScriptedModel([[tool_call("echo"), final()]])
    with pytest.raises(ModelError, match=r"1 scripted turn\(s\) but got model call #2") as info:
        await Agent(model, tools=[fresh_echo()]).stream_chat("p", []).multi_turn(1)
    error = info.value
    assert str(error).startswith(
        "CompletionError: ModelError: UnexpectedModelCall: ScriptedModel has 1 scripted turn(s)"
    )
    cause = error.__cause__.__cause__  # the twin's cause is the ModelError, then the assertion
    assert isinstance(cause, UnexpectedModelCall) and isinstance(cause, AssertionError)
    assert error.chat_history == [
        Message.user("p"),
        tool_msg(call_of("echo")),
        Message.tool_result("call_echo", "ok"),
    ]


async def test_final_items_expose_usage() -> None:
    items, _ = await collect(
        Agent(ScriptedModel([["a", final(total_tokens=7)]])).stream_prompt("p")
    )
    item = items[1]
    assert isinstance(item, StreamAssistantItem) and isinstance(item.content, StreamedFinal)
    assert item.content.token_usage() == Usage(total_tokens=7)


def test_words_chunks_text_like_a_model_streams_it() -> None:
    from rig_nb.testing import words

    assert words("It is **21 °C**.") == ["It", " is", " **21", " °C**."]
    for text in ["", "one", "  a  b ", "line\n\nbreak"]:
        assert "".join(words(text)) == text
