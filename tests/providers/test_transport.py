"""The HTTP layer's rules, one by one (the fault matrix plays them over a real socket)."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from rig_nb import Message, ProviderError, ResponseError
from rig_nb.core import CompletionRequest, RawFinal, RawStreamingChoice, RawText
from rig_nb.errors import ProviderConnectionError, ProviderHTTPError, ProviderTimeoutError
from rig_nb.providers import HttpSettings, OpenAIChatModel
from rig_nb.providers._lines import BufferedLines
from rig_nb.providers._retry import retry_after_seconds as _retry_after_seconds

from .rawserver import LAST_CHUNK, Fin, Hold, Pause, RawServer, Rst, Send, chunk, head

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(10)]

KEY = "sk-TRANSPORT-SECRET-99"
FAST = HttpSettings(connect_timeout=2.0, read_timeout=5.0, retry_base_delay=0.01, tail_timeout=0.2)
REQUEST = CompletionRequest(chat_history=[Message.user("q")])
TEXT = (
    b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n'
)
FINISH = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
USAGE = (
    b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
)


def model(handler: Callable[[httpx.Request], httpx.Response], **settings: float) -> OpenAIChatModel:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenAIChatModel(
        "gpt-4o-mini",
        api_key=KEY,
        http_client=client,
        settings=HttpSettings(
            connect_timeout=2.0,
            read_timeout=5.0,
            retry_base_delay=0.01,
            **settings,  # type: ignore[arg-type]
        ),
    )


def text_of(out: list[RawStreamingChoice]) -> str:
    return "".join(r.text for r in out if isinstance(r, RawText))


async def raws(m: OpenAIChatModel) -> tuple[list[RawStreamingChoice], Exception | None]:
    out: list[RawStreamingChoice] = []
    try:
        async for raw in m.stream(REQUEST):
            out.append(raw)
    except Exception as exc:
        return out, exc
    return out, None


# -- point 6: a long line costs linear work ------------------------------------------------------


async def _chunks(parts: list[str]) -> AsyncIterator[str]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    ("size", "read"),
    [(20_000_000, 4096), (300_000, 1), (2_000_000, 7)],
    ids=["20MB-in-4KB-reads", "300KB-a-char-at-a-time", "2MB-in-7-char-reads"],
)
async def test_a_long_line_in_small_reads_is_copied_a_bounded_number_of_times(
    size: int, read: int
) -> None:
    line = "data: " + "x" * size
    text = "data: first\n\n" + line + "\n\ndata: last\n\n"
    parts = [text[i : i + read] for i in range(0, len(text), read)]
    lines = BufferedLines(_chunks(parts))
    got = [line async for line in lines]
    assert got == ["data: first", "", line, "", "data: last", ""]
    # Re-slicing the buffer per read (the old code) copies ~size²/(2·read) characters:
    # 5e10 for the first case. Linear means a small constant times the text.
    assert lines.chars_copied <= 3 * len(text)


async def test_a_cr_split_from_its_lf_across_reads_still_ends_one_line() -> None:
    parts = ["data: a\r", "\n", "\r", "\ndata: ", "b" * 10, "c\r", "d\n"]
    assert [x async for x in BufferedLines(_chunks(parts))] == [
        "data: a",
        "",
        "data: bbbbbbbbbbc",
        "d",
    ]


# -- point 2: a dropped connection is a ProviderError, whatever the OS calls it ---------------


@pytest.mark.parametrize(
    "text",
    [
        "[WinError 10053] An established connection was aborted by the software in your host machine",
        "[Errno 104] Connection reset by peer",
        "",
    ],
)
async def test_a_connection_dropped_mid_answer_is_a_provider_error(text: str) -> None:
    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield TEXT
            raise httpx.ReadError(text)

    m = model(
        lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Cut())
    )
    out, error = await raws(m)
    assert text_of(out) == "Hello"
    assert type(error) is ProviderError
    assert str(error).startswith("ProviderError: the openai stream was cut off")


# -- point 8: what is retried --------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.WriteError("[Errno 32] Broken pipe"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_failures_before_any_answer_byte_are_retried(failure: Exception) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise failure
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=TEXT + FINISH
        )

    out, error = await raws(model(handler))
    assert error is None and text_of(out) == "Hello" and isinstance(out[-1], RawFinal)
    assert len(calls) == 3


async def test_unanswered_until_retries_run_out_is_a_connection_or_timeout_error() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    _, error = await raws(model(refused))
    assert type(error) is ProviderConnectionError
    assert "closed the connection before answering" in str(error)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    _, error = await raws(model(slow))
    assert type(error) is ProviderTimeoutError


async def test_a_read_timeout_before_the_head_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("timed out")

    _, error = await raws(model(handler))
    assert type(error) is ProviderTimeoutError and len(calls) == 1


@pytest.mark.parametrize(
    ("status", "header", "attempts"),
    [(500, "false", 1), (400, "true", 3), (500, None, 3), (400, None, 1)],
)
async def test_x_should_retry_is_obeyed(status: int, header: str | None, attempts: int) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        headers = {"x-should-retry": header} if header else {}
        return httpx.Response(status, headers=headers, json={"error": {"message": "no"}})

    _, error = await raws(model(handler))
    assert isinstance(error, ProviderHTTPError) and error.status_code == status
    assert len(calls) == attempts


# -- point 7: Retry-After -----------------------------------------------------------------------


def test_retry_after_headers() -> None:
    def seconds(**headers: str) -> float | None:
        return _retry_after_seconds(
            httpx.Headers({k.replace("_", "-"): v for k, v in headers.items()})
        )

    assert seconds(retry_after_ms="250", retry_after="9") == 0.25  # the precise one wins
    assert seconds(retry_after="9") == 9.0
    assert seconds(retry_after="1.5") == 1.5
    assert seconds(retry_after="nan") is None
    assert seconds(retry_after_ms="soon", retry_after="3") == 3.0
    soon = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert 100 < (seconds(retry_after=soon) or 0) <= 120
    assert seconds() is None


async def test_a_retry_after_within_the_cap_is_honoured_above_the_backoff_cap() -> None:
    """`retry_max_delay` bounds rig_nb's own backoff, not what the server asked for."""
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"retry-after": "0.3"}, json={"error": "slow"})
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=TEXT + FINISH
        )

    m = model(handler, retry_max_delay=0.01)
    _, error = await raws(m)
    assert error is None and len(calls) == 2
    assert calls[1] - calls[0] >= 0.29


