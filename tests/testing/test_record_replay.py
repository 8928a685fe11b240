"""RecordingModel / ReplayModel: wire bodies with keys redacted, offline replay, clear misses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rig_nb import Agent, ModelError, ProviderError, tool
from rig_nb.providers import HttpSettings, OpenAIChatModel
from rig_nb.testing import (
    CassetteError,
    RecordingModel,
    ReplayModel,
    ScriptedModel,
    UnrecordedRequest,
    final,
    tool_call,
)
from tests.batch.helpers import openai_sse
from tests.providers.loopback import LoopbackServer, Scripted

pytestmark = pytest.mark.anyio
KEY = "sk-test-0123456789abcdef"


def provider(url: str, **kwargs: Any) -> OpenAIChatModel:
    settings = HttpSettings(retry_base_delay=0.001)
    return OpenAIChatModel(
        "gpt-4o-mini", api_key=KEY, base_url=f"{url}/v1", settings=settings, **kwargs
    )


async def test_a_provider_run_is_recorded_at_the_http_level_without_the_key(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    echoed = Scripted.body(
        openai_sse(f"your key is {KEY}"),
        headers={"x-request-id": f"req-{KEY}", "set-cookie": "s=1"},
    )
    with LoopbackServer(echoed) as server:
        model = RecordingModel(provider(server.url), cassette)
        answer = await Agent(model).stream_prompt("hello")
        await model.aclose()
        sent_headers = server.requests[0][1]
    assert answer.response == f"your key is {KEY}"  # the run itself is untouched
    assert sent_headers["authorization"] == f"Bearer {KEY}"
    text = cassette.read_text()
    assert KEY not in text and "authorization" not in text.lower() and "set-cookie" not in text
    header, entry = (json.loads(line) for line in text.splitlines())
    assert header["kind"] == "http" and header["model"]["class"] == "OpenAIChatModel"
    assert entry["request"]["path"] == "/v1/chat/completions"
    assert entry["request"]["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert entry["response"]["headers"]["x-request-id"] == "req-[redacted]"
    assert "your key is [redacted]" in entry["response"]["body"]
    assert entry["response"]["complete"] is True

    replayed = await Agent(ReplayModel(cassette)).stream_prompt("hello")
    assert replayed.response == "your key is [redacted]"
    assert replayed.usage == answer.usage


async def test_an_unrecorded_request_fails_clearly_saying_what_differs(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    with LoopbackServer(Scripted.body(openai_sse("hi"))) as server:
        model = RecordingModel(provider(server.url), cassette)
        await Agent(model, temperature=0.2).stream_prompt("hello")
        await model.aclose()
    agent = Agent(ReplayModel(cassette), temperature=0.7)
    with pytest.raises(ModelError) as caught:
        await agent.stream_prompt("hello")
    assert isinstance(caught.value.error.__cause__, UnrecordedRequest)
    message = str(caught.value)
    assert "holds no request like this one (1 recorded)" in message
    assert '-  "temperature": 0.2' in message and '+  "temperature": 0.7' in message
    assert caught.value.chat_history is not None  # the run kept its conversation


async def test_volatile_fields_are_ignored_and_a_429_then_200_replays_as_recorded(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "run.jsonl"
    busy = Scripted.body(
        b'{"error": {"message": "slow down"}}',
        status=429,
        content_type="application/json",
        headers={"retry-after": "0.01"},
    )
    with LoopbackServer(busy, Scripted.body(openai_sse("finally"))) as server:
        model = RecordingModel(provider(server.url), cassette)
        first = await Agent(model, additional_params={"user": "alice"}).stream_prompt("go")
        await model.aclose()
    assert first.response == "finally"
    statuses = [
        json.loads(line)["response"]["status"] for line in cassette.read_text().splitlines()[1:]
    ]
    assert statuses == [429, 200]
    replay = ReplayModel(cassette)
    again = await Agent(replay, additional_params={"user": "bob"}).stream_prompt("go")
    assert again.response == "finally"
    assert replay.exchanges.served  # the 429 was served, then the 200
    one_more = await Agent(replay).stream_prompt("go")  # used up: the last answer again
    assert one_more.response == "finally"


async def test_a_batch_recorded_in_order_replays_at_any_concurrency(tmp_path: Path) -> None:
    cassette = tmp_path / "batch.jsonl"
    prompts = [f"ticket {i}" for i in range(6)]
    answers = [Scripted.body(openai_sse(f"label {i}"), keep_alive=True) for i in range(6)]
    with LoopbackServer(*answers) as server:
        model = RecordingModel(provider(server.url), cassette)
        recorded = await Agent(model).map(prompts, concurrency=1)
        await model.aclose()
    replayed = await Agent(ReplayModel(cassette)).map(prompts, concurrency=6)
    assert list(replayed.response) == list(recorded.response) == [f"label {i}" for i in range(6)]
    missing = await Agent(ReplayModel(cassette)).map(["ticket 99"])
    assert missing.status[0] == "failed" and "UnrecordedRequest" in str(missing.error[0])


@tool
def lookup(order: int) -> str:
    """Look an order up."""
    return f"order {order}: shipped"


async def test_a_scripted_model_is_recorded_as_raw_choices_errors_included(tmp_path: Path) -> None:
    cassette = tmp_path / "scripted.jsonl"
    scripted = ScriptedModel(
        [
            [tool_call("lookup", {"order": 7}), final(total_tokens=5)],
            ["Order 7 has shipped.", final(total_tokens=9)],
            [ProviderError("the stream was cut off")],
        ]
    )
    model = RecordingModel(scripted, cassette)
    agent = Agent(model, tools=[lookup])
    first = await agent.stream_prompt("where is 7?").with_history([]).multi_turn(1)
    with pytest.raises(ProviderError):
        await agent.stream_prompt("and 8?")
    await model.aclose()
    header = json.loads(cassette.read_text().splitlines()[0])
    assert header["kind"] == "choices" and header["model"]["model"] == "scripted"

    replay = ReplayModel(cassette)
    agent = Agent(replay, tools=[lookup])
    again = await agent.stream_prompt("where is 7?").with_history([]).multi_turn(1)
    assert again.response == first.response and again.usage == first.usage
    assert again.history == first.history
    with pytest.raises(ProviderError, match="the stream was cut off"):
        await agent.stream_prompt("and 8?")
    with pytest.raises(ModelError, match="holds no model call like this one"):
        await agent.stream_prompt("and 9?")


def test_a_missing_or_broken_cassette_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="record one first"):
        ReplayModel(tmp_path / "none.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"rig_nb_cassette": 1, "kind": "choices", "model": {}}\n{oops\n')
    with pytest.raises(CassetteError, match="line 2 is not JSON"):
        ReplayModel(broken)
    broken.write_text('{"something": "else"}\n')
    with pytest.raises(CassetteError, match="not a rig_nb cassette"):
        ReplayModel(broken)


async def test_a_recorded_batch_shares_the_cache_of_the_replayed_one(tmp_path: Path) -> None:
    cassette, cache = tmp_path / "c.jsonl", tmp_path / "cache"
    with LoopbackServer(Scripted.body(openai_sse("yes"))) as server:
        model = RecordingModel(provider(server.url), cassette)
        await Agent(model).map(["q"], cache=cache)
        await model.aclose()
    table = await Agent(ReplayModel(cassette)).map(["q"], cache=cache)
    assert table.cached[0] and table.response[0] == "yes"


def test_every_key_header_and_key_parameter_is_learned_and_redacted() -> None:
    from rig_nb.testing._cassette import Redactor

    redactor = Redactor()
    redactor.learn(
        [
            ("Authorization", "Bearer sk-openai-1234"),
            ("x-api-key", "sk-ant-5678"),
            ("X-Goog-Api-Key", "AIza-9012"),
            ("api-key", "azure-3456"),
            ("content-type", "application/json"),
        ],
        [("key", "AIza-query-7890"), ("alt", "sse")],
    )
    text = "sk-openai-1234 sk-ant-5678 AIza-9012 azure-3456 AIza-query-7890 application/json sse"
    assert redactor.text(text) == "[redacted] " * 5 + "application/json sse"
    assert redactor.value({"a": ["x sk-ant-5678"], "sk-openai-1234": 1}) == {
        "a": ["x [redacted]"],
        "[redacted]": 1,
    }
