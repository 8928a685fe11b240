"""Cassettes: the exchanges of a recorded run, one JSON object a line, keys redacted.

```
{"rig_nb_cassette": 1, "kind": "http", "model": {"class": "OpenAIChatModel", ...}}
{"request": {"method": "POST", "path": "/v1/chat/completions", "body": {...}},
 "response": {"status": 200, "headers": {...}, "body": "data: ...", "complete": true}}
```

`kind` is `http` (a provider model, recorded at the HTTP level: the wire bodies) or `choices` (any
other model: its raw choices). Requests are matched by a normalized body: JSON with sorted keys,
without the volatile fields (`VOLATILE`), so a replay matches whatever the order of the keys.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "VOLATILE",
    "CassetteError",
    "Redactor",
    "UnrecordedRequest",
    "closest_diff",
    "normalize",
    "read_cassette",
]

VOLATILE = frozenset({"user", "metadata", "prompt_cache_key", "safety_identifier", "store"})
"""Top-level body fields that do not change the answer and may change between runs."""

KEY_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")
"""Request headers that carry a key: never written, their values redacted everywhere."""

KEPT_HEADERS = (
    "content-type",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-request-id",
    "request-id",
)
"""Response headers kept in a cassette (the others may identify an account)."""

REDACTED = "[redacted]"


class CassetteError(ValueError):
    """A cassette file that cannot be read: the message says which line and why."""


class UnrecordedRequest(AssertionError):
    """A replayed run sent a request the cassette does not hold.

    The run ends with a `ModelError` that names it (like `ScriptedModel`'s `UnexpectedModelCall`);
    the message says which request and how it differs from the closest recorded one.
    """


class Redactor:
    """Replaces every key it was told about, wherever it appears."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def learn(self, headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]]) -> None:
        """Take the keys of a request's key headers and `key=` query parameter."""
        for name, value in headers:
            if name.lower() in KEY_HEADERS:
                secret = value.split(" ", 1)[1] if value.lower().startswith("bearer ") else value
                if len(secret) >= 4:
                    self.secrets.add(secret)
        for name, value in query:
            if name.lower() in ("key", "api_key", "api-key") and len(value) >= 4:
                self.secrets.add(value)

    def text(self, text: str) -> str:
        """`text` without any known key."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def value(self, value: Any) -> Any:
        """A JSON value without any known key (strings inside redacted)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        return value


def normalize(body: Any, ignore: frozenset[str] = VOLATILE) -> str:
    """The text requests are matched by: sorted-key JSON without the ignored top-level fields."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ignore}  # pyright: ignore[reportUnknownVariableType]
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _pretty(key: str) -> list[str]:
    try:
        return json.dumps(json.loads(key), indent=1, sort_keys=True, ensure_ascii=False).split("\n")
    except ValueError:
        return key.split("\n")


def closest_diff(wanted: str, recorded: Iterable[str], limit: int = 30) -> str:
    """How `wanted` differs from the closest of `recorded`: a unified diff of `limit` lines."""
    best: str | None = None
    best_ratio = -1.0
    for candidate in recorded:
        ratio = difflib.SequenceMatcher(None, wanted, candidate, autojunk=False).quick_ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    if best is None:
        return "the cassette holds no request at all"
    lines = list(
        difflib.unified_diff(
            _pretty(best), _pretty(wanted), "recorded", "sent now", n=1, lineterm=""
        )
    )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more lines)"]
    return "\n".join(lines)


def read_cassette(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the exchanges of a cassette file."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CassetteError(
            f"no cassette at {path}: record one first (RecordingModel, or %%agent --record {path})"
        ) from None
    entries: list[dict[str, Any]] = []
    header: dict[str, Any] | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value: Any = json.loads(line)
        except ValueError as exc:
            raise CassetteError(f"{path} line {number} is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise CassetteError(f"{path} line {number} is not a JSON object")
        data: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
        if header is None:
            if data.get("rig_nb_cassette") != 1:
                raise CassetteError(f"{path} is not a rig_nb cassette (its first line)")
            header = data
        else:
            entries.append(data)
    if header is None:
        raise CassetteError(f"{path} is empty: record the run again")
    return header, entries
