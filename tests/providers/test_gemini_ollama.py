"""Gemini (spec 4.4, T59) and Ollama (spec 4.5) through the full agent loop."""

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    Message,
    ProviderError,
    Reasoning,
    ReasoningText,
    Text,
    ToolCall,
    ToolFunction,
    Usage,
)
from rig_nb.core import CompletionRequest, RawReasoning, RawReasoningDelta, RawToolCall
from rig_nb.providers import GeminiModel, OllamaModel
from rig_nb.testing.http import ReplayTransport, Reply

from ..core.helpers import collect, final_of, kinds
from .conftest import FAST, fixture, get_weather

pytestmark = pytest.mark.anyio


def gemini(transport: ReplayTransport) -> GeminiModel:
    return GeminiModel(
        "gemini-2.5-pro", api_key="g-test", http_client=transport.client(), settings=FAST
    )


def ollama(transport: ReplayTransport) -> OllamaModel:
    return OllamaModel("qwen3", http_client=transport.client(), settings=FAST)


async def test_gemini_text_request_shape_and_usage() -> None:
    transport = ReplayTransport(Reply.file(fixture("gemini", "text.sse")))
    items, error = await collect(
        Agent(gemini(transport), preamble="P", temperature=0.3).stream_chat("hi", [])
    )
    assert error is None
    assert kinds(items) == ["Text:Hello", "Text: from Gemini.", "Final", "FinalResponse"]
    assert final_of(items).usage == Usage(input_tokens=8, output_tokens=5, total_tokens=13)
    request = transport.requests[0]
    assert (
        str(request.url)
        == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert request.headers["x-goog-api-key"] == "g-test"
    assert transport.bodies()[0] == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": "P"}]},
        "generationConfig": {"temperature": 0.3},
    }


async def test_t59_thoughts_signed_calls_unique_ids_and_finish_usage() -> None:
    raws = [
        r
        async for r in gemini(
            ReplayTransport(Reply.file(fixture("gemini", "thought_tools.sse")))
        ).stream(CompletionRequest(chat_history=[Message.user("x")]))
    ]
    assert raws[0] == RawReasoningDelta(None, "Planning the ")
    assert raws[1] == RawReasoning(None, ReasoningText(text="lookups.", signature="c2lnLTE="))
    calls = [r for r in raws if isinstance(r, RawToolCall)]
    # Two calls of one function get distinct ids (rig gave both the id "get_weather").
    assert [(c.id, c.name, c.arguments, c.signature) for c in calls] == [
        ("get_weather", "get_weather", {"location": "Paris"}, "c2lnLTI="),
        ("get_weather_2", "get_weather", {"location": "Rome"}, None),
    ]
    # The finish chunk has no content; its usage is kept all the same.
    assert raws[-1].response.token_usage() == Usage(
        input_tokens=40, output_tokens=42, total_tokens=82, cached_input_tokens=4
    )  # type: ignore[union-attr]

    transport = ReplayTransport(
        Reply.file(fixture("gemini", "thought_tools.sse")),
        Reply.file(fixture("gemini", "text.sse")),
    )
    items, error = await collect(
        Agent(gemini(transport), tools=[get_weather]).stream_chat("weather?", []).multi_turn(1)
    )
    assert error is None
    history = final_of(items).history
    assert history[1] == AssistantMessage(  # type: ignore[index]
        content=[
            Text(text="Looking up both cities."),
            Reasoning(content=[ReasoningText(text="lookups.", signature="c2lnLTE=")]),
            ToolCall(
                id="get_weather",
                function=ToolFunction(name="get_weather", arguments={"location": "Paris"}),
                signature="c2lnLTI=",
            ),
            ToolCall(
                id="get_weather_2",
                function=ToolFunction(name="get_weather", arguments={"location": "Rome"}),
            ),
        ]
    )
    first, second = transport.bodies()
    assert first["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Current weather.",
                    "parametersJsonSchema": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "A city."}},
                        "required": ["location"],
                    },
                }
            ]
        }
    ]
    assert second["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Looking up both cities."},
            {"thought": True, "text": "lookups.", "thoughtSignature": "c2lnLTE="},
            {
                "functionCall": {"name": "get_weather", "args": {"location": "Paris"}},
                "thoughtSignature": "c2lnLTI=",
            },
            {"functionCall": {"name": "get_weather", "args": {"location": "Rome"}}},
        ],
    }
    assert second["contents"][2] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "get_weather",
                    "response": {"result": {"location": "Paris", "temp_c": 18}},
                }
            },
            {
                "functionResponse": {
                    "name": "get_weather",
                    "response": {"result": {"location": "Rome", "temp_c": 18}},
                }
            },
        ],
    }


