"""What every provider model shares: keys, base URLs, the HTTP client, decoding chunks.

A provider module only translates: messages to a body (with `_convert`'s helpers), wire chunks to
`RawStreamingChoice`s.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

import httpx

from ..core import (
    CompletionRequest,
    RawStreamingChoice,
)
from ..errors import RequestError, ResponseError, RigError, UserError
from ._http import ProviderClient, Secret, StreamFormat, safe_url
from ._lines import StreamEnded, close, merge_text
from ._settings import HttpSettings

__all__ = ["HttpModel"]


class HttpModel:
    """A `CompletionModel` that streams from an HTTP API."""

    provider_name: ClassVar[str] = "provider"
    default_base_url: ClassVar[str] = ""
    key_env: ClassVar[str | None] = None
    base_url_env: ClassVar[str | None] = None
    requires_key: ClassVar[bool] = True
    stream_format: ClassVar[StreamFormat] = "sse"

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        settings: HttpSettings | None = None,
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        provider_name: str | None = None,
    ) -> None:
        if not model_name:
            raise UserError(f"{type(self).__name__} needs a model name, e.g. {self._example()!r}")
        self.model_name = model_name
        if provider_name:
            self.provider_name = provider_name  # pyright: ignore[reportAttributeAccessIssue]
        env_url = self.env_base_url()
        self.base_url = (base_url or env_url or self.default_base_url).rstrip("/")
        key = api_key or self.env_key()
        custom_server = base_url is not None or env_url is not None
        if not key and self.requires_key and not custom_server:
            raise UserError(
                f"{self.provider_name} needs an API key: set the {self.key_env} environment "
                "variable or pass api_key=...; to run offline use rig_nb.testing.ScriptedModel"
            )
        self._secret = Secret(key) if key else None
        all_headers = (
            {**self.auth_headers(key or ""), **(headers or {})} if key else dict(headers or {})
        )
        self._http = ProviderClient(
            provider=self.provider_name,
            base_url=self.base_url,
            headers={"accept": "text/event-stream, application/x-ndjson", **all_headers},
            secret=self._secret,
            settings=settings or HttpSettings(),
            http_client=http_client,
        )

    def _example(self) -> str:
        return "model-name"

    @classmethod
    def env_key(cls) -> str | None:
        """The API key from the environment (`key_env`)."""
        return os.environ.get(cls.key_env) if cls.key_env else None

    @classmethod
    def env_base_url(cls) -> str | None:
        """The base URL from the environment (`base_url_env`)."""
        return os.environ.get(cls.base_url_env) if cls.base_url_env else None

    def __repr__(self) -> str:
        key = "set" if self._secret else "none"
        return (
            f"{type(self).__name__}(model={self.model_name!r}, "
            f"base_url={safe_url(self.base_url)!r}, api_key={key})"
        )

    @property
    def settings(self) -> HttpSettings:
        """Timeouts and retries."""
        return self._http.settings

    async def aclose(self) -> None:
        """Close the HTTP connections this model opened."""
        await self._http.aclose()

    def with_http_client(self, http_client: httpx.AsyncClient) -> Self:
        """This model (same key, base URL, headers, settings) sending through `http_client`.

        For a recorder (`rig_nb.testing.RecordingModel`) or a proxy; this model is unchanged.
        """
        twin = copy.copy(self)
        twin._http = self._http.with_client(http_client)
        return twin

    def close_sync(self) -> None:
        """`aclose()` for sync code: on the client's loop, or as a task on it while it runs."""
        self._http.close_sync()

    def fingerprint(self) -> tuple[Any, ...]:
        """What makes two models interchangeable: class, name, base URL, key, headers, settings.

        The key and headers are hashed. `%%agent -m vendor:model` cells reuse their model (and
        its open connections) while the fingerprint stays the same.
        """
        http = self._http
        return (type(self), self.provider_name, self.model_name, http.digest(), http.settings)

    # -- to implement --------------------------------------------------------------------------

    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry the key."""
        return {"authorization": f"Bearer {key}"}

    def path(self, request: CompletionRequest) -> str:
        """The endpoint, relative to the base URL."""
        raise NotImplementedError

    def query(self) -> dict[str, str] | None:
        """Query parameters, if any."""
        return None

    def build_body(self, request: CompletionRequest) -> dict[str, Any]:
        """The JSON body for one call."""
        raise NotImplementedError

    def parse(self, lines: AsyncIterator[str]) -> AsyncIterator[RawStreamingChoice]:
        """Wire lines in, raw choices out."""
        raise NotImplementedError

    def request_body(self, request: CompletionRequest) -> bytes:
        """The body `stream(request)` sends, as bytes (a replay matches requests by it)."""
        return self._encode(self.build_body(request))

    # -- the call -------------------------------------------------------------------------------

    def stream(self, request: CompletionRequest) -> AsyncIterator[RawStreamingChoice]:
        """Start a streaming call.

        The body is built and encoded now, so a bad request fails at once (a `RequestError`,
        before any byte is sent).
        """
        try:
            body = self.build_body(request)
        except RigError:
            raise
        except Exception as exc:  # content this provider cannot take, in a shape it did not expect
            raise RequestError(
                f"the request to {self.provider_name} could not be built: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return self._run(self.path(request), self._encode(body))

    def _encode(self, body: dict[str, Any]) -> bytes:
        """The body as UTF-8 JSON; what cannot be sent is a `RequestError` that says what.

        A `JsonFragment` value (the history, its messages encoded once) is spliced in as is.
        """
        try:
            fragments = {k: v for k, v in body.items() if isinstance(v, JsonFragment)}
            if not fragments:
                return dumps(body).encode()
            marker = f"\0rig_nb {secrets.token_hex(8)} "  # no JSON string of a body holds it
            text = dumps({**body, **{k: marker + k for k in fragments}})
            for key, fragment in fragments.items():
                text = text.replace(dumps(marker + key), fragment.make(), 1)
            return text.encode()
        except RigError:
            raise
        except UnicodeEncodeError as exc:
            text: str = exc.object if isinstance(exc.object, str) else ""
            near = text[max(0, exc.start - 40) : exc.end + 20]
            raise RequestError(
                f"the request to {self.provider_name} cannot be sent: it holds text that is not "
                f"valid Unicode ({exc.reason}: {text[exc.start : exc.end]!r} near {near!r}). "
                "A lone surrogate such as '\\ud800' comes from text cut in the middle of an "
                "emoji or decoded with errors='surrogateescape'; clean it with "
                "text.encode('utf-8', 'replace').decode()"
            ) from exc
        except (TypeError, ValueError) as exc:
            raise RequestError(
                f"the request to {self.provider_name} cannot be sent as JSON: {exc} (check "
                "additional_params, tool results and output schemas for values JSON cannot hold, "
                "such as NaN, infinity or Python objects)"
            ) from exc
        except Exception as exc:  # content this provider cannot take, found as it was encoded
            raise RequestError(
                f"the request to {self.provider_name} could not be built: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    async def _run(self, path: str, body: bytes) -> AsyncIterator[RawStreamingChoice]:
        http = self._http
        try:
            async with http.stream_lines(
                path, body, params=self.query(), stream_format=self.stream_format
            ) as lines:
                async for choice in self.parse(lines):
                    yield choice
        except RigError as exc:
            http.scrub(exc)  # a key the server echoed never shows
            raise
        except Exception as exc:  # a parser bug on a chunk it did not expect
            http.scrub(exc)
            raise ResponseError(
                f"{self.provider_name} sent a chunk rig_nb could not read "
                f"({type(exc).__name__}: {http.redact(str(exc))[:300]}); "
                f"this is a bug in {type(self).__name__}, please report it"
            ) from exc


# -- helpers shared by the provider modules --------------------------------------------------------


Out = list[RawStreamingChoice | str]
"""What a parser appends a unit's choices to: text as a plain `str`, the rest as raw choices."""


