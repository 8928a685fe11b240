r"""What a batch runs over: prompts, a pandas/polars column, or a template filled from each row.

```python
agent.map(["Hi", "Bye"])                                   # a list of prompts (str or Message)
agent.map(df["text"])                                      # a pandas or polars Series
agent.map("Classify: {title}\\n{body}", rows=df)            # str.format over each row
agent.map(lambda row: f"Classify {row['title']}", rows=records)
```

Rows are read lazily (a DataFrame a slice at a time), so the input is never copied whole.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from typing import Any

from ..core import AnyMessage, Message
from ..errors import UserError

__all__ = ["Inputs", "inputs_of", "template_fields"]

_SLICE = 1024


@dataclass
class Inputs:
    """The prompts of a batch, in order: `(label, prompt or the error that made it)`."""

    items: Iterator[tuple[Any, AnyMessage | BaseException]]
    total: int | None


def _module(value: object) -> str:
    return type(value).__module__.partition(".")[0]


def _is_frame(value: object) -> bool:
    return _module(value) in ("pandas", "polars") and type(value).__name__ == "DataFrame"


def _is_series(value: object) -> bool:
    return _module(value) in ("pandas", "polars") and type(value).__name__ == "Series"


def template_fields(template: str) -> list[str]:
    """The top-level names a `str.format` template reads (`{title}`, `{row.x}` -> `row`)."""
    names: list[str] = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        head = name.split(".", 1)[0].split("[", 1)[0]
        if not head or head.isdigit():
            raise UserError(
                f"the template {template!r} has a positional field {{{name}}}; name the column, "
                "e.g. {title}, or write {{ and }} for literal braces"
            )
        names.append(head)
    return names


def _frame_rows(frame: Any) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    if _module(frame) == "polars":
        for i, row in enumerate(frame.iter_rows(named=True)):
            yield i, row
        return
    for start in range(0, len(frame), _SLICE):
        part = frame.iloc[start : start + _SLICE]
        for label, row in zip(part.index, part.to_dict("records"), strict=True):
            yield label, row


def _record_rows(rows: Iterable[Any]) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise UserError(
                f"rows= must hold mappings (dicts) or be a DataFrame; row {i} is a "
                f"{type(row).__name__}"
            )
        yield i, row


def _columns(rows: Any) -> list[str] | None:
    if _is_frame(rows):
        return [str(c) for c in rows.columns]
    return None


def _fill(
    make: Callable[[Mapping[str, Any]], Any], row: Mapping[str, Any], label: Any
) -> AnyMessage | BaseException:
    try:
        return Message.coerce(make(row))
    except KeyError as exc:
        return UserError(f"row {label!r} has no field {exc.args[0]!r} that the template reads")
    except Exception as exc:  # the user's callable or a format spec that does not fit the value
        return UserError(
            f"the prompt of row {label!r} could not be made: {type(exc).__name__}: {exc}"
        )


def inputs_of(prompts: Any, rows: Any = None) -> Inputs:
    """Read `agent.map`'s first two arguments; a mistake is a `UserError` saying what to pass."""
    if rows is not None:
        if isinstance(prompts, str):
            fields = template_fields(prompts)
            columns = _columns(rows)
            missing = [f for f in fields if columns is not None and f not in columns]
            if missing:
                raise UserError(
                    f"the template reads {', '.join(missing)}, which the DataFrame does not have "
                    f"(columns: {', '.join(columns or [])})"
                )
            template = prompts

            def make(row: Mapping[str, Any]) -> Any:
                return template.format_map(row)

        elif callable(prompts):
            make = prompts
        else:
            raise UserError(
                "with rows=, the first argument is a template string ('Classify: {title}') or a "
                f"function of a row, not a {type(prompts).__name__}"
            )
        pairs = _frame_rows(rows) if _is_frame(rows) else _record_rows(rows)
        total = len(rows) if isinstance(rows, Sized) or _is_frame(rows) else None
        return Inputs(((label, _fill(make, row, label)) for label, row in pairs), total)
    if isinstance(prompts, str | Message):
        raise UserError(
            "agent.map runs many prompts: pass a list of prompts, a column (df['text']), or a "
            "template with rows=df; for one prompt use agent.stream_prompt(...)"
        )
    if _is_frame(prompts):
        raise UserError(
            "pass a template and the DataFrame as rows= (agent.map('Classify: {title}', "
            "rows=df)), or one column (agent.map(df['text']))"
        )
    if _is_series(prompts):
        pandas = _module(prompts) == "pandas"
        labels: Iterable[Any] = prompts.index if pandas else range(len(prompts))
        return Inputs(_messages(zip(labels, prompts, strict=True)), len(prompts))
    if not isinstance(prompts, Iterable):
        raise UserError(f"agent.map needs an iterable of prompts, got {type(prompts).__name__}")
    values: Iterable[Any] = prompts  # pyright: ignore[reportUnknownVariableType]
    total = len(values) if isinstance(values, Sized) else None
    return Inputs(_messages(enumerate(values)), total)


def _messages(pairs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, AnyMessage | BaseException]]:
    for label, value in pairs:
        if isinstance(value, str | Message):
            yield label, Message.coerce(value)
        else:
            yield (
                label,
                UserError(
                    f"row {label!r}: a prompt is a str or a Message, got {type(value).__name__}"
                ),
            )
