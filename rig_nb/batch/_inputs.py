r"""What a batch runs over: prompts, a pandas/polars column, or a template filled from each row.

```python
agent.map(["Hi", "Bye"])                                   # a list of prompts (str or Message)
agent.map(df["text"])                                      # a pandas or polars Series
agent.map("Classify: {title}\\n{body}", rows=df)           # str.format over each row
agent.map("Translate: {value}", rows=df["text"])           # a column: {value} (or {text})
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


def _series_rows(series: Any) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    """A column as rows: each value as `{value}`, and as `{name}` when the Series has a name."""
    name = None if series.name is None else str(series.name)
    labels: Iterable[Any] = series.index if _module(series) == "pandas" else range(len(series))
    for label, value in zip(labels, series, strict=True):
        yield label, {"value": value} if name is None else {name: value, "value": value}


def _record_rows(rows: Iterable[Any]) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    """Dicts as rows; any other value as `{value}`."""
    for i, row in enumerate(rows):
        yield i, row if isinstance(row, Mapping) else {"value": row}


def _columns(rows: Any) -> list[str] | None:
    if _is_frame(rows):
        return [str(c) for c in rows.columns]
    if _is_series(rows):
        return ["value"] if rows.name is None else [str(rows.name), "value"]
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
                what = "DataFrame" if _is_frame(rows) else "Series"
                raise UserError(
                    f"the template reads {', '.join(missing)}, which the {what} does not have "
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
        if _is_frame(rows):
            pairs = _frame_rows(rows)
        elif _is_series(rows):
            pairs = _series_rows(rows)
        else:
            pairs = _record_rows(rows)
        sized = isinstance(rows, Sized) or _is_frame(rows) or _is_series(rows)
        total = len(rows) if sized else None
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
