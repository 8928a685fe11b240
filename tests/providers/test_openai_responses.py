"""OpenAI Responses through the full agent loop (spec 4.2, T60)."""

import json

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    Message,
    ProviderError,
    Reasoning,
    ReasoningEncrypted,
    ReasoningSummary,
    ReasoningText,
    RequestError,
    Text,
    ToolCall,
    ToolFunction,
    Usage,
)
from rig_nb.core import (
    CompletionRequest,
    RawMessageId,
    RawReasoning,
    RawReasoningDelta,
    RawToolCall,
    RawToolCallDelta,
    ToolCallArgsDelta,
)
from rig_nb.providers import OpenAIResponsesModel
from rig_nb.testing.http import ReplayTransport, Reply

from ..core.helpers import collect, final_of, kinds
from .conftest import FAST, fixture, get_weather

pytestmark = pytest.mark.anyio


def sse(name: str) -> Reply:
    return Reply.file(fixture("openai_responses", name))


def model_for(transport: ReplayTransport) -> OpenAIResponsesModel:
    return OpenAIResponsesModel(
        "o4-mini", api_key="sk-test", http_client=transport.client(), settings=FAST
    )


async def test_text_message_id_and_usage() -> None:
    transport = ReplayTransport(sse("text.sse"))
    items, error = await collect(Agent(model_for(transport), preamble="P").stream_chat("hi", []))
    assert error is None
    assert kinds(items) == ["Text:Hi ", "Text:there.", "Final", "FinalResponse"]
    answer = final_of(items)
    assert answer.usage == Usage(
        input_tokens=20, output_tokens=4, total_tokens=24, cached_input_tokens=5
    )
    assert str(transport.requests[0].url) == "https://api.openai.com/v1/responses"
    assert transport.bodies()[0] == {
        "model": "o4-mini",
        "input": [
            {"role": "system", "content": "P"},
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        ],
        "stream": True,
    }


async def test_t60_reasoning_blocks_function_call_at_the_end_and_round_trip() -> None:
    raws = [
        r
        async for r in model_for(ReplayTransport(sse("reasoning_tool.sse"))).stream(
            CompletionRequest(chat_history=[Message.user("x")])
        )
    ]
    reasoning = [r for r in raws if isinstance(r, RawReasoning)]
    assert reasoning == [
        RawReasoning("rs_1", ReasoningSummary(text="Need the weather.")),
        RawReasoning("rs_1", ReasoningSummary(text="Use the tool.")),
        RawReasoning("rs_1", ReasoningEncrypted(data="gAAAAencrypted==")),
    ]
    assert RawMessageId("msg_2") in raws
    # Argument deltas arrive though the wire has no content_index (rig #1827).
    args = [
        r.content.delta
        for r in raws
        if isinstance(r, RawToolCallDelta) and isinstance(r.content, ToolCallArgsDelta)
    ]
    assert args == ['{"location":', '"Paris"}', '{"location":"Rome"}']
    calls = [r for r in raws if isinstance(r, RawToolCall)]
    assert raws[-3:-1] == calls  # emitted at the end, just before the final
    assert [(c.id, c.call_id, c.arguments) for c in calls] == [
        ("fc_1", "call_XYZ", {"location": "Paris"}),
        ("fc_2", "call_ABC", {"location": "Rome"}),
    ]

    transport = ReplayTransport(sse("reasoning_tool.sse"), sse("text.sse"))
    agent = Agent(
        model_for(transport),
        tools=[get_weather],
        additional_params={"reasoning": {"effort": "low", "summary": "auto"}},
    )
    items, error = await collect(agent.stream_chat("weather?", []).multi_turn(1))
    assert error is None
    history = final_of(items).history
    assert history[1] == AssistantMessage(  # type: ignore[index]
        id="msg_2",
        content=[
            Text(text="Checking."),
            Reasoning(
                id="rs_1",
                content=[
                    ReasoningSummary(text="Need the weather."),
                    ReasoningSummary(text="Use the tool."),
                    ReasoningEncrypted(data="gAAAAencrypted=="),
                ],
            ),
            ToolCall(
                id="fc_1",
                call_id="call_XYZ",
                function=ToolFunction(name="get_weather", arguments={"location": "Paris"}),
            ),
            ToolCall(
                id="fc_2",
                call_id="call_ABC",
                function=ToolFunction(name="get_weather", arguments={"location": "Rome"}),
            ),
        ],
    )
    first, second = transport.bodies()
    assert first["include"] == ["reasoning.encrypted_content"]
    assert first["tools"][0]["name"] == "get_weather"
    assert second["input"][1:] == [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [
                {"type": "summary_text", "text": "Need the weather."},
                {"type": "summary_text", "text": "Use the tool."},
            ],
            "encrypted_content": "gAAAAencrypted==",
        },
        {"role": "assistant", "content": "Checking."},
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_XYZ",
            "name": "get_weather",
            "arguments": '{"location": "Paris"}',
        },
        {
            "type": "function_call",
            "id": "fc_2",
            "call_id": "call_ABC",
            "name": "get_weather",
            "arguments": '{"location": "Rome"}',
        },
        {
            "type": "function_call_output",
            "call_id": "call_XYZ",
            "output": '{"location":"Paris","temp_c":18}',
        },
        {
            "type": "function_call_output",
            "call_id": "call_ABC",
            "output": '{"location":"Rome","temp_c":18}',
        },
    ]


