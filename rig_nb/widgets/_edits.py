"""Edited tool arguments, checked before the tool runs: a JSON object valid for the tool's schema.

The browser checks an edit as the user types (js/src/edit.js, @cfworker/json-schema); the kernel
checks it again here with `jsonschema` before it approves, since a front end is not to be trusted:
an edit that fails is refused, the card says why and keeps waiting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["check_edit", "pretty_args"]

MAX_PROBLEMS = 5


def pretty_args(text: str) -> str:
    """Arguments as the card shows them (indented JSON)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def check_edit(text: str, schema: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """`(arguments, "")` for a valid edit; `(None, why)` for one that is not."""
    try:
        value: Any = json.loads(text)
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"the arguments must be a JSON object, not {type(value).__name__}"
    arguments: dict[str, Any] = value
    if not schema:
        return arguments, ""
    # Imported here: `jsonschema` takes about 1.8 s to import (its format checkers build a lark
    # grammar), which a kernel should pay only when someone edits arguments.
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    try:
        cls: Any = validator_for(schema)
        cls.check_schema(schema)
        errors: list[Any] = sorted(cls(schema).iter_errors(arguments), key=lambda e: list(e.path))
    except SchemaError as exc:
        return None, f"the tool's schema cannot be checked: {exc.message}"
    if not errors:
        return arguments, ""
    problems = [_problem(error) for error in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        problems.append(f"and {len(errors) - MAX_PROBLEMS} more")
    return None, "; ".join(problems)


def _problem(error: Any) -> str:
    where = "/".join(str(p) for p in error.path)
    return f"{where}: {error.message}" if where else str(error.message)
