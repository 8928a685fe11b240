"""The fault matrix (issue 9, points 1-8, 10, 13): five families x every fault, byte by byte.

Each case is played by a raw-socket server (`rawserver.RawServer`: exact bytes, pauses, FIN, RST,
held connections) and runs through the agent loop. Each asserts the exact error class (or the
answer), what the history holds, that nothing hangs (a per-case timeout), and that the API key
appears in no text: `str`, `repr`, the formatted traceback of the whole exception chain, the
logs, and the OpenTelemetry spans' status and events. README's "Failure model" table is this.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rig_nb import Agent, FinalResponse, Message, errors, tool
from rig_nb.errors import (
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    RequestError,
    ResponseError,
    RigError,
)
from rig_nb.providers import (
    AnthropicModel,
    GeminiModel,
    HttpModel,
    HttpSettings,
    OllamaModel,
    OpenAIChatModel,
    OpenAIResponsesModel,
)

from .rawserver import (
    LAST_CHUNK,
    Fin,
    Hold,
    Pause,
    RawServer,
    Rst,
    Script,
    Send,
    chunk,
    closed_port,
    head,
    whole,
)

# Each case takes a fraction of a second; a hang (a held body read until the read timeout, a
# Retry-After slept on) takes longer than the per-case timeout.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(5)]

KEY = "sk-MATRIX-SECRET-4242424242"
PASSWORD = "pa55-w0rd-SECRET"
U0 = Message.user("earlier")
PROMPT = Message.user("question")
PARTIAL = Message.assistant("Hel")
SETTINGS = HttpSettings(
    connect_timeout=2.0,
    read_timeout=8.0,
    max_retries=2,
    retry_base_delay=0.01,
    drain_timeout=0.05,
    tail_timeout=0.2,
)


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode()


def ndjson(data: Any) -> bytes:
    return json.dumps(data).encode() + b"\n"


@dataclass
class Wire:
    """One family's wire: how a short answer ("Hel" + "lo") looks, and its faults."""

    name: str
    make: Callable[[str, HttpSettings], HttpModel]
    content_type: str
    start: list[bytes]
    """Frames up to and including the text "Hel"."""
    rest: list[bytes]
    """The text "lo"."""
    end: list[bytes]
    """The terminal frames; the parser stops at the last one that matters."""
    error: bytes
    """A mid-stream error that echoes the key."""
    bug: bytes
    """A well-formed JSON chunk of an unexpected shape (a parser bug without the fix)."""
    error_object: dict[str, Any] = field(default_factory=dict)
    """The provider's JSON error object (served with a 2xx status)."""

    def frames(self) -> list[bytes]:
        return [*self.start, *self.rest, *self.end]

    def body(self) -> bytes:
        return b"".join(self.frames())

    def stream(self, frames: list[bytes] | None = None, content_type: str | None = None) -> Script:
        frames = self.frames() if frames is None else frames
        return [
            Send(head(200, content_type or self.content_type)),
            *[Send(chunk(f)) for f in frames],
            Send(LAST_CHUNK),
        ]


