"""Keys kept for redaction, and URLs shown without their password."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["Secret", "safe_url", "scrub"]

_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@")


class Secret:
    """An API key kept for redaction: never shown by `repr` or `str`, never pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the key replaced."""
        return text.replace(self._value, "[redacted]") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # a pickled model must not carry its key
        raise TypeError("a rig_nb API key cannot be pickled")


def safe_url(text: str) -> str:
    """`text` with the password of every `scheme://user:password@host` shown as `[secure]`."""
    return _USERINFO.sub(r"\g<head>[secure]@", text) if "@" in text else text


def scrub(error: BaseException, redact: Callable[[str], str]) -> BaseException:
    """Redact `error`, and every exception it was raised from, in place; returns it.

    Its args, its string attributes and a `headers` dict: what a traceback or a log shows.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        _scrub_one(current, redact)
        current = current.__cause__ or current.__context__
    return error


def _scrub_one(error: BaseException, redact: Callable[[str], str]) -> None:
    try:
        error.args = tuple(redact(a) if isinstance(a, str) else a for a in error.args)
        for name, value in list(vars(error).items()):
            if isinstance(value, str):
                setattr(error, name, redact(value))
            elif isinstance(value, dict) and name == "headers":
                headers: dict[Any, Any] = value
                setattr(error, name, {k: redact(str(v)) for k, v in headers.items()})
    except (AttributeError, TypeError):  # pragma: no cover - an exception that forbids it
        pass
