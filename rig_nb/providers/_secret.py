"""Keys kept for redaction, and URLs shown without their password."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Secret", "safe_url"]

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