def _openai_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    return sse(
        {
            "id": "chatcmpl-1",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def _responses(kind: str, **data: Any) -> bytes:
    return sse({"type": kind, **data}, event=kind)


def _anthropic(kind: str, **data: Any) -> bytes:
    return sse({"type": kind, **data}, event=kind)


def _gemini(text: str, finish: str | None = None) -> bytes:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
    if finish:
        candidate["finishReason"] = finish
    usage = {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}
    return sse({"candidates": [candidate], "usageMetadata": usage, "modelVersion": "g"})


def _ollama(text: str, done: bool = False) -> bytes:
    line: dict[str, Any] = {
        "model": "qwen2.5",
        "message": {"role": "assistant", "content": text},
        "done": done,
    }
    if done:
        line.update(done_reason="stop", prompt_eval_count=3, eval_count=2)
    return ndjson(line)


WIRES = [
    Wire(
        "openai_chat",
        lambda url, s: OpenAIChatModel(
            "gpt-4o-mini", api_key=KEY, base_url=url + "/v1", settings=s
        ),
        "text/event-stream",
        start=[_openai_chunk({"role": "assistant", "content": "Hel"})],
        rest=[_openai_chunk({"content": "lo"})],
        end=[
            _openai_chunk({}, "stop"),
            sse(
                {
                    "choices": [],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
                }
            ),
            sse("[DONE]"),
        ],
        error=sse({"error": {"message": f"Incorrect API key provided: {KEY}", "code": "bad"}}),
        bug=sse({"id": "c", "choices": [{"index": 0, "delta": "not an object"}]}),
        error_object={
            "error": {
                "message": f"You exceeded your current quota ({KEY})",
                "type": "insufficient_quota",
            }
        },
    ),
    Wire(
        "openai_responses",
        lambda url, s: OpenAIResponsesModel(
            "o4-mini", api_key=KEY, base_url=url + "/v1", settings=s
        ),
        "text/event-stream",
        start=[
            _responses("response.created", response={"id": "resp_1", "status": "in_progress"}),
            _responses(
                "response.output_text.delta",
                item_id="msg_1",
                output_index=0,
                content_index=0,
                delta="Hel",
            ),
        ],
        rest=[
            _responses(
                "response.output_text.delta",
                item_id="msg_1",
                output_index=0,
                content_index=0,
                delta="lo",
            )
        ],
        end=[
            _responses(
                "response.completed",
                response={
                    "id": "resp_1",
                    "model": "o4-mini",
                    "status": "completed",
                    "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
                },
            )
        ],
        error=_responses("error", code="invalid_api_key", message=f"bad key {KEY}"),
        bug=_responses("response.output_item.done", output_index=0, item="not an object"),
        error_object={
            "error": {"message": f"Quota exceeded for {KEY}", "type": "insufficient_quota"}
        },
    ),
    Wire(
        "anthropic",
        lambda url, s: AnthropicModel("claude-sonnet-4-5", api_key=KEY, base_url=url, settings=s),
        "text/event-stream",
        start=[
            _anthropic(
                "message_start", message={"id": "msg_1", "model": "c", "usage": {"input_tokens": 3}}
            ),
            _anthropic("content_block_start", index=0, content_block={"type": "text", "text": ""}),
            _anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hel"}),
        ],
        rest=[
            _anthropic("content_block_delta", index=0, delta={"type": "text_delta", "text": "lo"})
        ],
        end=[
            _anthropic("content_block_stop", index=0),
            _anthropic(
                "message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 2}
            ),
            _anthropic("message_stop"),
        ],
        error=_anthropic(
            "error", error={"type": "authentication_error", "message": f"invalid x-api-key {KEY}"}
        ),
        bug=_anthropic("content_block_start", index=1, content_block="not an object"),
        error_object={
            "type": "error",
            "error": {"type": "rate_limit_error", "message": f"quota {KEY}"},
        },
    ),
    Wire(
        "gemini",
        lambda url, s: GeminiModel(
            "gemini-2.5-flash", api_key=KEY, base_url=url + "/v1beta", settings=s
        ),
        "text/event-stream",
        start=[_gemini("Hel")],
        rest=[_gemini("lo")],
        end=[_gemini("", "STOP")],
        error=sse(
            {
                "error": {
                    "code": 400,
                    "message": f"API key not valid: {KEY}",
                    "status": "INVALID_ARGUMENT",
                }
            }
        ),
        bug=sse({"candidates": ["not an object"]}),
        error_object={
            "error": {
                "code": 429,
                "message": f"Quota exceeded {KEY}",
                "status": "RESOURCE_EXHAUSTED",
            }
        },
    ),
    Wire(
        "ollama",
        lambda url, s: OllamaModel("qwen2.5", api_key=KEY, base_url=url, settings=s),
        "application/x-ndjson",
        start=[_ollama("Hel")],
        rest=[_ollama("lo")],
        end=[_ollama("", done=True)],
        error=ndjson({"error": f"unauthorized: {KEY}"}),
        bug=ndjson({"model": "qwen2.5", "message": "not an object", "done": False}),
        error_object={"error": f"model requires more system memory ({KEY})"},
    ),
]
IDS = [w.name for w in WIRES]


# -- running a case and checking what it left ------------------------------------------------


@pytest.fixture(autouse=True)
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer", provider.get_tracer)
    return exporter


@pytest.fixture(autouse=True)
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="rig_nb")
    return caplog


@dataclass
class Outcome:
    items: list[Any]
    error: RigError | None
    requests: int = 0
    connections: int = 0

    @property
    def final(self) -> FinalResponse:
        assert self.error is None, f"{type(self.error).__name__}: {self.error}"
        last = self.items[-1]
        assert isinstance(last, FinalResponse)
        return last


async def run(
    wire: Wire,
    *scripts: Script,
    prompt: str = "question",
    url: str | None = None,
    tools: list[Any] | None = None,
    turns: int = 1,
) -> Outcome:
    with RawServer(*scripts) as server:
        model = wire.make(url or server.url, SETTINGS)
        outcome = Outcome([], None)
        try:
            for _ in range(turns):
                agent = Agent(model, tools=tools or [])
                request = agent.stream_chat(prompt, [U0])
                if tools:
                    request = request.multi_turn(1)
                outcome = Outcome([], None)
                try:
                    async for item in request:
                        outcome.items.append(item)
                except RigError as exc:
                    outcome.error = exc
                if outcome.error is not None:
                    break
        finally:
            await model.aclose()
        outcome.requests, outcome.connections = len(server.requests), server.connections
    return outcome


def public_classes() -> set[type]:
    names = [n for n in errors.__all__ if n != "StreamingError"]
    return {getattr(errors, n) for n in names if isinstance(getattr(errors, n), type)}


def assert_exact(error: BaseException | None, cls: type[RigError]) -> None:
    """`error` is a `cls` and no other public error class beside `cls`'s own bases."""
    assert error is not None, f"expected {cls.__name__}, the run succeeded"
    classes = public_classes()
    got = {c.__name__ for c in classes if isinstance(error, c)}
    want = {c.__name__ for c in classes if issubclass(cls, c)}
    assert got == want, f"{type(error).__name__}: {error}"


def assert_no_secret(
    error: BaseException | None,
    logs: pytest.LogCaptureFixture,
    spans: InMemorySpanExporter,
    *secrets: str,
) -> None:
    secrets = secrets or (KEY,)
    texts = [logs.text]
    if error is not None:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        texts += [repr(vars(error))]
        cause = error.__cause__
        while cause is not None:
            texts += [str(cause), repr(cause)]
            cause = cause.__cause__
    for span in spans.get_finished_spans():
        texts.append(str(span.status.description))
        texts += [repr(dict(e.attributes or {})) for e in span.events]
        texts.append(repr(dict(span.attributes or {})))
    for secret in secrets:
        for text in texts:
            assert secret not in text


def assert_history(error: BaseException | None, *partial: Message) -> None:
    assert error is not None
    assert error.chat_history == [U0, PROMPT, *partial]  # type: ignore[attr-defined]


def assert_answer(outcome: Outcome, text: str = "Hello") -> None:
    assert outcome.final.response == text
    assert outcome.final.history == [PROMPT, Message.assistant(text)]


# -- point 1: stop at the terminal event ------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_terminal_event_then_the_body_is_held_open(wire: Wire, logs, spans) -> None:
    held = [Send(head(200, wire.content_type)), *[Send(chunk(f)) for f in wire.frames()], Hold()]
    # Two turns: the second must not wait for the first's held connection.
    outcome = await run(wire, held, held, turns=2)
    assert_answer(outcome)
    assert outcome.requests == 2 and outcome.connections == 2  # the held one was closed
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_terminal_event_then_reset(wire: Wire, logs, spans) -> None:
    script = [Send(head(200, wire.content_type)), *[Send(chunk(f)) for f in wire.frames()]]
    outcome = await run(wire, [*script, Pause(0.05), Rst()])
    assert_answer(outcome)
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_terminal_event_then_fin_without_the_last_chunk(wire: Wire, logs, spans) -> None:
    script = [Send(head(200, wire.content_type)), *[Send(chunk(f)) for f in wire.frames()]]
    outcome = await run(wire, [*script, Fin()])
    assert_answer(outcome)
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_clean_end_reuses_the_connection(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, wire.stream(), wire.stream(), turns=2)
    assert_answer(outcome)
    assert outcome.connections == 1
    assert_no_secret(outcome.error, logs, spans)


# -- point 2: a cut-off stream is never a success ---------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_reset_mid_answer(wire: Wire, logs, spans) -> None:
    script = [Send(head(200, wire.content_type)), *[Send(chunk(f)) for f in wire.start]]
    outcome = await run(wire, [*script, Pause(0.05), Rst()])
    assert_exact(outcome.error, ProviderError)
    assert "cut off" in str(outcome.error)
    assert_history(outcome.error, PARTIAL)
    assert outcome.requests == 1  # never resent once a byte arrived
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_fin_mid_answer(wire: Wire, logs, spans) -> None:
    script = [Send(head(200, wire.content_type)), *[Send(chunk(f)) for f in wire.start]]
    outcome = await run(wire, [*script, Fin()])
    assert_exact(outcome.error, ProviderError)
    assert_history(outcome.error, PARTIAL)
    assert outcome.requests == 1
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_clean_end_before_the_terminal_event(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, wire.stream(wire.start + wire.rest))
    assert_exact(outcome.error, ProviderError)
    assert "ended before" in str(outcome.error)
    assert_history(outcome.error, Message.assistant("Hello"))
    assert_no_secret(outcome.error, logs, spans)


# -- point 8: a connection dropped before any byte is retried ---------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_closed_without_a_response_then_answered(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, [Fin()], wire.stream())
    assert_answer(outcome)
    assert outcome.requests == 2
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_reset_before_a_response_then_answered(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, [Rst()], wire.stream())
    assert_answer(outcome)
    assert outcome.requests == 2
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_closed_without_a_response_until_retries_run_out(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, [Fin()], [Rst()], [Fin()])
    assert_exact(outcome.error, ProviderConnectionError)
    assert "closed the connection before answering" in str(outcome.error)
    assert outcome.requests == 3  # 1 + max_retries
    assert_history(outcome.error)
    assert_no_secret(outcome.error, logs, spans)


# -- point 7: Retry-After above the cap is not slept on ---------------------------------------


def _in_two_hours() -> str:
    return email.utils.formatdate(time.time() + 7200, usegmt=True)


RETRY_AFTER = {
    "openai_chat": ({"retry-after": "3600"}, 3600.0),
    "openai_responses": ({"retry-after-ms": "600000", "retry-after": "1"}, 600.0),
    "anthropic": ({"retry-after": "86400"}, 86400.0),
    "gemini": (None, 7200.0),  # an HTTP date, made when the test runs
    "ollama": ({"retry-after": "61"}, 61.0),
}


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_retry_after_above_the_cap_fails_at_once(wire: Wire, logs, spans) -> None:
    headers, seconds = RETRY_AFTER[wire.name]
    headers = headers or {"retry-after": _in_two_hours()}
    body = json.dumps({"error": {"message": f"Rate limit reached for {KEY}"}}).encode()
    outcome = await run(wire, whole(429, body, "application/json", headers))
    error = outcome.error
    assert_exact(error, ProviderHTTPError)
    assert isinstance(error, ProviderHTTPError)
    assert error.status_code == 429
    assert error.retry_after == pytest.approx(seconds, abs=5)
    assert "asks to retry after" in str(error) and "max_retry_after" in str(error)
    assert outcome.requests == 1
    assert_history(error)
    assert_no_secret(error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_retry_after_ms_below_the_cap_is_waited_for(wire: Wire, logs, spans) -> None:
    body = json.dumps({"error": {"message": "slow down"}}).encode()
    busy = whole(503, body, "application/json", {"retry-after-ms": "20", "retry-after": "600"})
    outcome = await run(wire, busy, wire.stream())
    assert_answer(outcome)
    assert outcome.requests == 2
    assert_no_secret(outcome.error, logs, spans)


# -- point 5: bodies that are not streams -----------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_2xx_json_error_object(wire: Wire, logs, spans) -> None:
    body = json.dumps(wire.error_object).encode()
    headers = {"x-request-id": "req_7", "x-echo-key": KEY}
    outcome = await run(wire, whole(200, body, "application/json", headers))
    error = outcome.error
    assert_exact(error, ProviderHTTPError)
    assert isinstance(error, ProviderHTTPError)
    assert error.status_code == 200 and error.request_id == "req_7"
    assert "[redacted]" in error.provider_message
    assert "ended before it was complete" not in str(error)
    assert KEY not in error.body and KEY not in repr(error.headers)
    assert_history(error)
    assert_no_secret(error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_2xx_html_page(wire: Wire, logs, spans) -> None:
    page = b"<!doctype html><html><head><title>Sign in - Proxy</title></head><body>x</body></html>"
    outcome = await run(wire, whole(200, page, "text/html; charset=utf-8"))
    error = outcome.error
    assert_exact(error, ProviderHTTPError)
    assert isinstance(error, ProviderHTTPError)
    assert error.status_code == 200
    assert "HTML page ('Sign in - Proxy')" in str(error)
    assert_history(error)
    assert_no_secret(error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_redirect(wire: Wire, logs, spans) -> None:
    location = f"https://user:{PASSWORD}@api.example.com/v2"
    outcome = await run(wire, whole(307, b"", "text/plain", {"location": location}))
    error = outcome.error
    assert_exact(error, ProviderHTTPError)
    assert isinstance(error, ProviderHTTPError)
    assert error.status_code == 307
    assert "redirected to https://user:[secure]@api.example.com/v2" in str(error)
    assert outcome.requests == 1
    assert_history(error)
    assert_no_secret(error, logs, spans, KEY, PASSWORD)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_valid_stream_with_a_wrong_content_type(wire: Wire, logs, spans) -> None:
    wrong = "application/json" if wire.content_type == "text/event-stream" else "text/plain"
    outcome = await run(wire, wire.stream(content_type=wrong))
    assert_answer(outcome)
    assert_no_secret(outcome.error, logs, spans)


# -- point 6: BOM, a byte at a time ------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_bom_before_the_first_event_a_byte_at_a_time(wire: Wire, logs, spans) -> None:
    # The first event carries the first text and starts with its data line (Responses and
    # Anthropic read the type from the data), so losing it shows in the answer.
    first = (
        wire.start[-1].split(b"\n", 1)[1]
        if wire.start[-1].startswith(b"event:")
        else wire.start[-1]
    )
    data = b"\xef\xbb\xbf" + b"".join([first, *wire.rest, *wire.end])
    script: Script = [Send(head(200, wire.content_type))]
    for i in range(12):  # the BOM and the start of the first event, one byte per read
        script += [Send(chunk(data[i : i + 1])), Pause(0.003)]
    script += [Send(chunk(data[12:])), Send(LAST_CHUNK)]
    outcome = await run(wire, script)
    assert_answer(outcome)  # the first event ("Hel") is kept
    assert_no_secret(outcome.error, logs, spans)


# -- point 13: keys echoed mid-stream ---------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_mid_stream_error_that_echoes_the_key(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, wire.stream([*wire.start, wire.error]))
    assert_exact(outcome.error, ProviderError)
    assert "[redacted]" in str(outcome.error)
    assert_history(outcome.error, PARTIAL)
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_password_in_the_base_url(wire: Wire, logs, spans) -> None:
    url = f"http://user:{PASSWORD}@127.0.0.1:{closed_port()}"
    outcome = await run(wire, url=url)
    assert_exact(outcome.error, ProviderConnectionError)
    assert "user:[secure]@127.0.0.1" in str(outcome.error)
    assert "[secure]" in repr(wire.make(url, SETTINGS))
    assert PASSWORD not in repr(wire.make(url, SETTINGS))
    assert_history(outcome.error)
    assert_no_secret(outcome.error, logs, spans, KEY, PASSWORD)


# -- point 10: requests that cannot be built, chunks a parser did not expect ------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_lone_surrogate_is_a_request_error_before_any_byte(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, wire.stream(), prompt="cut emoji \ud83d here")
    assert_exact(outcome.error, RequestError)
    assert "not valid Unicode" in str(outcome.error) and "\\ud83d" in str(outcome.error)
    assert outcome.requests == 0 and outcome.connections == 0
    assert outcome.error.chat_history[-1] == Message.user("cut emoji \ud83d here")  # type: ignore[union-attr]
    assert_no_secret(outcome.error, logs, spans)


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_chunk_the_parser_did_not_expect(wire: Wire, logs, spans) -> None:
    outcome = await run(wire, wire.stream([*wire.start, wire.bug]))
    error = outcome.error
    assert_exact(error, ResponseError)
    assert f"{wire.make('http://x', SETTINGS).provider_name} sent a chunk" in str(error)
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__
    # the parser's own exception is kept as the cause, under the ResponseError
    assert isinstance(chain[-1], AttributeError | TypeError | ValueError | KeyError | IndexError)
    assert all(isinstance(c, ResponseError) for c in chain[:-1])
    assert_history(error, PARTIAL)
    assert_no_secret(error, logs, spans)


# -- point 3: tool-call arguments are never lost ----------------------------------------------

CALLS: list[dict[str, Any]] = []


@tool
def lookup(city: str) -> str:
    """Look a city up.

    Args:
        city: The city.
    """
    CALLS.append({"city": city})
    return f"found {city}"


CUT_CALLS: dict[str, list[bytes]] = {
    # finish_reason "length" in the middle of the arguments
    "openai_chat": [
        _openai_chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": ""},
                    }
                ],
            }
        ),
        _openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Par'}}]}),
        _openai_chunk({}, "length"),
        sse("[DONE]"),
    ],
    # response.incomplete (max_output_tokens) before the call's output_item.done
    "openai_responses": [
        _responses(
            "response.output_item.added",
            output_index=0,
            item={
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "lookup",
                "arguments": "",
            },
        ),
        _responses(
            "response.function_call_arguments.delta",
            item_id="fc_1",
            output_index=0,
            delta='{"city": "Par',
        ),
        _responses(
            "response.incomplete",
            response={
                "id": "r",
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
            },
        ),
    ],
    # max_tokens inside a tool_use block: message_delta comes without a content_block_stop
    "anthropic": [
        _anthropic("message_start", message={"id": "m", "usage": {"input_tokens": 3}}),
        _anthropic(
            "content_block_start",
            index=0,
            content_block={"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}},
        ),
        _anthropic(
            "content_block_delta",
            index=0,
            delta={"type": "input_json_delta", "partial_json": '{"city": "Par'},
        ),
        _anthropic(
            "message_delta", delta={"stop_reason": "max_tokens"}, usage={"output_tokens": 9}
        ),
    ],
    # MAX_TOKENS with a function call whose args came as text (an OpenAI-style proxy)
    "gemini": [
        sse(
            {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [
                                {"functionCall": {"name": "lookup", "args": '{"city": "Par'}}
                            ],
                        },
                        "finishReason": "MAX_TOKENS",
                    }
                ]
            }
        ),
    ],
    # done_reason "length" with arguments as (cut) text
    "ollama": [
        ndjson(
            {
                "model": "q",
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"function": {"name": "lookup", "arguments": '{"city": "Par'}}],
                },
                "done": True,
                "done_reason": "length",
            }
        ),
    ],
}


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_cut_off_tool_arguments_reach_the_model_as_a_parse_error(
    wire: Wire, logs, spans
) -> None:
    CALLS.clear()
    outcome = await run(wire, wire.stream(CUT_CALLS[wire.name]), wire.stream(), tools=[lookup])
    assert_answer_after_tool(outcome)
    assert CALLS == []  # never run with made-up arguments
    assert_no_secret(outcome.error, logs, spans)


