"""Tools: plain or async Python functions the model can call.

```python
@tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict[str, object]:
    \"\"\"Current weather for a city.

Args:
        city: The city's name, e.g. "Paris".
        unit: Temperature unit.
    \"\"\"
    return {"city": city, "temp": 21, "unit": unit}
```

The JSON schema comes from the type hints (pydantic) and the docstring (Google `Args:` or Sphinx
`:param x:`). Arguments are validated before the call; a mismatch is reported back to the model as
`JsonError: ...` so it can correct itself. Sync functions run in a worker thread, off the event
loop.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_type_hints, overload

import pydantic
from pydantic import BaseModel, Field
from pydantic_core import PydanticSerializationError, to_json

from ..errors import ToolError, ToolNotFoundError, ToolServerError, ToolSetError, UserError
from ._tool_output import convert_tool_output
from ._wire import describe_errors

__all__ = ["FunctionTool", "Tool", "ToolDefinition", "ToolSet", "tool", "tool_failure"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolDefinition:
    """What the model is told about a tool."""

    name: str
    description: str
    parameters: dict[str, Any]


class Tool:
    """Base of tools: a name, a description, a JSON schema and an async `call(args) -> str`."""

    name: str
    description: str
    approval: Literal["ask", "auto", "deny"] | None = None
    """The approval policy the tool asks for where the run names none for it: an approval desk
    (the view, `%%agent`) applies the stricter of it and the run's default. `kernel_tools()`'s
    `run_python` asks for `"ask"`."""
    code_argument: str | None = None
    """An argument the view shows as highlighted code (in `code_language`) on the tool's card."""
    code_language: str = "python"

    def definition(self, prompt: str = "") -> ToolDefinition:
        """The definition sent to the model (`prompt` lets a tool adapt it; unused here)."""
        raise NotImplementedError

    async def call(self, args: str) -> str:
        """Run with the arguments' JSON text; any exception is reported to the model as the result.

        Raise `ToolError(message)` to choose the text (`ToolCallError: message`).
        """
        raise NotImplementedError


class FunctionTool(Tool):
    """A tool made from a Python function by `@tool`; still callable as the function."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        if not callable(fn):
            raise UserError(f"@tool needs a function, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.name):
            raise UserError(
                f"tool name {self.name!r} is not valid: use 1-64 letters, digits, '_' or '-' "
                "(pass name=... to @tool)"
            )
        summary, arg_docs = _parse_docstring(inspect.getdoc(fn) or "")
        self.description = description if description is not None else summary
        self._is_async = inspect.iscoroutinefunction(fn)
        self._args_model = _arguments_model(fn, self.name, arg_docs)
        self._params = list(self._args_model.model_fields)
        self._schema = _clean_schema(self._args_model.model_json_schema())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function itself."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<tool {self.name}: {self.description.splitlines()[0] if self.description else ''}>"

    def definition(self, prompt: str = "") -> ToolDefinition:
        """Name, description and the JSON schema of the parameters."""
        return ToolDefinition(name=self.name, description=self.description, parameters=self._schema)

    async def call(self, args: str) -> str:
        """Validate `args` (JSON text), run the function, serialize what it returns."""
        kwargs = self._parse_args(args)
        try:
            if self._is_async:
                result = await self.fn(**kwargs)
            else:
                result = await asyncio.to_thread(self.fn, **kwargs)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(_failure_text(exc)) from exc
        return serialize_output(result)

    def _parse_args(self, args: str) -> dict[str, Any]:
        try:
            raw: Any = json.loads(args) if args.strip() else {}
        except ValueError as exc:
            raise ToolError(
                f"arguments of {self.name} are not valid JSON: {exc}", kind="json"
            ) from exc
        if not isinstance(raw, dict):
            raise ToolError(
                f"arguments of {self.name} must be a JSON object, got {args[:200]}", kind="json"
            )
        try:
            parsed = self._args_model.model_validate(raw)
        except pydantic.ValidationError as exc:
            problems = describe_errors(exc, "arguments")
            raise ToolError(f"invalid arguments for {self.name}: {problems}", kind="json") from exc
        return {name: getattr(parsed, name) for name in self._params}


@overload
def tool(fn: Callable[..., Any], /) -> FunctionTool: ...
@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], FunctionTool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Make a tool of a function: `@tool` or `@tool(name=..., description=...)`."""
    if fn is not None:
        return FunctionTool(fn, name=name, description=description)

    def decorate(f: Callable[..., Any]) -> FunctionTool:
        return FunctionTool(f, name=name, description=description)

    return decorate


