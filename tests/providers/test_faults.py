"""The fault matrix: every family, every fault, over a real HTTP server on 127.0.0.1.

Each fault ends in a clear typed error that keeps the conversation, and never shows the API key.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from rig_nb import Agent, Message, ProviderError, ResponseError
from rig_nb.errors import ProviderConnectionError, ProviderHTTPError, ProviderTimeoutError
from rig_nb.providers import (
    AnthropicModel,
    GeminiModel,
    HttpModel,
    HttpSettings,
    OllamaModel,
    OpenAIChatModel,
    OpenAIResponsesModel,
)

from ..core.helpers import collect, final_of
from .conftest import FAST, fixture
from .loopback import LoopbackServer, Scripted, closed_port

pytestmark = pytest.mark.anyio

KEY = "sk-SECRET-KEY-0123456789"
U0 = Message.user("earlier")


@dataclass
class Family:
    name: str
    make: Callable[[str, HttpSettings], HttpModel]
    ext: str
    content_type: str
    error_body: Callable[[int, str], Any]
    text: str


FAMILIES = [
    Family(
        "openai_chat",
        lambda url, s: OpenAIChatModel(
            "gpt-4o-mini", api_key=KEY, base_url=url + "/v1", settings=s
        ),
        "sse",
        "text/event-stream",
        lambda code, msg: {
            "error": {
                "message": msg,
                "type": "invalid_request_error",
                "param": None,
                "code": str(code),
            }
        },
        "Hello there, Ünïcode ✓.",
    ),
    Family(
        "openai_responses",
        lambda url, s: OpenAIResponsesModel(
            "o4-mini", api_key=KEY, base_url=url + "/v1", settings=s
        ),
        "sse",
        "text/event-stream",
        lambda code, msg: {
            "error": {"message": msg, "type": "invalid_request_error", "param": None, "code": None}
        },
        "Hi there.",
    ),
    Family(
        "anthropic",
        lambda url, s: AnthropicModel("claude-sonnet-4-5", api_key=KEY, base_url=url, settings=s),
        "sse",
        "text/event-stream",
        lambda code, msg: {
            "type": "error",
            "error": {"type": "authentication_error", "message": msg},
        },
        "Hello from Claude.",
    ),
    Family(
        "gemini",
        lambda url, s: GeminiModel(
            "gemini-2.5-flash", api_key=KEY, base_url=url + "/v1beta", settings=s
        ),
        "sse",
        "text/event-stream",
        lambda code, msg: {"error": {"code": code, "message": msg, "status": "INVALID_ARGUMENT"}},
        "Hello from Gemini.",
    ),
    Family(
        "ollama",
        lambda url, s: OllamaModel("qwen2.5", api_key=KEY, base_url=url, settings=s),
        "ndjson",
        "application/x-ndjson",
        lambda code, msg: {"error": msg},
        "Hello from Ollama.",
    ),
]
IDS = [f.name for f in FAMILIES]


def body(family: Family, name: str) -> bytes:
    return fixture(family.name, f"{name}.{family.ext}").read_bytes()


def ok(family: Family) -> Scripted:
    return Scripted.body(body(family, "text"), content_type=family.content_type)


def error(family: Family, status: int, message: str, **headers: str) -> Scripted:
    import json

    data = json.dumps(family.error_body(status, message)).encode()
    return Scripted.body(data, status=status, content_type="application/json", headers=headers)


async def run(family: Family, server_url: str, settings: HttpSettings = FAST):
    model = family.make(server_url, settings)
    try:
        return await collect(Agent(model).stream_chat("question", [U0]))
    finally:
        await model.aclose()


def assert_kept(error: BaseException | None, *partial: Message) -> None:
    assert error is not None
    assert error.chat_history == [U0, Message.user("question"), *partial]  # type: ignore[attr-defined]
    assert KEY not in str(error)
    assert KEY not in repr(error.__dict__)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_401_bad_key(family: Family) -> None:
    reply = error(family, 401, f"Incorrect API key provided: {KEY}", **{"x-request-id": "req_123"})
    with LoopbackServer(reply) as server:
        items, err = await run(family, server.url)
    assert items == []
    assert isinstance(err, ProviderHTTPError)
    assert err.status_code == 401
    assert err.provider_message == "Incorrect API key provided: [redacted]"
    assert err.request_id == "req_123"
    assert "returned HTTP 401" in str(err) and "Check the API key" in str(err)
    assert len(server.requests) == 1  # not retried
    assert_kept(err)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_404_unknown_model(family: Family) -> None:
    with LoopbackServer(error(family, 404, "The model `nope` does not exist")) as server:
        _, err = await run(family, server.url)
    assert isinstance(err, ProviderHTTPError) and err.status_code == 404
    assert "The model `nope` does not exist" in str(err)
    assert "Check the model name and the base URL" in str(err)
    assert_kept(err)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_429_then_success(family: Family) -> None:
    with LoopbackServer(
        error(family, 429, "Rate limit reached", **{"retry-after": "0.05"}), ok(family)
    ) as server:
        items, err = await run(family, server.url)
    assert err is None
    assert final_of(items).response == family.text
    assert len(server.requests) == 2
    assert server.requests[0][2] == server.requests[1][2]  # the same body, resent


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_500_until_retries_run_out(family: Family) -> None:
    replies = [error(family, 500, "Internal server error") for _ in range(3)]
    with LoopbackServer(*replies) as server:
        _, err = await run(family, server.url)
    assert isinstance(err, ProviderHTTPError) and err.status_code == 500
    assert len(server.requests) == 3  # 1 + max_retries
    assert_kept(err)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_connection_refused(family: Family) -> None:
    _, err = await run(family, f"http://127.0.0.1:{closed_port()}")
    assert isinstance(err, ProviderConnectionError)
    assert "could not connect" in str(err) and "is the server running" in str(err)
    assert_kept(err)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_stream_cut_off_mid_body(family: Family) -> None:
    data = body(family, "truncated")
    with LoopbackServer(Scripted.body(data, content_type=family.content_type, cut=True)) as server:
        _items, err = await run(family, server.url)
    assert isinstance(err, ProviderError)
    assert "cut off" in str(err) or "ended before" in str(err)
    assert_kept(err, Message.assistant("Cut off"))


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_stream_ending_without_its_terminal_event(family: Family) -> None:
    with LoopbackServer(
        Scripted.body(body(family, "truncated"), content_type=family.content_type)
    ) as server:
        _, err = await run(family, server.url)
    assert isinstance(err, ProviderError)
    assert "ended before" in str(err)
    assert_kept(err, Message.assistant("Cut off"))


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_malformed_chunk(family: Family) -> None:
    with LoopbackServer(
        Scripted.body(body(family, "malformed"), content_type=family.content_type)
    ) as server:
        _, err = await run(family, server.url)
    assert isinstance(err, ResponseError)
    assert "not JSON" in str(err)
    assert_kept(err, Message.assistant("Fine so far"))


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_stall_past_the_read_timeout(family: Family) -> None:
    data = body(family, "text")
    first_event = data[: data.index(b"\n") + 1] + b"\n"
    stalled = Scripted(
        status=200, headers={"content-type": family.content_type}, pieces=[first_event, 3.0, data]
    )
    settings = HttpSettings(
        connect_timeout=2.0, read_timeout=0.3, max_retries=2, retry_base_delay=0.01
    )
    with LoopbackServer(stalled) as server:
        _, err = await run(family, server.url, settings)
    assert isinstance(err, ProviderTimeoutError)
    assert "sent nothing for 0.3 s (read timeout" in str(err)
    assert len(server.requests) == 1  # a stream that started is never resent
    assert_kept(err, *[m for m in [_partial(family)] if m is not None])


def _partial(family: Family) -> Message | None:
    """What the first event of each family's text fixture says."""
    return {
        "openai_chat": None,
        "gemini": Message.assistant("Hello"),
        "ollama": Message.assistant("Hello"),
    }.get(family.name)