async def test_gemini_error_chunk() -> None:
    items, error = await collect(
        Agent(
            gemini(ReplayTransport(Reply.file(fixture("gemini", "error_midstream.sse"))))
        ).stream_chat("q", [])
    )
    assert kinds(items) == ["Text:Partial answer"]
    assert isinstance(error, ProviderError)
    assert "UNAVAILABLE: The model is overloaded" in str(error)


async def test_ollama_text_request_and_usage() -> None:
    transport = ReplayTransport(Reply.file(fixture("ollama", "text.ndjson")))
    items, error = await collect(
        Agent(ollama(transport), max_tokens=50, additional_params={"think": False}).stream_chat(
            "hi", []
        )
    )
    assert error is None
    assert final_of(items).response == "Hello from Ollama."
    assert final_of(items).usage == Usage(input_tokens=26, output_tokens=7, total_tokens=33)
    assert str(transport.requests[0].url) == "http://localhost:11434/api/chat"
    assert "authorization" not in transport.requests[0].headers
    assert transport.bodies()[0] == {
        "model": "qwen3",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "options": {"num_predict": 50},
        "think": False,
    }


async def test_ollama_thinking_tool_calls_with_generated_ids_and_next_request() -> None:
    transport = ReplayTransport(
        Reply.file(fixture("ollama", "thinking_tools.ndjson")),
        Reply.file(fixture("ollama", "text.ndjson")),
    )
    items, error = await collect(
        Agent(ollama(transport), tools=[get_weather]).stream_chat("weather?", []).multi_turn(1)
    )
    assert error is None
    assert kinds(items)[:5] == [
        "ReasoningDelta",
        "ReasoningDelta",
        "Text:Checking both.",
        "ToolCall:get_weather",
        "ToolCall:get_weather",
    ]
    calls = final_of(items).history[1].tool_calls()  # type: ignore[index,union-attr]
    assert [c.id for c in calls] == ["get_weather", "get_weather_2"]  # rig gave both the id ""
    second = transport.bodies()[1]
    assert second["messages"][1] == {
        "role": "assistant",
        "content": "Checking both.",
        "thinking": "I should check both.",
        "tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
            {"function": {"name": "get_weather", "arguments": {"location": "Rome"}}},
        ],
    }
    assert second["messages"][2:] == [
        {"role": "tool", "tool_name": "get_weather", "content": '{"location":"Paris","temp_c":18}'},
        {"role": "tool", "tool_name": "get_weather", "content": '{"location":"Rome","temp_c":18}'},
    ]


async def test_ollama_error_line_and_host_env(monkeypatch: pytest.MonkeyPatch) -> None:
    _, error = await collect(
        Agent(
            ollama(ReplayTransport(Reply.file(fixture("ollama", "error_midstream.ndjson"))))
        ).stream_chat("q", [])
    )
    assert isinstance(error, ProviderError)
    assert (
        str(error)
        == "CompletionError: ProviderError: ollama error: an error was encountered while running the model: unexpected EOF"
    )
    assert error.chat_history == [Message.user("q"), Message.assistant("Partial answer")]
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11500")
    assert OllamaModel("x").base_url == "http://0.0.0.0:11500"