class ToolSet:
    """The tools an agent may call, by name, in registration order."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, item: Tool | Callable[..., Any]) -> Tool:
        """Register a tool (a plain function is wrapped with `@tool`)."""
        added = item if isinstance(item, Tool) else FunctionTool(item)
        if added.name in self._tools:
            raise UserError(f"two tools are named {added.name!r}; give one another name")
        self._tools[added.name] = added
        return added

    def get(self, name: str) -> Tool | None:
        """The tool of that name, if any."""
        return self._tools.get(name)

    @property
    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._tools)

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def definitions(self, prompt: str = "") -> list[ToolDefinition]:
        """The definitions of all tools, in registration order."""
        return [t.definition(prompt) for t in self._tools.values()]

    async def call_tool(self, name: str, args: str) -> str:
        """Run a tool; any failure raises `ToolServerError`, whose text goes back to the model.

        Whatever `Exception` a tool raises (a `ToolError` or anything else, from a `@tool` function
        or a `Tool` subclass) becomes `Toolset error: ToolCallError: ...`; `KeyboardInterrupt`,
        `CancelledError` and the like are not exceptions of the tool and propagate. A `call` that
        is not async, or that returns something other than text, is accepted (and serialized).
        """
        found = self._tools.get(name)
        if found is None:
            raise ToolServerError.toolset(ToolNotFoundError(name))
        try:
            result: Any = found.call(args)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            raise tool_failure(exc) from exc
        return serialize_output(result)


def tool_failure(exc: Exception) -> ToolServerError:
    """The `ToolServerError` for an exception raised by a tool (its text goes to the model)."""
    error = exc if isinstance(exc, ToolError) else ToolError(_failure_text(exc))
    return ToolServerError.toolset(ToolSetError.from_tool_error(error))


def _failure_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the failure
        text = ""
    return text or type(exc).__name__


_PLAIN = (dict, list, tuple, int, float, bool, type(None))


def _is_plain(value: object) -> bool:
    """JSON's own kinds of value: spec 1.3 serializes them, no converter sees them."""
    return isinstance(value, _PLAIN)


def serialize_output(value: Any) -> str:
    """A tool's return value as the text the model gets: a string as it is, else compact JSON.

    A rich object (a DataFrame, a figure, an image...) becomes a `ToolOutput` through the
    registered converters (`register_tool_output`) first; plain values never reach them.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if not _is_plain(value):
        converted = convert_tool_output(value)
        if converted is not None:
            return converted
    try:
        return to_json(value).decode()
    except (TypeError, ValueError, PydanticSerializationError):
        return str(value)


def _arguments_model(
    fn: Callable[..., Any], name: str, arg_docs: dict[str, str]
) -> type[BaseModel]:
    try:
        hints = get_type_hints(fn)
    except Exception as exc:
        raise UserError(f"cannot read the type hints of tool {name!r}: {exc}") from exc
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise UserError(
                f"tool {name!r} takes *{param.name}; tools need named parameters the model can fill"
            )
        annotation = hints.get(param.name, Any)
        default: Any = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, Field(default, description=arg_docs.get(param.name)))
    try:
        return pydantic.create_model(f"{name}_arguments", **fields)
    except (pydantic.PydanticSchemaGenerationError, TypeError) as exc:
        raise UserError(
            f"tool {name!r} has a parameter type pydantic cannot describe: {exc}"
        ) from exc


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")


def _clean_schema(schema: Any) -> Any:
    """Drop pydantic's generated `title`s (noise for the model), keeping properties named title."""
    if isinstance(schema, list):
        return [_clean_schema(s) for s in schema]  # pyright: ignore[reportUnknownVariableType]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():  # pyright: ignore[reportUnknownVariableType]
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: _clean_schema(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        else:
            out[key] = _clean_schema(value)
    return out


_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+):\s*(.*)$")
_GOOGLE_ARG = re.compile(r"^(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?):\s*$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The description (text before any section) and per-argument descriptions."""
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        if match := _SECTION.match(stripped):
            section, current = match.group(1), None
            continue
        if match := _SPHINX_PARAM.match(stripped):
            current = str(match.group(1))
            args[current] = str(match.group(2))
            section = "sphinx"
            continue
        if section in ("Args", "Arguments", "Parameters"):
            if (match := _GOOGLE_ARG.match(stripped)) and not line.startswith(" " * 8):
                current = str(match.group(1))
                args[current] = str(match.group(2))
            elif current and stripped:
                args[current] = f"{args[current]} {stripped}".strip()
        elif section is None:
            summary.append(line)
        elif section == "sphinx" and current and stripped and not stripped.startswith(":"):
            args[current] = f"{args[current]} {stripped}"
    return "\n".join(summary).strip(), args
