"""What every provider model shares: keys, base URLs, the HTTP client, body-building helpers.

A provider module only translates: messages to a body, wire chunks to `RawStreamingChoice`s.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Self

import httpx

from ..core.agent import CompletionRequest
from ..core.content import Base64, DocumentSourceKind, Image, Raw, String, Text, ToolResult, Url
from ..core.messages import AnyMessage, AssistantMessage
from ..core.streaming import RawStreamingChoice
from ..core.tools import ToolDefinition
from ..errors import RequestError, ResponseError, RigError, UserError
from ._http import HttpSettings, ProviderClient, Secret, StreamFormat, safe_url
from ._lines import StreamEnded, merge_text

__all__ = ["HttpModel"]

_MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "svg": "image/svg+xml",
}


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
        http = twin._http = copy.copy(self._http)
        http._given = http_client
        http._clients = {}
        return twin

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
        """The body as UTF-8 JSON; what cannot be sent is a `RequestError` that says what."""
        try:
            return json.dumps(
                body, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
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


async def drive(
    units: AsyncIterator[list[Any]], handle: Callable[[Any, list[RawStreamingChoice]], bool]
) -> AsyncIterator[RawStreamingChoice]:
    """Turn batches of wire units (SSE events, NDJSON objects) into raw choices.

    `handle(unit, out)` appends a unit's choices to `out` and returns True at the stream's terminal
    unit. A batch is what had arrived together: its adjacent text deltas are merged, and a failure
    in it still hands over the choices before it. A stream that the provider said was ending
    (`BufferedLines.expect_end`) and that then drops or stalls just ends.
    """
    try:
        async for batch in units:
            out: list[RawStreamingChoice] = []
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


class UniqueToolIds:
    """Ids for providers that give none: the function's name, then `name_2`, `name_3`..."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next(self, name: str) -> str:
        """A fresh id for a call of `name` in this stream."""
        count = self._seen[name] = self._seen.get(name, 0) + 1
        return name if count == 1 else f"{name}_{count}"


_loads = json.loads


def function_tools(tools: list[ToolDefinition]) -> list[dict[str, Any]]:
    """Tool definitions in the `{"type": "function", "function": {...}}` shape (OpenAI, Ollama)."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def json_object(data: str, provider: str) -> dict[str, Any]:
    """Parse one chunk; a malformed one is a `ResponseError` naming the provider."""
    try:
        value: Any = _loads(data)
    except ValueError as exc:
        raise ResponseError(
            f"{provider} sent a chunk that is not JSON ({exc}): {data[:200]!r}"
        ) from exc
    if not isinstance(value, dict):
        raise ResponseError(f"{provider} sent a chunk that is not a JSON object: {data[:200]!r}")
    return value


def merge_params(body: dict[str, Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """`additional_params` merged into the body (nested objects merged key by key)."""
    for key, value in (params or {}).items():
        current = body.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            body[key] = merge_params(dict(current), value)
        else:
            body[key] = value
    return body


def image_mime(image: Image) -> str:
    """The MIME type of an image (PNG when unknown)."""
    return _MIME.get(image.media_type or "", "image/png")


def source_base64(source: DocumentSourceKind) -> str | None:
    """Inline media as base64 text, or `None` when it is a URL or text."""
    if isinstance(source, Base64):
        return source.value
    if isinstance(source, Raw):
        return base64.b64encode(bytes(source.value)).decode()
    return None


def source_url(source: DocumentSourceKind) -> str | None:
    """The URL of media given by URL."""
    return source.value if isinstance(source, Url) else None


def image_url(image: Image) -> str:
    """A URL for the image: its own, or a `data:` URL of its base64 data."""
    url = source_url(image.data)
    if url is not None:
        return url
    data = source_base64(image.data)
    if data is None:
        raise RequestError("an image needs a URL or base64 data to be sent to a model")
    return f"data:{image_mime(image)};base64,{data}"


def image_base64(image: Image) -> str | None:
    """The image's base64 data, or `None` when it is a URL."""
    return source_base64(image.data)


def document_text(data: object) -> str | None:
    """The text of a document source given as a string."""
    return data.value if isinstance(data, String) else None


def result_text(result: ToolResult) -> str:
    """A tool result's text parts joined by newlines (images are sent separately)."""
    return "\n".join(c.text for c in result.content if isinstance(c, Text))


def result_images(result: ToolResult) -> list[Image]:
    """A tool result's images."""
    return [c for c in result.content if isinstance(c, Image)]


def tool_names(messages: list[AnyMessage]) -> dict[str, str]:
    """Tool-call id -> function name, from the assistant messages of a history."""
    return {
        call.id: call.function.name
        for m in messages
        if isinstance(m, AssistantMessage)
        for call in m.tool_calls()
    }


def arguments_json(arguments: Any) -> str:
    """Tool-call arguments as JSON text (a JSON string value is already text)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def arguments_dict(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments as a JSON object, for APIs that take nothing else.

    Anthropic `input`, Gemini `args` and Ollama `arguments` must be objects: text that is not a
    JSON object (arguments that were cut off or malformed, kept raw in the history) is sent as `{}`.
    """
    value = arguments_object(arguments)
    return value if isinstance(value, dict) else {}


def arguments_object(arguments: Any) -> Any:
    """Tool-call arguments as a JSON value (text is parsed when it can be)."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return arguments
    return arguments
