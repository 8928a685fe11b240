"""The HTTP layer every provider shares.

One client per event loop, one place where httpx failures and HTTP error statuses become rig_nb
errors, bounded retries, timeouts, a body that is checked to be a stream, and closing on cancel.

Nothing else in rig_nb catches `httpx.HTTPError` (but `_body`, which reads the response).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

import httpx

from ..errors import (
    HttpError,
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderTimeoutError,
)
from ._body import (
    ERROR_BODY_LIMIT,
    STATUS_HINTS,
    STREAM_TYPES,
    Body,
    StreamFormat,
    finish_later,
    has_first_line,
    looks_like_stream,
    not_a_stream,
    provider_message,
    wait_at_most,
)
from ._lines import BufferedLines
from ._pool import OwnClient, send_through_pool
from ._retry import retry_after_seconds, should_retry
from ._secret import Secret, safe_url, scrub
from ._settings import HttpSettings

__all__ = ["ProviderClient", "Secret", "StreamFormat", "safe_url"]

logger = logging.getLogger("rig_nb.providers")

# Failures while the request is sent and before the response's head has arrived: nothing of
# an answer was received, so the request can be sent again.
_NOT_ANSWERED = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
)


def _nothing() -> None:
    """The release of a slot that was never taken (a client you pass queues in httpx)."""


class ProviderClient:
    """An httpx client bound to one provider: base URL, headers, settings, error mapping."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        secret: Secret | None,
        settings: HttpSettings,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._secret = secret
        password = httpx.URL(self.base_url).password if "@" in self.base_url else ""
        self._password = password if len(password) >= 4 else ""
        self.settings = settings
        self._given = http_client
        self._own = OwnClient(provider, self.base_url, settings)
        self._finishing: set[asyncio.Task[None]] = set()
        """Responses whose rest is read after their turn went on (see `stream_lines`)."""
        # What every call sends the same, made once: httpx parses a URL string and normalizes
        # a header dict for each request it builds (build_request took 34 µs a call, 20 µs now).
        self._request_headers = httpx.Headers({**self._headers, "content-type": "application/json"})
        self._urls: dict[str, httpx.URL] = {}
        self._timeout = settings.timeout()

    def digest(self) -> str:
        """A hash of the base URL and the headers (the key among them)."""
        text = json.dumps([self.base_url, sorted(self._headers.items())])
        return hashlib.sha256(text.encode()).hexdigest()

    def with_client(self, http_client: httpx.AsyncClient) -> ProviderClient:
        """The same provider, headers, key and settings, sending through `http_client`."""
        return ProviderClient(
            provider=self.provider,
            base_url=self.base_url,
            headers=self._headers,
            secret=self._secret,
            settings=self.settings,
            http_client=http_client,
        )

    def _client(self) -> httpx.AsyncClient:
        return self._given if self._given is not None else self._own.get()

    async def _acquire(self) -> Callable[[], None]:
        """A connection of the model's own client, waited for in line (none for a given one)."""
        if self._given is not None:
            return _nothing
        return await self._own.acquire()

    async def aclose(self) -> None:
        """Close the client this object created (not one it was given)."""
        finishing = [t for t in self._finishing if t.get_loop() is asyncio.get_running_loop()]
        for task in finishing:
            task.cancel()
        await asyncio.gather(*finishing, return_exceptions=True)
        await self._own.aclose()

    def close_sync(self) -> None:
        """`aclose()` from sync code (kernel shutdown, unloading the extension)."""
        self._own.close_sync()

    # -- redaction ----------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """`text` without the API key or the base URL's password."""
        if self._secret is not None:
            text = self._secret.redact(text)
        if self._password:
            text = text.replace(self._password, "[secure]")
        return safe_url(text)

    def scrub(self, error: BaseException) -> BaseException:
        """Redact `error`, and every exception it was raised from, in place; returns it."""
        return scrub(error, self.redact)

    # -- the call -----------------------------------------------------------------------------

    @asynccontextmanager
    async def stream_lines(
        self,
        path: str,
        body: bytes,
        *,
        params: Mapping[str, str] | None = None,
        stream_format: StreamFormat = "sse",
    ) -> AsyncIterator[BufferedLines]:
        """POST the JSON `body` and yield the response's lines; leaving the block closes it.

        A body that is not a stream (a redirect, a JSON error object or an HTML page with a 2xx
        status) is a `ProviderHTTPError`. Leaving the block normally, after the stream's terminal
        event, waits at most `drain_timeout` s for the rest of the body (so the connection is
        reused), a task reading on past that; it never fails. Leaving it with an error or a
        cancel closes the connection at once.
        """
        url = f"{self.base_url}{path}"
        release = await self._acquire()
        handed_over = False
        try:
            response = await self._send(url, body, params)
            reader = Body(response, self.settings.tail_timeout)
            finished = False
            try:
                with self._mapped(url):  # failures while the lines are read, too
                    await self._check_stream(response, reader, stream_format)
                    yield BufferedLines(reader)
                finished = True
            finally:
                if finished:
                    task, ended = finish_later(
                        response, reader, release, self.settings.read_timeout
                    )
                    self._finishing.add(task)
                    task.add_done_callback(self._finishing.discard)
                    handed_over = True
                    await wait_at_most(ended, self.settings.drain_timeout)
                else:
                    await response.aclose()
        finally:
            if not handed_over:
                release()

    async def _send(
        self, url: str, body: bytes, params: Mapping[str, str] | None
    ) -> httpx.Response:
        client = self._client()
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = httpx.URL(url)
        attempt = 0
        while True:
            request = client.build_request(
                "POST",
                parsed,
                content=body,
                headers=self._request_headers,
                params=params,
                timeout=self._timeout,
            )
            try:
                response = await send_through_pool(client, request)
            except _NOT_ANSWERED as exc:
                error = self._unanswered(url, exc)
                if attempt >= self.settings.max_retries:
                    raise error from exc
                attempt += 1
                delay = self._backoff(attempt)
                logger.info(
                    "%s: %s; retry %d of %d in %.2f s",
                    self.provider,
                    type(exc).__name__,
                    attempt,
                    self.settings.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            except httpx.HTTPError as exc:
                raise self._map(url, exc, time.monotonic()) from exc
            if response.status_code < 400:
                return response
            reader = Body(response, self.settings.tail_timeout)
            try:
                text = await reader.read_all(ERROR_BODY_LIMIT)
            finally:
                await response.aclose()
            retry_after = retry_after_seconds(response.headers)
            if should_retry(response) and attempt < self.settings.max_retries:
                if retry_after is not None and retry_after > self.settings.max_retry_after:
                    raise self._status_error(
                        response, text, retry_after=retry_after, hint=self._too_long(retry_after)
                    )
                attempt += 1
                delay = self._backoff(attempt, retry_after)
                logger.info(
                    "%s answered %s; retry %d of %d in %.2f s",
                    self.provider,
                    response.status_code,
                    attempt,
                    self.settings.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            raise self._status_error(response, text, retry_after=retry_after)

    def _too_long(self, seconds: float) -> str:
        when = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + seconds))
        return (
            f"The server asks to retry after {seconds:g} s (at {when}), longer than "
            f"HttpSettings.max_retry_after ({self.settings.max_retry_after:g} s): not retried"
        )

    def _backoff(self, attempt: int, retry_after: float | None = None) -> float:
        settings = self.settings
        if retry_after is not None and retry_after > 0:
            return min(retry_after, settings.max_retry_after)
        wait = settings.retry_base_delay * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
        return max(0.0, min(wait, settings.retry_max_delay))

    def _unanswered(self, url: str, exc: httpx.HTTPError) -> HttpError:
        where = f"{self.provider} at {safe_url(url)}"
        detail = self.redact(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.ConnectTimeout):
            return ProviderTimeoutError(
                f"connecting to {where} timed out after {self.settings.connect_timeout:g} s"
            )
        if isinstance(exc, httpx.ConnectError):
            return ProviderConnectionError(
                f"could not connect to {where}: {detail}; "
                "is the server running and the base URL right?"
            )
        return ProviderConnectionError(
            f"{where} closed the connection before answering ({type(exc).__name__}: {detail})"
        )

    async def _check_stream(
        self, response: httpx.Response, reader: Body, stream_format: StreamFormat
    ) -> None:
        """Raise `ProviderHTTPError` when a 2xx/3xx response is not the stream asked for."""
        status = response.status_code
        if 300 <= status < 400:
            text = await reader.read_all(ERROR_BODY_LIMIT)
            location = response.headers.get("location")
            where = f" to {safe_url(location)}" if location else ""
            raise self._status_error(
                response,
                text,
                message=f"redirected{where}",
                hint="Set base_url to the address the API is really at "
                "(a POST is not followed across redirects)",
            )
        content_type = response.headers.get("content-type", "").partition(";")[0]
        declared = content_type.strip().lower() in STREAM_TYPES[stream_format]
        if declared:  # the common case: look at the first character only
            head, _eof = await reader.peek(lambda t: bool(t.lstrip()))
            first = head.lstrip()[:1]
            if first not in ("<", "[") and not (first == "{" and stream_format == "sse"):
                return  # (an empty body is a stream that ended before it was complete)
        else:  # a wrong or missing content type: a stream still starts like one
            head, eof = await reader.peek(has_first_line)
            if looks_like_stream(head, eof, stream_format):
                return
        text = await reader.read_all(ERROR_BODY_LIMIT)
        message, hint = not_a_stream(text, content_type)
        raise self._status_error(response, text, message=message, hint=hint)

    def _status_error(
        self,
        response: httpx.Response,
        text: str,
        *,
        retry_after: float | None = None,
        message: str | None = None,
        hint: str | None = None,
    ) -> ProviderHTTPError:
        body = self.redact(text)
        found = provider_message(body)
        if message is not None:
            message = f"{message}: {found}" if found and found != body.strip()[:500] else message
        else:
            message = found or response.reason_phrase or "error"
        headers = {k.lower(): self.redact(v) for k, v in response.headers.items()}
        request_id = next(
            (
                headers[h]
                for h in ("x-request-id", "request-id", "x-goog-request-id")
                if h in headers
            ),
            None,
        )
        if retry_after is None:
            retry_after = retry_after_seconds(response.headers)
        if hint is None:
            hint = STATUS_HINTS.get(response.status_code, "")
            if retry_after is not None and retry_after > 0:
                hint = (
                    f"{hint + '; ' if hint else ''}the server asks to retry after {retry_after:g} s"
                )
        return ProviderHTTPError(
            provider=self.provider,
            status_code=response.status_code,
            provider_message=self.redact(message),
            request_id=request_id,
            body=body,
            headers=headers,
            hint=hint,
            retry_after=retry_after,
        )

    @contextmanager
    def _mapped(self, url: str) -> Iterator[None]:
        """The one place httpx exceptions become rig_nb errors (keys redacted)."""
        started = time.monotonic()
        try:
            yield
        except httpx.HTTPError as exc:
            raise self._map(url, exc, started) from exc

    def _map(self, url: str, exc: httpx.HTTPError, started: float) -> HttpError | ProviderError:
        detail = self.redact(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.ConnectTimeout):
            return ProviderTimeoutError(
                f"connecting to {self.provider} at {safe_url(url)} timed out after "
                f"{self.settings.connect_timeout:g} s"
            )
        if isinstance(exc, httpx.ReadTimeout):
            return ProviderTimeoutError(
                f"{self.provider} sent nothing for {self.settings.read_timeout:g} s "
                f"(read timeout; waited {time.monotonic() - started:.1f} s in all)"
            )
        if isinstance(exc, httpx.PoolTimeout):
            return ProviderTimeoutError(
                f"{self.provider}: waited {self.settings.pool_timeout:g} s for a free connection "
                f"of the client (all busy): start fewer runs at once (an asyncio.Semaphore) or "
                "give the client more connections (httpx.Limits)"
            )
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeoutError(f"{self.provider}: {type(exc).__name__}: {detail}")
        if isinstance(exc, httpx.ConnectError):
            return ProviderConnectionError(
                f"could not connect to {self.provider} at {safe_url(url)}: {detail}; "
                "is the server running and the base URL right?"
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.NetworkError):
            # The connection dropped in the middle of the answer, whatever the OS called it.
            return ProviderError(f"the {self.provider} stream was cut off: {detail}")
        return HttpError(f"{self.provider}: {detail}")