async def drive(
    units: AsyncIterator[list[Any]], handle: Callable[[Any, Out], bool]
) -> AsyncIterator[RawStreamingChoice]:
    """Turn batches of wire units (SSE events, NDJSON objects) into raw choices.

    `handle(unit, out)` appends a unit's choices to `out` (its text as a plain `str`) and returns
    True at the stream's terminal unit. A batch is what had arrived together: its adjacent texts
    become one `RawText` (`merge_text`), and a failure in it still hands over the choices before
    it. A stream that the provider said was ending (`BufferedLines.expect_end`) and that then
    drops or stalls just ends.
    """
    try:
        async for batch in units:
            out: Out = []
            stop = False
            try:
                for unit in batch:
                    if handle(unit, out):
                        stop = True
                        break
            except Exception:
                for choice in merge_text(out):
                    yield choice
                raise
            for choice in merge_text(out):
                yield choice
            if stop:
                return
    except StreamEnded:
        return
    finally:
        await close(units)


def dumps(value: Any) -> str:
    """Compact JSON, as request bodies are sent (UTF-8 as is, no NaN)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class JsonFragment:
    """JSON text put in a request body as is (`HttpModel._encode` splices it), made then."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], str]) -> None:
        self.make = make


class UniqueToolIds:
    """Ids for providers that give none: the function's name, then `name_2`, `name_3`..."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next(self, name: str) -> str:
        """A fresh id for a call of `name` in this stream."""
        count = self._seen[name] = self._seen.get(name, 0) + 1
        return name if count == 1 else f"{name}_{count}"


_loads = json.loads
_decoder: Any = json.JSONDecoder()
_scan = _decoder.scan_once
"""The stdlib's C scanner, called directly: `json.loads`' Python layers (type checks, two regex
matches for whitespace) cost nearly as much as the scan; 1.7x faster a chunk (bench/micro.py)."""
R = TypeVar("R", bound=Mapping[str, Any])
"""A chunk's record type (`_records`)."""


def json_object(data: str, provider: str, record: type[R]) -> R:
    """Parse one chunk as a `record` of `_records`; a malformed one is a `ResponseError`.

    `record` only types the result: a TypedDict is the dict itself.
    """
    try:
        try:
            value, end = _scan(data, 0)
            if end != len(data):
                raise ValueError(end)
        except (StopIteration, ValueError):  # not one bare JSON value: json.loads decides
            value = _loads(data)
        typed: Any = value  # the same object, typed as R (typing.cast is a Python call per chunk)
    except ValueError as exc:
        raise ResponseError(
            f"{provider} sent a chunk that is not JSON ({exc}): {data[:200]!r}"
        ) from exc
    if type(value) is dict:
        return typed
    raise ResponseError(f"{provider} sent a chunk that is not a JSON object: {data[:200]!r}")
