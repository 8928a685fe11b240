"""`RecordingModel`: run any model and write what it exchanged to a cassette, keys redacted.

```python
model = RecordingModel(rig_nb.model("openai:gpt-4o-mini"), "cassettes/labels.jsonl")
await Agent(model).map(prompts)            # a real run, recorded
model = ReplayModel("cassettes/labels.jsonl")  # later, offline, in CI: no key needed
```

A provider model (`HttpModel`) is recorded at the HTTP level: each request body and the response's
status, a few headers (`content-type`, `retry-after`, request ids) and its body as it came off the
wire. The key headers (`authorization`, `x-api-key`, `x-goog-api-key`, `api-key`) are never
written, and their values (and a `key=` query parameter) are replaced by `[redacted]` wherever
they appear: a body, a header, an error message the server echoed. Any other model (a scripted or
custom one) is recorded as the raw choices it yielded, or the error it raised.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TextIO

import httpx

from ..core import CompletionRequest, error_to_json, model_identity
from ._cassette import KEPT_HEADERS, Redactor
from ._choices import choice_to_json, request_to_json

__all__ = ["RecordingModel", "http_model_header"]


def http_model_header(model: Any) -> dict[str, Any] | None:
    """How to rebuild a provider model offline (`None` for a model that is not one)."""
    from ..providers import HttpModel

    if not isinstance(model, HttpModel):
        return None
    settings = model.settings
    return {
        "class": type(model).__name__,
        "model_name": model.model_name,
        "base_url": model.base_url,
        "provider_name": model.provider_name,
        "max_retries": settings.max_retries,
        "identity": model_identity(model),
    }


class _Writer:
    """Appends one exchange a line, flushed at once (a killed process keeps what it had)."""

    def __init__(self, path: Path, header: dict[str, Any], append: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        keep = append and path.exists() and path.stat().st_size > 0
        self.file: TextIO = path.open("a" if keep else "w", encoding="utf-8")
        if not keep:
            self.write(header)

    def write(self, entry: dict[str, Any]) -> None:
        self.file.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class _Tee(httpx.AsyncByteStream):
    """The response body, passed on as it arrives and recorded when it closes."""

    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[bytes, bool], None]) -> None:
        self.inner = inner
        self.done = done
        self.chunks: list[bytes] = []
        self.complete = False
        self.recorded = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.chunks.append(chunk)
            yield chunk
        self.complete = True

    async def aclose(self) -> None:
        await self.inner.aclose()
        if not self.recorded:
            self.recorded = True
            self.done(b"".join(self.chunks), self.complete)


class RecordingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that records each exchange through `inner` to a cassette."""

    def __init__(self, writer: _Writer, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.writer = writer
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.redactor = Redactor()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`; the response's body is recorded as it is read."""
        redactor = self.redactor
        redactor.learn(request.headers.items(), request.url.params.multi_items())
        body: Any
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            body = request.content.decode("utf-8", "replace")
        query = {k: v for k, v in request.url.params.multi_items() if k not in ("key", "api_key")}
        recorded_request = {
            "method": request.method,
            "path": request.url.path,
            "query": redactor.value(query),
            "body": redactor.value(body),
        }
        response = await self.inner.handle_async_request(request)
        headers = {
            k.lower(): redactor.text(v)
            for k, v in response.headers.items()
            if k.lower() in KEPT_HEADERS
        }

        def done(data: bytes, complete: bool) -> None:
            self.writer.write(
                {
                    "request": recorded_request,
                    "response": {
                        "status": response.status_code,
                        "headers": headers,
                        "body": redactor.text(data.decode("utf-8", "replace")),
                        "complete": complete,
                    },
                }
            )

        stream: Any = response.stream
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Tee(stream, done),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


class RecordingModel:
    """`model`, whose exchanges are written to the cassette at `path`.

    The cassette is overwritten, or added to with `append=True` (one model per cassette).
    """

    def __init__(self, model: Any, path: str | Path, *, append: bool = False) -> None:
        self.inner = model
        self.path = Path(path)
        header = http_model_header(model)
        if header is not None:
            self.kind = "http"
            self._writer = _Writer(
                self.path, {"rig_nb_cassette": 1, "kind": "http", "model": header}, append
            )
            self.transport = RecordingTransport(self._writer)
            client = httpx.AsyncClient(transport=self.transport, timeout=model.settings.timeout())
            self._model: Any = model.with_http_client(client)
            self._client: httpx.AsyncClient | None = client
        else:
            self.kind = "choices"
            identity = model_identity(model)
            self._writer = _Writer(
                self.path, {"rig_nb_cassette": 1, "kind": "choices", "model": identity}, append
            )
            self._model = model
            self._client = None
        self.redactor = Redactor()

    def __getattr__(self, name: str) -> Any:  # model_name, provider_name, settings...
        if name.startswith("_") or name == "inner":  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"RecordingModel({self.inner!r}, {str(self.path)!r})"

    def cache_identity(self) -> dict[str, Any]:
        """The wrapped model's: a recorded batch shares its cache with an unrecorded one."""
        return model_identity(self.inner)

    def stream(self, request: CompletionRequest) -> AsyncIterator[Any]:
        """The model's stream, recorded."""
        if self.kind == "http":
            return self._model.stream(request)
        return self._choices(request)

    async def _choices(self, request: CompletionRequest) -> AsyncIterator[Any]:
        entry: dict[str, Any] = {"request": request_to_json(request), "choices": []}
        try:
            started: Any = self.inner.stream(request)
            if inspect.isawaitable(started) and not hasattr(started, "__anext__"):
                started = await started
            stream: Any = started
            async for choice in stream:
                entry["choices"].append(choice_to_json(choice))
                yield choice
        except Exception as exc:
            entry["error"] = error_to_json(exc)
            raise
        finally:
            self._writer.write(entry)

    async def aclose(self) -> None:
        """Close the recording client and the cassette file."""
        if self._client is not None:
            await self._client.aclose()
        self._writer.close()
