"""`ReplayModel(path)`: serve a recorded cassette back, offline, with no key.

A request is matched by its normalized body (`_cassette.normalize`) and, for an HTTP cassette, its
path. A request asked as often as it was recorded gets the recorded answers in order (a 429 then a
200 replays as such); asked more often, it gets its last one again. A request the cassette does not
hold raises `UnrecordedRequest` before anything is served: the run ends with a `ModelError` naming
it, and the message shows how it differs from the closest recorded request. Waits are not replayed:
a recorded `Retry-After` is served as 0 and backoffs are 0, so a replay runs at full speed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx

from ..core import CompletionRequest, error_from_json
from ._cassette import VOLATILE, UnrecordedRequest, closest_diff, normalize, read_cassette
from ._choices import choice_from_json, request_to_json

__all__ = ["ReplayModel"]


class _Exchanges:
    """Recorded answers per request key, served in order, the last one again when used up."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[dict[str, Any]]] = {}
        self.served: dict[str, int] = {}

    def add(self, key: str, entry: dict[str, Any]) -> None:
        self.by_key.setdefault(key, []).append(entry)

    def take(self, key: str) -> dict[str, Any] | None:
        entries = self.by_key.get(key)
        if not entries:
            return None
        count = self.served[key] = self.served.get(key, 0) + 1
        return entries[min(count, len(entries)) - 1]

    def missing(self, key: str, what: str, path: Path) -> UnrecordedRequest:
        return UnrecordedRequest(
            f"the cassette {path} holds no {what} like this one "
            f"({sum(map(len, self.by_key.values()))} recorded); re-record it, or check what "
            f"changed:\n{closest_diff(key, self.by_key)}"
        )


def _http_key(method: str, path: str, body: Any, ignore: frozenset[str]) -> str:
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ignore}  # pyright: ignore[reportUnknownVariableType]
    return normalize({"method": method, "path": path, "body": body}, frozenset())


class _ReplayTransport(httpx.AsyncBaseTransport):
    def __init__(self, exchanges: _Exchanges, ignore: frozenset[str], path: Path) -> None:
        self.exchanges = exchanges
        self.ignore = ignore
        self.path = path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            body: Any = json.loads(request.content or b"null")
        except ValueError:
            body = request.content.decode("utf-8", "replace")
        key = _http_key(request.method, request.url.path, body, self.ignore)
        entry = self.exchanges.take(key)
        if entry is None:  # ReplayModel checked first; only a request made around it gets here
            raise self.exchanges.missing(key, "request", self.path)
        response: dict[str, Any] = entry["response"]
        headers: dict[str, str] = dict(response.get("headers") or {})
        for name in ("retry-after", "retry-after-ms"):
            if name in headers:
                headers[name] = "0"
        return httpx.Response(
            int(response["status"]), headers=headers, content=str(response["body"]).encode()
        )


class ReplayModel:
    """A model that answers from the cassette at `path` (see `RecordingModel`)."""

    def __init__(self, path: str | Path, *, ignore: Iterable[str] | None = None) -> None:
        self.path = Path(path)
        self.ignore = VOLATILE if ignore is None else frozenset(ignore)
        """Top-level body fields a request is matched without (default `VOLATILE`)."""
        header, entries = read_cassette(self.path)
        self.kind: str = str(header.get("kind"))
        self.header = header
        self.exchanges = _Exchanges()
        model: dict[str, Any] = header.get("model") or {}
        if self.kind == "http":
            for entry in entries:
                request: dict[str, Any] = entry["request"]
                key = _http_key(request["method"], request["path"], request["body"], self.ignore)
                self.exchanges.add(key, entry)
            self.inner: Any = self._provider(model)
            self.model_name = str(model.get("model_name"))
        elif self.kind == "choices":
            for entry in entries:
                self.exchanges.add(normalize(entry["request"], self.ignore), entry)
            self.inner = None
            self.model_name = str(model.get("model", "replay"))
        else:
            raise UnrecordedRequest(f"{self.path}: unknown cassette kind {self.kind!r}")

    def _provider(self, model: dict[str, Any]) -> Any:
        from .. import providers

        cls: Any = getattr(providers, str(model["class"]))
        transport = _ReplayTransport(self.exchanges, self.ignore, self.path)
        settings = providers.HttpSettings(
            max_retries=int(model.get("max_retries", 2)), retry_base_delay=0, retry_max_delay=0
        )
        return cls(
            model["model_name"],
            api_key="replayed-without-a-key",
            base_url=model["base_url"],
            provider_name=model.get("provider_name"),
            settings=settings,
            http_client=httpx.AsyncClient(transport=transport),
        )

    def __repr__(self) -> str:
        return f"ReplayModel({str(self.path)!r}, kind={self.kind!r})"

    def cache_identity(self) -> dict[str, Any]:
        """The recorded model's: a replayed batch reads the cache of the recorded one."""
        model: dict[str, Any] = self.header.get("model") or {}
        identity: Any = model.get("identity", model)
        return dict(identity)

    def stream(self, request: CompletionRequest) -> AsyncIterator[Any]:
        """The recorded answer to `request`; `UnrecordedRequest` when there is none."""
        if self.inner is not None:
            body: Any = json.loads(self.inner.request_body(request))
            key = _http_key("POST", self._path(request), body, self.ignore)
            if key not in self.exchanges.by_key:
                raise self.exchanges.missing(key, "request", self.path)
            return self.inner.stream(request)
        key = normalize(request_to_json(request), self.ignore)
        entry = self.exchanges.take(key)
        if entry is None:
            raise self.exchanges.missing(key, "model call", self.path)
        return self._play(entry)

    def _path(self, request: CompletionRequest) -> str:
        base = httpx.URL(self.inner.base_url).path.rstrip("/")
        return f"{base}{self.inner.path(request)}"

    async def _play(self, entry: dict[str, Any]) -> AsyncIterator[Any]:
        choices: list[dict[str, Any]] = entry.get("choices") or []
        for choice in choices:
            yield choice_from_json(choice)
        error: Any = entry.get("error")
        if error is not None:
            raise error_from_json(error)

    async def aclose(self) -> None:
        """Close the replay client."""
        if self.inner is not None:
            await self.inner.aclose()
