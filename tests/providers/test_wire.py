"""The sans-IO decoders, the model-string factory, retries' Retry-After and key hygiene."""

import pickle

import pytest

from rig_nb import ResponseError, UserError
from rig_nb.providers import (
    AnthropicModel,
    GeminiModel,
    OllamaModel,
    OpenAIChatModel,
    OpenAIResponsesModel,
    model,
)
from rig_nb.providers._body import provider_message as _provider_message
from rig_nb.providers._http import Secret
from rig_nb.providers._ndjson import decode_ndjson_line
from rig_nb.providers._retry import _parse_retry_after
from rig_nb.providers._sse import ServerSentEvent, SSEDecoder, aiter_sse

pytestmark = pytest.mark.anyio


def decode_all(lines: list[str]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return [e for line in lines if (e := decoder.decode(line)) is not None]


def test_sse_fields_multiline_data_comments_and_ids() -> None:
    events = decode_all(
        [
            ": keep-alive",
            "event: delta",
            "id: 7",
            "data: a",
            "data:b",
            "retry: 100",
            "",
            'data: {"x":1}',
            "",
            "",
            "bogus line",
            "",
        ]
    )
    assert events == [
        ServerSentEvent(event="delta", data="a\nb", id="7", retry=100),
        ServerSentEvent(data='{"x":1}', id="7"),
    ]


async def test_aiter_sse_delivers_an_unterminated_last_event_and_strips_cr() -> None:
    async def lines():
        for line in ["data: one\r", "\r", "data: two"]:
            yield line

    assert [e.data async for e in aiter_sse(lines())] == ["one", "two"]


def test_ndjson_lines() -> None:
    assert decode_ndjson_line('{"a": 1}', "ollama") == {"a": 1}
    assert decode_ndjson_line("   ", "ollama") is None
    with pytest.raises(ResponseError, match="ollama sent a line that is not JSON"):
        decode_ndjson_line('{"a": ', "ollama")
    with pytest.raises(ResponseError, match="not an object"):
        decode_ndjson_line("[1]", "ollama")


def test_retry_after_and_provider_messages() -> None:
    assert _parse_retry_after("2") == 2.0
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("soon") is None
    assert (_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") or 0) < 0  # in the past: no wait
    assert _provider_message('{"error": {"message": "bad"}}') == "bad"
    assert _provider_message('{"error": "model not found"}') == "model not found"
    assert _provider_message('[{"error": {"code": 400, "message": "gemini bad"}}]') == "gemini bad"
    assert _provider_message("<html>Bad gateway</html>") == "<html>Bad gateway</html>"


def test_secrets_never_show() -> None:
    secret = Secret("sk-abc")
    assert "sk-abc" not in repr(secret) and "sk-abc" not in str(secret)
    assert secret.redact("key sk-abc here") == "key [redacted] here"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    m = OpenAIChatModel("gpt-4o-mini", api_key="sk-abc")
    assert "sk-abc" not in repr(m)
    with pytest.raises(TypeError, match="a rig_nb API key cannot be pickled"):
        pickle.dumps(m)


def test_model_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "k1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k2")
    monkeypatch.setenv("GOOGLE_API_KEY", "k3")
    assert isinstance(model("openai:gpt-4o-mini"), OpenAIChatModel)
    assert isinstance(model("openai-responses:o4-mini"), OpenAIResponsesModel)
    assert isinstance(model("anthropic:claude-sonnet-4-5"), AnthropicModel)
    assert isinstance(model("gemini:gemini-2.5-flash"), GeminiModel)
    assert isinstance(model("ollama:qwen2.5"), OllamaModel)
    local = model("vllm:Qwen/Qwen2.5-7B")
    assert isinstance(local, OpenAIChatModel)
    assert (local.base_url, local.provider_name, local.model_name) == (
        "http://localhost:8000/v1",
        "vllm",
        "Qwen/Qwen2.5-7B",
    )
    assert model("lmstudio:m").base_url == "http://localhost:1234/v1"
    custom = model("openai:qwen", base_url="http://127.0.0.1:9999/v1")
    assert custom.base_url == "http://127.0.0.1:9999/v1"


def test_bad_model_strings_and_missing_keys_are_clear() -> None:
    with pytest.raises(UserError, match="is not 'vendor:model'"):
        model("gpt-4o-mini")
    with pytest.raises(UserError, match="unknown model vendor 'mistral'"):
        model("mistral:large")
    with pytest.raises(UserError, match="ANTHROPIC_API_KEY"):
        model("anthropic:claude")
    with pytest.raises(UserError, match="GEMINI_API_KEY"):
        model("gemini:flash")
    with pytest.raises(UserError, match="OPENROUTER_API_KEY"):
        model("openrouter:meta/llama")
    with pytest.raises(UserError, match="needs a model name"):
        OpenAIChatModel("", api_key="x")


def test_agent_takes_a_model_string(monkeypatch: pytest.MonkeyPatch) -> None:
    from rig_nb import Agent

    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    agent = Agent("anthropic:claude-sonnet-4-5", max_tokens=100)
    assert isinstance(agent.model, AnthropicModel)
    assert agent.model.model_name == "claude-sonnet-4-5"
    with pytest.raises(UserError, match="unknown model vendor"):
        Agent("nope:x")


async def test_buffered_lines_split_across_chunks_and_know_what_has_arrived() -> None:
    from rig_nb.core import RawText, RawToolCall
    from rig_nb.providers._lines import BATCH_LINES, BufferedLines, batches, merge_text

    async def chunks(*parts: str):
        for part in parts:
            yield part

    lines = BufferedLines(chunks("a\r", "\nb\nc", "\rd\r\n\r\ne", "\r"))
    assert [line async for line in lines] == ["a", "b", "c", "d", "", "e"]
    lines = BufferedLines(chunks("one\ntwo\nthr", "ee\n"))
    assert await anext(lines) == "one"
    assert lines.buffered() is True  # "two" has arrived
    assert await anext(lines) == "two"
    assert lines.buffered() is False  # "three" is not complete: the next read waits
    assert await anext(lines) == "three"
    many = BufferedLines(chunks("".join(f"{i}\n" for i in range(1200)), "last\n"))
    sizes = [len(b) async for b in batches(many)]
    assert sizes[:4] == [2, 4, 8, 16] and max(sizes) == BATCH_LINES == 512 and sum(sizes) == 1201
    call = RawToolCall(id="t", name="f")
    assert merge_text([RawText("a"), RawText("b"), call, RawText("c")]) == [
        RawText("ab"),
        call,
        RawText("c"),
    ]
