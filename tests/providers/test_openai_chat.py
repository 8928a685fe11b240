"""OpenAI Chat Completions through the full agent loop (spec 4.1, T57)."""

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    Image,
    Message,
    ProviderError,
    Reasoning,
    ReasoningText,
    ResponseError,
    Text,
    ToolCall,
    ToolFunction,
    Url,
    Usage,
    UserError,
    UserMessage,
)
from rig_nb.core import (
    Base64,
    CompletionRequest,
    RawToolCall,
    RawToolCallDelta,
    ToolCallArgsDelta,
    ToolCallNameDelta,
)
from rig_nb.providers import OpenAIChatModel
from rig_nb.testing.http import ReplayTransport, Reply

from ..core.helpers import collect, final_of, kinds
from .conftest import FAST, fixture, get_time, get_weather
from .loopback import LoopbackServer, Scripted

pytestmark = pytest.mark.anyio


def model_for(transport: ReplayTransport, **kwargs) -> OpenAIChatModel:
    return OpenAIChatModel(
        "gpt-4o-mini",
        api_key="sk-test-123",
        http_client=transport.client(),
        settings=FAST,
        **kwargs,
    )


def sse(name: str) -> Reply:
    return Reply.file(fixture("openai_chat", name))


async def test_text_stream_and_usage_through_mock_transport() -> None:
    transport = ReplayTransport(sse("text.sse"))
    items, error = await collect(
        Agent(model_for(transport), preamble="Be kind.").stream_chat("hi", [])
    )
    assert error is None
    assert kinds(items) == [
        "Text:Hello",
        "Text: there, ",
        "Text:Ünïcode ✓.",
        "Final",
        "FinalResponse",
    ]
    answer = final_of(items)
    assert answer.response == "Hello there, Ünïcode ✓."
    assert answer.usage == Usage(
        input_tokens=12, output_tokens=6, total_tokens=18, cached_input_tokens=4
    )
    (request,) = transport.requests
    assert request.url == "https://api.openai.com/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert transport.bodies()[0] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_t57_tool_call_deltas_call_and_next_request() -> None:
    transport = ReplayTransport(sse("tool_call.sse"), sse("text.sse"))
    agent = Agent(model_for(transport), tools=[get_weather], temperature=0.1, max_tokens=100)
    items, error = await collect(agent.stream_chat("Weather in NYC?", []).multi_turn(1))
    assert error is None
    assert kinds(items)[:5] == [
        "ToolCallDelta",
        "ToolCallDelta",
        "ToolCallDelta",
        "ToolCall:get_weather",
        "ToolResult",
    ]
    deltas = [i.content.content for i in items[:3]]  # type: ignore[union-attr]
    assert deltas == [
        ToolCallNameDelta(name="get_weather"),
        ToolCallArgsDelta(delta='{"loc'),
        ToolCallArgsDelta(delta='ation":"NYC"}'),
    ]
    call = items[3].content.tool_call  # type: ignore[union-attr]
    assert call == ToolCall(
        id="call_abc123", function=ToolFunction(name="get_weather", arguments={"location": "NYC"})
    )
    answer = final_of(items)
    assert answer.usage.input_tokens == 10 + 12
    assert answer.usage.output_tokens == 5 + 6
    first, second = transport.bodies()
    assert first["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather.",
                "parameters": {
                    "type": "object",
                    "properties": {"location": {"type": "string", "description": "A city."}},
                    "required": ["location"],
                },
            },
        }
    ]
    # OpenAI's own endpoint: max_completion_tokens (its reasoning models reject max_tokens).
    assert (first["temperature"], first["max_completion_tokens"]) == (0.1, 100)
    assert "max_tokens" not in first
    assert second["messages"] == [
        {"role": "user", "content": "Weather in NYC?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc123",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location": "NYC"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_abc123",
            "content": '{"location":"NYC","temp_c":18}',
        },
    ]


async def test_parallel_calls_flush_in_index_order_with_noarg_and_broken_calls() -> None:
    model = model_for(ReplayTransport(sse("parallel_tools.sse")))
    request = CompletionRequest(chat_history=[Message.user("x")])
    raws = [r async for r in model.stream(request)]
    calls = [r for r in raws if isinstance(r, RawToolCall)]
    # index 0 (Paris) before index 1 (Rome) though Rome started first; no-arg call gets {};
    # the call whose arguments never parse is kept with its raw text (issue 9 point 3: rig
    # dropped it, leaving the model without an answer; now the tool layer reports the error).
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_paris", "get_weather", {"location": "Paris"}),
        ("call_rome", "get_weather", {"location": "Rome"}),
        ("call_noargs", "get_time", {}),
        ("call_broken", "get_weather", '{"location": "Ber'),
    ]
    deltas = [r for r in raws if isinstance(r, RawToolCallDelta)]
    by_id = {d.id: d.internal_call_id for d in deltas if isinstance(d.content, ToolCallNameDelta)}
    assert all(by_id[c.id] == c.internal_call_id for c in calls)


