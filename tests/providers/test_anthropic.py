"""Anthropic Messages through the full agent loop (spec 4.3, T58)."""

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    Message,
    ProviderError,
    Reasoning,
    ReasoningRedacted,
    ReasoningText,
    Text,
    ToolCall,
    ToolFunction,
    Usage,
)
from rig_nb.core import CompletionRequest, RawReasoning, RawReasoningDelta, RawToolCall
from rig_nb.providers import AnthropicModel
from rig_nb.testing.http import ReplayTransport, Reply

from ..core.helpers import collect, final_of, kinds
from .conftest import FAST, fixture, get_time, get_weather

pytestmark = pytest.mark.anyio


def sse(name: str) -> Reply:
    return Reply.file(fixture("anthropic", name))


def model_for(transport: ReplayTransport) -> AnthropicModel:
    return AnthropicModel(
        "claude-sonnet-4-5", api_key="sk-ant-test", http_client=transport.client(), settings=FAST
    )


async def test_text_and_request_shape() -> None:
    transport = ReplayTransport(sse("text.sse"))
    agent = Agent(model_for(transport), preamble="Be brief.", context=["A doc."])
    items, error = await collect(agent.stream_chat("hi", [Message.system("Also polite.")]))
    assert error is None
    assert kinds(items) == ["Text:Hello", "Text: from Claude.", "Final", "FinalResponse"]
    assert final_of(items).usage == Usage(input_tokens=25, output_tokens=15, total_tokens=40)
    request = transport.requests[0]
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    body = transport.bodies()[0]
    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Also polite."},
    ]
    assert body["max_tokens"] == 4096
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<file id: static_doc_0>\nA doc.\n</file>\n"},
                {"type": "text", "text": "hi"},
            ],
        }
    ]


async def test_t58_thinking_tools_usage_and_the_next_request() -> None:
    raws = [
        r
        async for r in model_for(ReplayTransport(sse("thinking_tool.sse"))).stream(
            CompletionRequest(chat_history=[Message.user("x")])
        )
    ]
    assert [r for r in raws if isinstance(r, RawReasoningDelta)] == [
        RawReasoningDelta(None, "Let me "),
        RawReasoningDelta(None, "think"),
    ]
    assert [r for r in raws if isinstance(r, RawReasoning)] == [
        RawReasoning(None, ReasoningText(text="Let me think", signature="abc"))
    ]
    calls = [(r.id, r.name, r.arguments) for r in raws if isinstance(r, RawToolCall)]
    assert calls == [
        ("toolu_01A", "get_weather", {"location": "San Francisco"}),
        ("toolu_01B", "get_time", {}),
    ]
    final = raws[-1].response  # type: ignore[union-attr]
    assert final.token_usage() == Usage(
        input_tokens=10,
        output_tokens=5,
        total_tokens=20,
        cached_input_tokens=3,
        cache_creation_input_tokens=2,
    )

    transport = ReplayTransport(sse("thinking_tool.sse"), sse("text.sse"))
    agent = Agent(model_for(transport), tools=[get_weather, get_time], max_tokens=1000)
    items, error = await collect(agent.stream_chat("weather?", []).multi_turn(1))
    assert error is None
    assert kinds(items)[:5] == [
        "ReasoningDelta",
        "ReasoningDelta",
        "Reasoning",
        "Text:I'll check both.",
        "ToolCallDelta",
    ]
    assert final_of(items).history[1] == AssistantMessage(  # type: ignore[index]
        content=[
            Text(text="I'll check both."),
            Reasoning(content=[ReasoningText(text="Let me think", signature="abc")]),
            ToolCall(
                id="toolu_01A",
                function=ToolFunction(name="get_weather", arguments={"location": "San Francisco"}),
            ),
            ToolCall(id="toolu_01B", function=ToolFunction(name="get_time", arguments={})),
        ]
    )
    first, second = transport.bodies()
    assert first["tool_choice"] == {"type": "auto"}
    assert first["tools"][0]["input_schema"]["required"] == ["location"]
    assert first["max_tokens"] == 1000
    assert second["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me think", "signature": "abc"},
            {"type": "text", "text": "I'll check both."},
            {
                "type": "tool_use",
                "id": "toolu_01A",
                "name": "get_weather",
                "input": {"location": "San Francisco"},
            },
            {"type": "tool_use", "id": "toolu_01B", "name": "get_time", "input": {}},
        ],
    }
    # Both results in one user turn (Anthropic wants them together).
    assert second["messages"][2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_01A",
                "content": [{"type": "text", "text": '{"location":"San Francisco","temp_c":18}'}],
            },
            {
                "type": "tool_result",
                "tool_use_id": "toolu_01B",
                "content": [{"type": "text", "text": "12:00"}],
            },
        ],
    }
    assert len(second["messages"]) == 3


async def test_thinking_goes_first_and_redacted_thinking_round_trips() -> None:
    transport = ReplayTransport(sse("redacted.sse"), sse("text.sse"))
    agent = Agent(model_for(transport))
    items, _ = await collect(agent.stream_chat("x", []))
    history = final_of(items).history
    assert history[1] == AssistantMessage(
        content=[
            Text(text="Done."),
            Reasoning(content=[ReasoningRedacted(data="EmwKAhgBEgy3va3pzix")]),
        ]
    )  # type: ignore[index]
    await collect(agent.stream_chat("y", history))  # type: ignore[arg-type]
    assert transport.bodies()[1]["messages"][1]["content"] == [
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
        {"type": "text", "text": "Done."},
    ]


async def test_error_event_is_surfaced_with_history() -> None:
    items, error = await collect(
        Agent(model_for(ReplayTransport(sse("error_midstream.sse")))).stream_chat("q", [])
    )
    assert kinds(items) == ["Text:Partial answer"]
    assert isinstance(error, ProviderError)
    assert (
        str(error)
        == "CompletionError: ProviderError: anthropic stream error: overloaded_error: Overloaded"
    )
    assert error.chat_history == [Message.user("q"), Message.assistant("Partial answer")]