def assert_answer_after_tool(outcome: Outcome) -> None:
    final = outcome.final
    assert final.response == "Hello"
    history = final.history or []
    call = history[1].tool_calls()[0]  # type: ignore[union-attr]
    assert call.function.name == "lookup"
    assert call.function.arguments == '{"city": "Par'  # kept raw in the history
    result = history[2].content[0]  # type: ignore[union-attr]
    assert "JsonError: arguments of lookup are not valid JSON" in result.content[0].text  # type: ignore[union-attr]


async def test_openai_deltas_without_index_assemble_by_id_and_order(logs, spans) -> None:
    """Gemini's OpenAI endpoint, older Ollama /v1, SGLang: no `index` on tool-call deltas."""
    CALLS.clear()
    wire = WIRES[0]
    frames = [
        _openai_chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "lookup", "arguments": ""}}
                ],
            }
        ),
        _openai_chunk({"tool_calls": [{"function": {"arguments": '{"city": '}}]}),
        _openai_chunk({"tool_calls": [{"function": {"arguments": '"Paris"}'}}]}),
        _openai_chunk(
            {
                "tool_calls": [
                    {
                        "id": "b",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"city": "Rome"}'},
                    }
                ]
            }
        ),
        _openai_chunk({}, "tool_calls"),
        sse("[DONE]"),
    ]
    outcome = await run(wire, wire.stream(frames), wire.stream(), tools=[lookup])
    assert outcome.final.response == "Hello"
    assert CALLS == [{"city": "Paris"}, {"city": "Rome"}]
    assert_no_secret(outcome.error, logs, spans)


# -- point 6: a long line in small reads ------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES, ids=IDS)
async def test_a_long_line_in_small_reads(wire: Wire, logs, spans) -> None:
    text = "x" * 300_000
    long_start = [f.replace(b"Hel", b"Hel" + text.encode()) for f in wire.start]
    data = b"".join([*long_start, *wire.rest, *wire.end])
    script: Script = [Send(head(200, wire.content_type))]
    script += [Send(chunk(data[i : i + 1500])) for i in range(0, len(data), 1500)]
    outcome = await run(wire, [*script, Send(LAST_CHUNK)])
    assert_answer(outcome, "Hel" + text + "lo")
    assert_no_secret(outcome.error, logs, spans)