async def test_t60_incomplete_ends_the_turn_and_error_events_are_errors() -> None:
    # T60 had `response.incomplete` raise ProviderError. Issue 9 (points 1 and 3) makes it a
    # terminal event like `response.completed`, as a max-tokens stop is in the four other
    # families: the text is kept, calls go to the tools, and the reason is on the final object.
    items, error = await collect(
        Agent(model_for(ReplayTransport(sse("incomplete.sse")))).stream_chat("q", [])
    )
    assert error is None
    answer = final_of(items)
    assert answer.response == "Long answ"
    assert answer.history == [Message.user("q"), Message.assistant("Long answ")]
    (final,) = [i.content for i in items if kinds([i]) == ["Final"]]  # type: ignore[union-attr]
    assert final.response.incomplete_details == {"reason": "max_output_tokens"}  # type: ignore[union-attr]
    _, error = await collect(
        Agent(model_for(ReplayTransport(sse("error_midstream.sse")))).stream_chat("q", [])
    )
    assert isinstance(error, ProviderError)
    assert "server_error: The server had an error processing your request." in str(error)


async def test_histories_without_call_ids_are_refused_clearly() -> None:
    history = [
        Message.user("x"),
        AssistantMessage(content=[ToolCall(id="toolu_1", function=ToolFunction(name="f"))]),
        Message.tool_result("toolu_1", "ok"),
    ]
    _, error = await collect(Agent(model_for(ReplayTransport())).stream_chat("more", history))
    assert isinstance(error, RequestError)
    assert "needs the call_id of tool call toolu_1" in str(error)


async def test_reasoning_text_streams_and_round_trips() -> None:
    """gpt-oss, DeepSeek, OpenRouter: `reasoning_text` deltas and a reasoning item's content."""
    raws = [
        r
        async for r in model_for(ReplayTransport(sse("reasoning_text.sse"))).stream(
            CompletionRequest(chat_history=[Message.user("x")])
        )
    ]
    assert [r for r in raws if isinstance(r, RawReasoningDelta)] == [
        RawReasoningDelta("rs_9", "The user wants "),
        RawReasoningDelta("rs_9", "the weather."),
    ]
    assert RawReasoning("rs_9", ReasoningText(text="The user wants the weather.")) in raws

    transport = ReplayTransport(sse("reasoning_text.sse"), sse("text.sse"))
    agent = Agent(model_for(transport), tools=[get_weather])
    items, error = await collect(agent.stream_chat("weather?", []).multi_turn(1))
    assert error is None
    assert kinds(items)[:3] == ["ReasoningDelta", "ReasoningDelta", "Reasoning"]
    history = final_of(items).history or []
    reasoning = [c for c in history[1].content if isinstance(c, Reasoning)]  # type: ignore[union-attr]
    assert reasoning == [
        Reasoning(id="rs_9", content=[ReasoningText(text="The user wants the weather.")])
    ]
    assert transport.bodies()[1]["input"][1] == {
        "type": "reasoning",
        "id": "rs_9",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "The user wants the weather."}],
    }


async def test_reasoning_text_deltas_alone_still_round_trip_with_their_item_id() -> None:
    """A server whose reasoning item arrives without its content: the deltas make the block."""
    body = sse("reasoning_text.sse").body.replace(
        b'"summary":[],"content":[{"type":"reasoning_text","text":"The user wants the weather."}]',
        b'"summary":[]',
    )
    transport = ReplayTransport(Reply(body=body), sse("text.sse"))
    agent = Agent(model_for(transport), tools=[get_weather])
    _items, error = await collect(agent.stream_chat("weather?", []).multi_turn(1))
    assert error is None
    sent = transport.bodies()[1]["input"][1]
    assert sent["type"] == "reasoning" and sent["id"] == "rs_9"
    assert sent["content"] == [{"type": "reasoning_text", "text": "The user wants the weather."}]


async def test_an_incomplete_response_keeps_its_cut_off_call_for_the_tool_layer() -> None:
    body = b"".join(
        b"event: %s\ndata: %s\n\n" % (kind.encode(), json.dumps({"type": kind, **data}).encode())
        for kind, data in [
            (
                "response.output_item.added",
                {
                    "output_index": 0,
                    "item": {
                        "type": "function_call",
                        "id": "fc_1",
                        "call_id": "call_1",
                        "name": "get_weather",
                        "arguments": "",
                    },
                },
            ),
            (
                "response.function_call_arguments.delta",
                {"item_id": "fc_1", "output_index": 0, "delta": '{"location": "Os'},
            ),
            (
                "response.incomplete",
                {
                    "response": {
                        "id": "r",
                        "status": "incomplete",
                        "incomplete_details": {"reason": "max_output_tokens"},
                    }
                },
            ),
        ]
    )
    transport = ReplayTransport(Reply(body=body), sse("text.sse"))
    _items, error = await collect(
        Agent(model_for(transport), tools=[get_weather]).stream_chat("q", []).multi_turn(1)
    )
    assert error is None
    second = transport.bodies()[1]["input"]
    assert second[1]["arguments"] == '{"location": "Os'
    assert second[2]["type"] == "function_call_output"
    assert "JsonError: arguments of get_weather are not valid JSON" in second[2]["output"]
