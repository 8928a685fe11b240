"""A response body: read as UTF-8 text, checked to be the stream asked for, drained.

Also what a body that is not a stream says (`not_a_stream`, `provider_message`).
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
from collections.abc import Callable
from typing import Any, Literal

import anyio
import httpx

from ._lines import StreamEnded

__all__ = [
    "STREAM_TYPES",
    "Body",
    "finish_later",
    "StreamFormat",
    "has_first_line",
    "looks_like_stream",
    "not_a_stream",
    "provider_message",
    "wait_at_most",
]

StreamFormat = Literal["sse", "ndjson"]

STREAM_TYPES: dict[str, tuple[str, ...]] = {
    "sse": ("text/event-stream",),
    "ndjson": (
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    ),
}
SSE_FIELDS = frozenset({"data", "event", "id", "retry"})
SNIFF_LIMIT = 64 * 1024
"""The most of a body read to decide whether it is a stream."""
ERROR_BODY_LIMIT = 256 * 1024
"""The most of a body that is not a stream kept for its error."""
STATUS_HINTS = {
    401: "Check the API key",
    403: "The API key is not allowed to do this",
    404: "Check the model name and the base URL",
    429: "Rate limited; retries were exhausted",
}
"""What to check, added to the error of an HTTP status."""
DRAIN_LIMIT = 64 * 1024
"""The most read after a terminal event to give the connection back to the pool."""


class Body:
    """A response body as UTF-8 text (a leading BOM dropped, also when split across reads).

    Bytes read early, to check that the body is a stream, are handed over again first. After
    `expect_end()`, each read waits at most `tail_timeout` and a dropped or stalled connection
    raises `StreamEnded`.
    """

    def __init__(self, response: httpx.Response, tail_timeout: float) -> None:
        self._bytes = response.aiter_bytes()
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("replace")
        self._head: list[bytes] = []
        self._tail_timeout = tail_timeout
        self._tail: float | None = None
        self._eof = False
        self.broken = False

    def __aiter__(self) -> Body:
        return self

    async def __anext__(self) -> str:
        while True:
            if self._head:
                data = self._head.pop(0)
            elif self._eof:
                raise StopAsyncIteration
            else:
                try:
                    if self._tail is None:
                        data = await anext(self._bytes)
                    else:
                        with anyio.fail_after(self._tail):  # see drain(): not asyncio.timeout
                            data = await anext(self._bytes)
                except StopAsyncIteration:
                    self._eof = True
                    rest = self._decoder.decode(b"", True)
                    if rest:
                        return rest
                    raise
                except (TimeoutError, httpx.TransportError):
                    if self._tail is None:
                        raise
                    self.broken = True  # after the answer's last chunk: the answer stands
                    raise StreamEnded from None
            text = self._decoder.decode(data)
            if text:
                return text

    def expect_end(self) -> None:
        """Bound the wait for each further read (see `HttpSettings.tail_timeout`)."""
        self._tail = self._tail_timeout

    async def peek(self, enough: Any) -> tuple[str, bool]:
        """Read until `enough(text)` holds or the body ends; the text read so far, and EOF."""
        data = b"".join(self._head)
        while not self._eof and len(data) < SNIFF_LIMIT:
            text = data.decode("utf-8-sig", "replace")
            if enough(text):
                return text, False
            try:
                chunk = await anext(self._bytes)
            except StopAsyncIteration:
                self._eof = True
                break
            self._head.append(chunk)
            data += chunk
        return data.decode("utf-8-sig", "replace"), self._eof

    async def read_all(self, limit: int) -> str:
        """The rest of the body as text (at most `limit` bytes); a failed read ends it early."""
        data = b"".join(self._head)
        self._head = []
        try:
            while not self._eof and len(data) < limit:
                try:
                    data += await anext(self._bytes)
                except StopAsyncIteration:
                    self._eof = True
        except httpx.HTTPError:
            pass  # keep what arrived: the status and the start of the body say enough
        return data[:limit].decode("utf-8-sig", "replace")

    async def drain(self, budget: float) -> None:
        """Read what follows the terminal event (at most `DRAIN_LIMIT` bytes, `budget` s).

        Never raises. The bound is an anyio cancel scope, not `asyncio.timeout`: httpcore
        shields its pool's bookkeeping from anyio's cancellation, not from a bare
        `task.cancel()`, and a read cancelled mid-way by the latter can leak a pool slot.
        """
        if self._eof or self.broken:
            return
        try:
            with anyio.move_on_after(budget):
                size = 0
                async for chunk in self._bytes:
                    size += len(chunk)
                    if size > DRAIN_LIMIT:
                        return
        except httpx.HTTPError:
            return  # held open past the read timeout, or dropped: the answer stands


def finish_later(
    response: httpx.Response, reader: Body, release: Callable[[], None], budget: float
) -> tuple[asyncio.Task[None], asyncio.Future[None]]:
    """A task that reads the rest of a body whose terminal event came, then closes it.

    What follows the terminal event (a last blank line, the chunked terminator) usually arrives
    with it, and reading it gives the connection back to the pool for the next turn. The turn
    waits for the task at most `drain_timeout` s; past it (a busy loop, a server holding the body
    open) the task reads on, for at most `budget` s, and closes, and the turn goes on. No read is
    ever cancelled by a timer: on a loaded loop that leaked httpcore pool slots (60 of 64 after
    3,000 runs at concurrency 64, each later call a PoolTimeout; httpcore #1093).

    Also returns a future the task resolves as it gives the connection back (`wait_at_most`).
    """
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[None] = loop.create_future()

    async def finish() -> None:
        try:
            await reader.drain(budget)
        finally:
            try:
                await response.aclose()
            except httpx.HTTPError:
                pass  # the answer stands; the connection is gone
            finally:
                release()
                _resolve(ended)

    return loop.create_task(finish(), name="rig_nb: end of a response"), ended


async def wait_at_most(ended: asyncio.Future[None], seconds: float) -> None:
    """Wait until `ended` is resolved (by `finish_later`'s task), at most `seconds`.

    `asyncio.wait({task}, timeout=...)` did the same through the task's done callbacks: 13.8 µs
    with the task, 8.6 µs now, and one turn of the event loop sooner, during which the connection
    sat idle in httpcore's pool, whose every request scans its idle ones (bench/README.md, batch).
    """
    if ended.done():
        return
    timer = asyncio.get_running_loop().call_later(seconds, _resolve, ended)
    try:
        await ended
    finally:
        timer.cancel()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def has_first_line(text: str) -> bool:
    rest = text.lstrip()
    return "\n" in rest or "\r" in rest


def looks_like_stream(head: str, eof: bool, stream_format: StreamFormat) -> bool:
    """Whether a body with a wrong content type starts like the stream format."""
    rest = head.lstrip()
    if not rest:
        return False
    line = re.split(r"\r\n|\r|\n", rest, maxsplit=1)[0]
    if stream_format == "sse":
        return line.startswith(":") or line.partition(":")[0] in SSE_FIELDS
    if not line.startswith("{"):
        return False
    try:
        value: Any = json.loads(line)
    except ValueError:
        return False  # not one JSON object per line (a pretty-printed error object, say)
    if not isinstance(value, dict):
        return False
    chunk = "message" in value or "done" in value
    return chunk or ("error" not in value and not eof)


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def not_a_stream(text: str, content_type: str) -> tuple[str, str]:
    """The message and hint of a 2xx body that is not a stream."""
    rest = text.lstrip()
    if not rest:
        return "answered with an empty body instead of a stream", "Check the base URL"
    if rest.startswith("<"):
        title = _TITLE.search(rest)
        name = f" ({' '.join(title.group(1).split())[:120]!r})" if title else ""
        return (
            f"answered with an HTML page{name} instead of a stream",
            "The base URL may point at a web page, a proxy or a login page instead of the API",
        )
    if rest.startswith(("{", "[")):
        if provider_message(text) is not None:
            return "answered with an error instead of a stream", ""
        return (
            "answered with a JSON body instead of a stream",
            "The server may not support streaming (stream: true)",
        )
    kind = content_type or "no content type"
    return f"answered with a body that is not a stream ({kind})", "Check the base URL"


def provider_message(body: str) -> str | None:
    """The error message inside a provider's error body, whichever vendor's shape it has."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.strip()[:500] or None
    if isinstance(data, list) and data:
        data = data[0]  # Gemini sometimes wraps the error in a list
    if not isinstance(data, dict):
        return None
    error: Any = data.get("error", data)
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        message: Any = error.get("message") or error.get("detail")
        if isinstance(message, str):
            return message
    message = data.get("message") or data.get("detail")
    return message if isinstance(message, str) else None
