"""When to retry: the statuses, the server's own say (`x-should-retry`), `Retry-After`."""

from __future__ import annotations

import email.utils
import time

import httpx

__all__ = ["RETRY_STATUSES", "retry_after_seconds", "should_retry"]

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def should_retry(response: httpx.Response) -> bool:
    """A retryable status, unless the server says otherwise (OpenAI, Anthropic)."""
    verdict = response.headers.get("x-should-retry", "").strip().lower()
    if verdict in ("true", "false"):
        return verdict == "true"
    return response.status_code in RETRY_STATUSES


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or a date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    return _parse_retry_after(headers.get("retry-after"))


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() - time.time()
