"""A sans-IO decoder of newline-delimited JSON (Ollama's stream format)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar, overload

from ..errors import ResponseError
from ._lines import BufferedLines, batches, close

__all__ = ["aiter_ndjson_batches", "decode_ndjson_line"]

R = TypeVar("R", bound=Mapping[str, Any])


@overload
def decode_ndjson_line(line: str, provider: str) -> dict[str, Any] | None: ...
@overload
def decode_ndjson_line(line: str, provider: str, record: type[R]) -> R | None: ...
def decode_ndjson_line(line: str, provider: str, record: object = None) -> Any:
    """One JSON object per line, as a `record` of `_records` (typing only: free at run time).

    Blank lines are skipped; anything else that is not a JSON object is a `ResponseError`.
    """
    text = line.strip()
    if not text:
        return None
    try:
        value: Any = json.loads(text)
    except ValueError as exc:
        raise ResponseError(
            f"{provider} sent a line that is not JSON ({exc}): {text[:200]!r}"
        ) from exc
    if not isinstance(value, dict):
        raise ResponseError(f"{provider} sent a JSON line that is not an object: {text[:200]!r}")
    return value


async def aiter_ndjson_batches(lines: AsyncIterator[str]) -> AsyncIterator[list[str]]:
    """The non-blank lines that have arrived together (decoded by the caller, in order)."""
    if isinstance(lines, BufferedLines):
        source = batches(lines)
        try:
            async for batch in source:
                kept = [line for line in batch if line.strip()]
                if kept:
                    yield kept
        finally:
            await close(source)
        return
    async for line in lines:
        if line.strip():
            yield [line]
