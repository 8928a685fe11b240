"""A model wrapper that takes a rate-limit slot before each model call and settles it after.

Every model call of a row (a tool round trip makes several) counts as one request. Its tokens are
estimated before the call (the request's text at 4 characters a token, plus the expected answer:
`max_tokens`, else the mean answer seen so far) and corrected by the usage the provider reports.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from ..core import CompletionRequest, RawFinal

__all__ = ["LimitedModel", "Limiter", "estimate_tokens"]


class Limiter(Protocol):
    """What the wrapper needs: the local `RateLimiter` or the Ray actor's proxy."""

    async def acquire(self, tokens: int = 0) -> int: ...

    async def settle(self, ticket: int, tokens: int | None) -> None: ...


def _request_chars(request: CompletionRequest) -> int:
    chars = sum(len(m.model_dump_json()) for m in request.chat_history)
    chars += sum(len(json.dumps(t.parameters)) + len(t.description) for t in request.tools)
    chars += sum(len(d.text) for d in request.documents)
    if request.output_schema is not None:
        chars += len(json.dumps(request.output_schema))
    return chars


def estimate_tokens(request: CompletionRequest, answer: int) -> int:
    """Tokens a call will use: its text at ~4 characters a token, plus `answer`."""
    expected = request.max_tokens if request.max_tokens is not None else answer
    return _request_chars(request) // 4 + expected


class LimitedModel:
    """`model`, each call of which waits for a slot of `limiter`."""

    def __init__(self, model: Any, limiter: Limiter) -> None:
        self.inner = model
        self.limiter = limiter
        self._answers = 0
        self._answer_tokens = 0

    def __getattr__(self, name: str) -> Any:  # model_name, price, cache_identity...
        if name == "inner":  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _expected_answer(self) -> int:
        return self._answer_tokens // self._answers if self._answers else 256

    def stream(self, request: CompletionRequest) -> AsyncIterator[Any]:
        """The inner model's stream, once a slot is free."""
        return self._run(request)

    async def _run(self, request: CompletionRequest) -> AsyncIterator[Any]:
        estimate = estimate_tokens(request, self._expected_answer())
        ticket = await self.limiter.acquire(estimate)
        used: int | None = None
        try:
            started: Any = self.inner.stream(request)
            if inspect.isawaitable(started) and not hasattr(started, "__anext__"):
                started = await started
            stream: Any = started
            async for choice in stream:
                if isinstance(choice, RawFinal):
                    usage = choice.response.token_usage()
                    if usage is not None:
                        total = usage.total_tokens or usage.input_tokens + usage.output_tokens
                        used = (used or 0) + total
                        self._answers += 1
                        self._answer_tokens += usage.output_tokens
                yield choice
        finally:
            await self.limiter.settle(ticket, used)
