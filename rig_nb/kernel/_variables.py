"""The user's variables as the kernel tools show them: a list with one line each, and one in detail.

Only public names are read, as in `%%agent` prompts: a `_private` or `__dunder__` name or
attribute, or one that leads to a frame or a module's globals, is refused.
"""

from __future__ import annotations

import inspect
import reprlib
import types
from collections.abc import Mapping
from typing import Any

from ..errors import ToolError
from ._budget import Budget, clip
from ._frames import frame_kind
from ._images import image_kind
from ._render import Rendition, render

__all__ = ["UNSAFE_ATTRIBUTES", "describe_variable", "list_variables", "lookup", "summary"]

UNSAFE_ATTRIBUTES = frozenset(
    {
        # Public attributes that lead to a module's globals or a stack frame (as jinja2's
        # sandbox lists them): a name never walks into another namespace.
        *("f_globals", "f_locals", "f_builtins", "f_back", "f_code"),
        *("gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code"),
        *("tb_frame", "tb_next", "func_globals", "func_code", "mro"),
    }
)
_NOT_VARIABLES = frozenset({"In", "Out", "Err", "exit", "quit", "get_ipython", "open"})
_MISSING = object()
_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80


def lookup(chain: str, namespace: Mapping[str, Any]) -> Any:
    """The value of `name` or `name.attr.attr`, public names only.

    Raises:
        ToolError: a private name, an unsafe attribute, a name that does not exist.
    """
    head, *attributes = chain.strip().split(".")
    for part in (head, *attributes):
        if not part.isidentifier():
            raise ToolError(f"{chain!r} is not a variable name (use name or name.attribute)")
        if part.startswith("_") or (part in UNSAFE_ATTRIBUTES and part is not head):
            raise ToolError(
                f"{chain!r}: only public names and attributes can be read, not {part!r}"
            )
    if head not in namespace:
        raise ToolError(f"no variable named {head!r}; list_variables shows the variables there are")
    value = namespace[head]
    for attribute in attributes:
        try:
            found = getattr(value, attribute, _MISSING)
        except Exception as exc:
            raise ToolError(
                f"{chain}: reading .{attribute} raised {type(exc).__name__}: {exc}"
            ) from exc
        if found is _MISSING:
            raise ToolError(f"{chain}: {type(value).__name__} has no attribute {attribute!r}")
        value = found
    return value


def _type_name(value: Any) -> str:
    kind = frame_kind(value) or image_kind(value)
    if kind is not None:
        return kind
    cls = type(value)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def summary(value: Any) -> str:
    """One line: the type and what matters (shape, length, size, signature, a short repr)."""
    kind = _type_name(value)
    try:
        if frame_kind(value) is not None:
            shape = getattr(value, "shape", None)
            detail = " x ".join(f"{n:,}" for n in shape) if shape is not None else "lazy"
        elif kind == "PIL image":
            detail = f"{value.width}x{value.height} {value.mode}"
        elif kind in ("matplotlib Figure", "matplotlib Axes"):
            figure = value.figure if kind == "matplotlib Axes" else value
            width, height = (float(x) * float(figure.dpi) for x in figure.get_size_inches())
            detail = f"{round(width)}x{round(height)} px"
        elif inspect.isclass(value):
            return f"class {value.__qualname__}"
        elif hasattr(value, "shape") and hasattr(value, "dtype"):
            array: Any = value
            detail = f"shape {tuple(array.shape)}, dtype {array.dtype}"
        elif callable(value):
            return f"{'function' if inspect.isfunction(value) else kind}{_signature(value)}"
        elif isinstance(value, str | bytes | int | float | complex | bool) or value is None:
            detail = _repr.repr(value)
        elif hasattr(value, "__len__"):
            detail = f"{len(value):,} items: {_repr.repr(value)}"
        else:
            detail = _repr.repr(value)
    except Exception:
        detail = "(its repr failed)"
    return f"{kind} — {detail}"


def _signature(value: Any) -> str:
    try:
        try:  # string annotations (`from __future__ import annotations`) read as types
            return str(inspect.signature(value, eval_str=True))
        except (NameError, SyntaxError, AttributeError):
            return str(inspect.signature(value))
    except (TypeError, ValueError):
        return "(...)"


def _visible(namespace: Mapping[str, Any], hidden: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The user's own names, as `%who` finds them (not IPython's, not _private)."""
    missing = object()
    found: list[tuple[str, Any]] = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in _NOT_VARIABLES:
            continue
        if hidden.get(name, missing) is value:
            continue
        found.append((name, value))
    return found


def list_variables(
    namespace: Mapping[str, Any], hidden: Mapping[str, Any], budget: Budget, limit: int = 200
) -> str:
    """One line per variable, then the imported modules (their names are what code uses)."""
    variables: list[str] = []
    modules: list[str] = []
    for name, value in _visible(namespace, hidden):
        if isinstance(value, types.ModuleType):
            alias = value.__name__
            modules.append(name if alias == name else f"{alias} as {name}")
        else:
            variables.append(f"{name}: {summary(value)}")
    lines = [f"{len(variables)} variable{'s' if len(variables) != 1 else ''}:"]
    lines += variables[:limit]
    if len(variables) > limit:
        lines.append(f"… and {len(variables) - limit} more")
    if modules:
        lines.append(f"imported modules: {', '.join(sorted(modules))}")
    return clip("\n".join(lines), budget.chars * 2)


def describe_variable(chain: str, value: Any, budget: Budget) -> Rendition:
    """One variable in detail.

    Its rendition (a DataFrame's description, a figure's image...), else its type and repr; a
    function's or class's signature and docstring.
    """
    try:
        found = render(value, budget)
    except Exception as exc:  # a display method that fails: describe it the plain way
        found = None
        failure = f"(its rich rendition failed: {type(exc).__name__}: {exc})"
    else:
        failure = None
    if found is not None:
        return Rendition(found.kind, f"{chain}: {found.text}", found.pictures, found.html)
    lines = [f"{chain}: {summary(value)}", *([failure] if failure else [])]
    if inspect.isclass(value) or inspect.isroutine(value) or isinstance(value, types.ModuleType):
        doc = inspect.getdoc(value)
        if inspect.isclass(value) or callable(value):
            lines.append(f"signature: {getattr(value, '__name__', chain)}{_signature(value)}")
        if doc:
            lines += ["docstring:", doc]
    else:
        try:
            text = repr(value)
        except Exception as exc:
            text = f"(repr raised {type(exc).__name__}: {exc})"
        lines += ["repr:", text]
    return Rendition(_type_name(value), clip("\n".join(lines), budget.chars))
