"""Replay recorded provider responses through httpx, offline.

```python
from rig_nb.providers import OpenAIChatModel
from rig_nb.testing.http import Reply, ReplayTransport

transport = ReplayTransport(Reply.file("fixtures/tool_call.sse"), Reply.file("fixtures/text.sse"))
model = OpenAIChatModel("gpt-4o-mini", api_key="test", http_client=transport.client())
...
assert transport.bodies()[1]["messages"][-1]["role"] == "tool"
```

Replies are served in order, one per request; every request is recorded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = ["ReplayTransport", "Reply"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One scripted HTTP response."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict[str, str])
    chunk_size: int | None = 64
    """Deliver the body in pieces of this many bytes (as a network would); `None` for one piece."""

    @staticmethod
    def file(path: str | Path, **kwargs: Any) -> Reply:
        """A reply whose body is a recorded file (`.ndjson` files get the NDJSON content type)."""
        path = Path(path)
        if path.suffix == ".ndjson":
            kwargs.setdefault("content_type", "application/x-ndjson")
        return Reply(body=path.read_bytes(), **kwargs)

    @staticmethod
    def text(body: str, **kwargs: Any) -> Reply:
        """A reply with this body."""
        return Reply(body=body.encode(), **kwargs)

    @staticmethod
    def json(value: Any, status: int = 200, **kwargs: Any) -> Reply:
        """A JSON reply, e.g. a provider's error body."""
        kwargs.setdefault("content_type", "application/json")
        return Reply(body=json.dumps(value).encode(), status=status, chunk_size=None, **kwargs)


class ReplayTransport(httpx.MockTransport):
    """An `httpx.MockTransport` that serves `replies` in order and records each request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        super().__init__(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) > len(self.replies):
            raise AssertionError(
                f"ReplayTransport has {len(self.replies)} replies but got request "
                f"#{len(self.requests)}: {request.method} {request.url}"
            )
        reply = self.replies[len(self.requests) - 1]
        headers = {"content-type": reply.content_type, **reply.headers}
        return httpx.Response(reply.status, headers=headers, content=_pieces(reply))

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the recorded requests."""
        return [json.loads(r.content) for r in self.requests]

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` using this transport."""
        return httpx.AsyncClient(transport=self, **kwargs)


async def _pieces(reply: Reply) -> AsyncIterator[bytes]:
    size = reply.chunk_size or max(len(reply.body), 1)
    for start in range(0, len(reply.body), size):
        yield reply.body[start : start + size]