TOOL_FIXTURES = {
    "openai_chat": ("tool_call", {"location": "NYC"}),
    "openai_responses": ("reasoning_tool", {"location": "Paris"}),
    "anthropic": ("thinking_tool", {"location": "San Francisco"}),
    "gemini": ("thought_tools", {"location": "Paris"}),
    "ollama": ("thinking_tools", {"location": "Paris"}),
}


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_tool_round_trip_over_loopback(family: Family) -> None:
    import json

    from rig_nb import StreamAssistantItem, StreamedToolCall

    from .conftest import get_time, get_weather

    name, first_args = TOOL_FIXTURES[family.name]
    tool_turn = Scripted.body(body(family, name), content_type=family.content_type, size=5)
    with LoopbackServer(tool_turn, ok(family)) as server:
        model = family.make(server.url, FAST)
        items, err = await collect(
            Agent(model, tools=[get_weather, get_time]).stream_chat("q", []).multi_turn(1)
        )
        await model.aclose()
    assert err is None
    calls = [
        i.content.tool_call
        for i in items
        if isinstance(i, StreamAssistantItem) and isinstance(i.content, StreamedToolCall)
    ]
    assert calls[0].function.arguments == first_args
    assert final_of(items).response == family.text
    second_body = json.dumps(server.requests[1][2])
    assert "temp_c" in second_body  # the tool's result went back


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
async def test_the_connection_is_reused_across_turns(family: Family) -> None:
    import httpx

    opened: list[object] = []

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            opened.append(response.extensions.get("network_stream"))
            return response

    replies = [
        Scripted.body(body(family, "text"), content_type=family.content_type, keep_alive=True)
        for _ in range(3)
    ]
    with LoopbackServer(*replies) as server:
        model = family.make(server.url, FAST)
        async with httpx.AsyncClient(transport=Counting()) as client:
            model._http._given = client
            for _ in range(3):
                _, err = await collect(Agent(model).stream_prompt("q"))
                assert err is None
    assert len({id(s) for s in opened}) == 1, "each turn opened a new connection"
