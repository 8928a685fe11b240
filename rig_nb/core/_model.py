"""What a model is to the agent loop: one streaming call per turn (spec 1.8).

A custom model is any object with a `stream(request)` method that returns an async iterator of
raw choices (`rig_nb.core.RawText`, `RawToolCall`, ..., ending with a `RawFinal`):

```python
class Echo:
    async def stream(self, request: CompletionRequest) -> AsyncIterator[RawStreamingChoice]:
        yield RawText(rag_text(request.prompt) or "")
        yield RawFinal(EchoResponse())
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from ._messages import AnyMessage, Document, ToolChoice, UserMessage
from ._raw import RawStreamingChoice
from ._tools import ToolDefinition

__all__ = ["CompletionModel", "CompletionRequest", "VectorIndex", "model_identity"]


@dataclass(kw_only=True)
class CompletionRequest:
    """One model call, as the agent loop builds it for each turn.

    The preamble is not in `preamble` but a leading `SystemMessage` of `chat_history`, whose last
    message is the turn's prompt. Providers put `normalized_documents()` first.
    """

    chat_history: list[AnyMessage]
    preamble: str | None = None
    model: str | None = None
    documents: list[Document] = field(default_factory=list[Document])
    tools: list[ToolDefinition] = field(default_factory=list[ToolDefinition])
    temperature: float | None = None
    max_tokens: int | None = None
    tool_choice: ToolChoice | None = None
    additional_params: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None

    @property
    def prompt(self) -> AnyMessage:
        """The last message: what the model answers."""
        return self.chat_history[-1]

    def normalized_documents(self) -> UserMessage | None:
        """All documents as one user message of text documents, or `None`."""
        return Document.normalize(self.documents)


@runtime_checkable
class CompletionModel(Protocol):
    """What the agent loop needs of a model: one streaming call per turn.

    `stream` returns an async iterator (an async generator, so it can be closed) of raw choices.
    Failures raise `CompletionError`s; anything else raised is reported as a `ModelError`.
    """

    def stream(self, request: CompletionRequest) -> AsyncIterator[RawStreamingChoice]:
        """Start the call; iterate to read it."""
        ...


@runtime_checkable
class VectorIndex(Protocol):
    """A searchable store of documents for dynamic context (RAG)."""

    async def top_n(self, query: str, n: int) -> list[tuple[float, str, Any]]:
        """The `n` best `(score, id, document)` matches for `query`."""
        ...


def _without_password(url: Any) -> Any:
    if not isinstance(url, str) or "@" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def model_identity(model: object) -> dict[str, Any]:
    """What identifies a model in a batch's cache key or a cassette (never its key).

    A model's own `cache_identity()`, else its class, name, provider and base URL (without a
    password).
    """
    own = getattr(model, "cache_identity", None)
    if callable(own):
        found: Any = own()
        return dict(found)
    cls = type(model)
    return {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "model": getattr(model, "model_name", None),
        "provider": getattr(model, "provider_name", None),
        "base_url": _without_password(getattr(model, "base_url", None)),
    }