async def test_exhausted_retries_keep_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429, headers={"retry-after-ms": "10"}, json={"error": {"message": "slow"}}
        )

    _, error = await raws(model(handler))
    assert isinstance(error, ProviderHTTPError) and error.retry_after == 0.01
    assert "the server asks to retry after 0.01 s" in str(error)


# -- point 1: OpenAI's finish_reason, then a server that stalls or drops before [DONE] -------


@pytest.mark.parametrize("ending", ["hold", "rst", "fin"])
async def test_openai_finish_then_no_done(ending: str) -> None:
    tail = {"hold": [Hold()], "rst": [Pause(0.05), Rst()], "fin": [Fin()]}[ending]
    script = [Send(head()), Send(chunk(TEXT)), Send(chunk(FINISH)), Send(chunk(USAGE)), *tail]
    with RawServer(script) as server:
        m = OpenAIChatModel("m", api_key=KEY, base_url=server.url, settings=FAST)
        out, error = await raws(m)
        await m.aclose()
    assert error is None
    assert text_of(out) == "Hello"
    final = out[-1]
    assert isinstance(final, RawFinal)
    assert final.response.token_usage().output_tokens == 2  # type: ignore[attr-defined]


async def test_openai_cut_before_finish_is_still_an_error() -> None:
    script = [Send(head()), Send(chunk(TEXT)), Pause(0.05), Rst()]
    with RawServer(script) as server:
        m = OpenAIChatModel("m", api_key=KEY, base_url=server.url, settings=FAST)
        out, error = await raws(m)
        await m.aclose()
    assert text_of(out) == "Hello" and type(error) is ProviderError


async def test_a_terminal_event_then_more_than_the_drain_budget_closes_the_connection() -> None:
    """A server that keeps sending after [DONE] neither delays the turn nor fails it."""
    noise = [Send(chunk(b": keep-alive\n\n")), Pause(0.02)] * 100
    script = [
        Send(head()),
        Send(chunk(TEXT + FINISH + b"data: [DONE]\n\n")),
        *noise,
        Send(LAST_CHUNK),
    ]
    with RawServer(script, [Send(head()), Send(chunk(TEXT + FINISH)), Send(LAST_CHUNK)]) as server:
        m = OpenAIChatModel("m", api_key=KEY, base_url=server.url, settings=FAST)
        started = time.monotonic()
        first, error = await raws(m)
        elapsed = time.monotonic() - started
        second, error2 = await raws(m)
        await m.aclose()
    assert error is None and error2 is None
    assert text_of(first) == text_of(second) == "Hello"
    assert server.connections == 2  # the first was closed after the drain budget
    assert elapsed < 1.5  # the noise lasts 2 s (a hang shows; this is not a speed target)


# -- point 13: redaction reaches the exception chain ----------------------------------------


async def test_a_malformed_chunk_that_echoes_the_key_is_redacted_down_the_chain() -> None:
    body = b'data: {"choices": [], "bad": "' + KEY.encode() + b'"\n\n'
    m = model(
        lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    )
    _, error = await raws(m)
    assert type(error) is ResponseError
    assert KEY not in str(error) and "[redacted]" in str(error)
    cause = error.__cause__
    assert isinstance(cause, json.JSONDecodeError)
    assert KEY not in cause.doc  # the decoder keeps the whole document


async def test_a_body_that_cannot_be_built_or_encoded_is_a_request_error_before_sending() -> None:
    from rig_nb import RequestError

    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        return httpx.Response(500)

    m = model(handler)
    for params, words in [
        ({"temperature_bias": float("nan")}, "NaN"),
        ({"seed": object()}, "not JSON serializable"),
    ]:
        request = CompletionRequest(chat_history=[Message.user("q")], additional_params=params)
        with pytest.raises(RequestError, match="cannot be sent as JSON") as caught:
            m.stream(request)
        assert words in str(caught.value) or "Out of range float" in str(caught.value)
    with pytest.raises(RequestError, match="could not be built: AttributeError"):
        m.stream(CompletionRequest(chat_history=[Message.user("q")], tools=["not a tool"]))  # type: ignore[list-item]
    assert sent == []