async def test_parallel_tools_run_through_the_loop() -> None:
    transport = ReplayTransport(sse("parallel_tools.sse"), sse("text.sse"))
    _items, error = await collect(
        Agent(model_for(transport), tools=[get_weather, get_time])
        .stream_chat("x", [])
        .multi_turn(1)
    )
    assert error is None
    tool_messages = [m for m in transport.bodies()[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == [
        "call_paris",
        "call_rome",
        "call_noargs",
        "call_broken",
    ]
    assert tool_messages[2]["content"] == "12:00"
    # The broken call is not run: the model gets the parse error as its result.
    assert tool_messages[3]["content"].startswith(
        "Toolset error: ToolCallError: JsonError: arguments of get_weather are not valid JSON"
    )
    assistant = next(m for m in transport.bodies()[1]["messages"] if m["role"] == "assistant")
    assert assistant["tool_calls"][3]["function"]["arguments"] == '{"location": "Ber'


async def test_text_and_tool_in_one_turn_keep_the_text_in_history() -> None:
    transport = ReplayTransport(sse("text_then_tool.sse"), sse("text.sse"))
    items, _ = await collect(
        Agent(model_for(transport), tools=[get_weather]).stream_chat("x", []).multi_turn(1)
    )
    assert final_of(items).history[1] == AssistantMessage(  # type: ignore[index]
        content=[
            Text(text="Let me check."),
            ToolCall(
                id="call_t1",
                function=ToolFunction(name="get_weather", arguments={"location": "Oslo"}),
            ),
        ]
    )
    assert transport.bodies()[1]["messages"][1]["content"] == "Let me check."


async def test_reasoning_content_streams_and_goes_back_in_history() -> None:
    transport = ReplayTransport(sse("reasoning.sse"), sse("text.sse"))
    agent = Agent(model_for(transport))
    items, _ = await collect(agent.stream_chat("hello", []))
    assert kinds(items) == [
        "ReasoningDelta",
        "ReasoningDelta",
        "Text:Hi!",
        "Final",
        "FinalResponse",
    ]
    history = final_of(items).history
    assert history == [
        Message.user("hello"),
        AssistantMessage(
            content=[
                Text(text="Hi!"),
                Reasoning(content=[ReasoningText(text="The user greets me.")]),
            ]
        ),
    ]
    await collect(agent.stream_chat("again", history))
    assert transport.bodies()[1]["messages"][1] == {
        "role": "assistant",
        "content": "Hi!",
        "reasoning_content": "The user greets me.",
    }


async def test_mid_stream_error_keeps_the_partial_turn() -> None:
    transport = ReplayTransport(sse("error_midstream.sse"))
    items, error = await collect(Agent(model_for(transport)).stream_chat("q", []))
    assert kinds(items) == ["Text:Partial ", "Text:answer"]
    assert isinstance(error, ProviderError)
    assert "The server had an error while processing your request" in str(error)
    assert error.chat_history == [Message.user("q"), Message.assistant("Partial answer")]


async def test_truncated_and_malformed_streams_are_clear_errors() -> None:
    _, error = await collect(
        Agent(model_for(ReplayTransport(sse("truncated.sse")))).stream_chat("q", [])
    )
    assert isinstance(error, ProviderError)
    assert (
        str(error)
        == "CompletionError: ProviderError: the openai stream ended before it was complete (no finish_reason and no [DONE])"
    )
    assert error.chat_history == [Message.user("q"), Message.assistant("Cut off")]
    _, error = await collect(
        Agent(model_for(ReplayTransport(sse("malformed.sse")))).stream_chat("q", [])
    )
    assert isinstance(error, ResponseError)
    assert "openai sent a chunk that is not JSON" in str(error)
    assert error.chat_history == [Message.user("q"), Message.assistant("Fine so far")]


async def test_images_documents_and_tool_choice_in_the_body() -> None:
    from rig_nb import Document, ToolResult
    from rig_nb.core import ToolChoiceSpecific

    transport = ReplayTransport(sse("text.sse"))
    agent = Agent(
        model_for(transport),
        context=["Doc text"],
        tool_choice=ToolChoiceSpecific(function_names=["get_weather"]),
        tools=[get_weather],
    )
    prompt = UserMessage(
        content=[
            Text(text="look"),
            Image(data=Url(value="https://x/cat.png"), detail="low"),
            Image(data=Base64(value="AAA"), media_type="jpeg"),
        ]
    )
    tool_image = UserMessage(
        content=[
            ToolResult(
                id="c1",
                content=[Text(text="see"), Image(data=Base64(value="BBB"), media_type="png")],
            )
        ]
    )
    history = [
        Message.user("a"),
        AssistantMessage(content=[ToolCall(id="c1", function=ToolFunction(name="get_weather"))]),
        tool_image,
    ]
    await collect(agent.stream_chat(prompt, history))
    body = transport.bodies()[0]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    messages = body["messages"]
    assert messages[0] == {
        "role": "user",
        "content": Document(id="static_doc_0", text="Doc text").render(),
    }
    assert messages[3] == {"role": "tool", "tool_call_id": "c1", "content": "see"}
    assert messages[4]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,BBB"},
    }
    assert messages[5]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAA"}},
    ]


async def test_additional_params_merge_and_compatible_servers_need_no_key() -> None:
    transport = ReplayTransport(sse("text.sse"))
    local = OpenAIChatModel(
        "qwen2.5",
        base_url="http://localhost:8000/v1",
        http_client=transport.client(),
        settings=FAST,
    )
    await collect(
        Agent(
            local, max_tokens=64, additional_params={"top_p": 0.9, "stream_options": {"extra": 1}}
        ).stream_prompt("x")
    )
    body = transport.bodies()[0]
    assert body["max_tokens"] == 64  # what compatible servers read
    assert "max_completion_tokens" not in body
    assert body["top_p"] == 0.9
    assert body["stream_options"] == {"include_usage": True, "extra": 1}
    assert "authorization" not in transport.requests[0].headers
    assert str(transport.requests[0].url) == "http://localhost:8000/v1/chat/completions"


def test_missing_key_names_the_variable_and_the_key_never_shows() -> None:
    with pytest.raises(UserError, match="set the OPENAI_API_KEY environment variable"):
        OpenAIChatModel("gpt-4o-mini")
    model = OpenAIChatModel("gpt-4o-mini", api_key="sk-secret-value")
    assert "sk-secret-value" not in repr(model)
    assert "api_key=set" in repr(model)


async def test_env_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1/")
    model = OpenAIChatModel("gpt-4o-mini")
    assert model.base_url == "http://127.0.0.1:1/v1"


async def test_text_stream_over_a_real_loopback_server() -> None:
    body = fixture("openai_chat", "tool_call.sse").read_bytes()
    with LoopbackServer(
        Scripted.body(body, size=7), Scripted.body(fixture("openai_chat", "text.sse").read_bytes())
    ) as server:
        model = OpenAIChatModel(
            "gpt-4o-mini", api_key="sk-loop", base_url=server.url + "/v1", settings=FAST
        )
        items, error = await collect(
            Agent(model, tools=[get_weather]).stream_chat("NYC?", []).multi_turn(1)
        )
        await model.aclose()
    assert error is None
    assert final_of(items).response == "Hello there, Ünïcode ✓."
    (path, headers, first), (_, _, second) = server.requests
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer sk-loop"
    assert second["messages"][-1]["role"] == "tool"
    assert headers["content-type"] == "application/json"
    assert first["messages"] == [{"role": "user", "content": "NYC?"}]
    assert first["tools"][0]["function"]["name"] == "get_weather"


async def test_usage_output_is_total_minus_prompt_not_completion_tokens() -> None:
    """Spec 4.1 (rig): output = total - prompt; completion_tokens is not read.

    On OpenAI total = prompt + completion, so both agree; this recording (a compatible server
    whose completion_tokens leaves out 10 reasoning tokens that total_tokens counts) tells them
    apart: 25 - 10 = 15 output tokens, not 5.
    """
    items, error = await collect(
        Agent(model_for(ReplayTransport(sse("usage_split.sse")))).stream_prompt("x")
    )
    assert error is None
    assert final_of(items).usage == Usage(input_tokens=10, output_tokens=15, total_tokens=25)
    # A server that reports no total: completion_tokens, and prompt + completion as the total.
    items, error = await collect(
        Agent(model_for(ReplayTransport(sse("usage_no_total.sse")))).stream_prompt("x")
    )
    assert error is None
    assert final_of(items).usage == Usage(input_tokens=10, output_tokens=5, total_tokens=15)
