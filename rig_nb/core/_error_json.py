"""rig_nb errors to JSON and back, with their conversation: a batch's cache, a cassette.

An error is kept as its class (module and name), its `args` and its attributes: `chat_history`
as rig's JSON history, the wrapped `error` of a streaming twin as an error of its own, a pydantic
model (a `Usage`) as its class and JSON, JSON values as they are and anything else as its `repr`.
Read back, it is the same class again (a streaming twin is made again with `StreamingError.wrap`),
with the same text, fields and history.

```python
data = error_to_json(exc)            # a JSON object (json.dumps it)
again = error_from_json(data)        # the same class, text, fields and chat_history
```
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel

from ..errors import RigError, StreamingError
from ._messages import Message, history_from_json, history_to_json

__all__ = ["error_from_json", "error_to_json"]

_JSON_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """`value` when JSON holds it as is, else its `repr`."""
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, list | tuple):
        items: list[Any] | tuple[Any, ...] = value  # pyright: ignore[reportUnknownVariableType]
        return [_plain(v) for v in items]
    if isinstance(value, dict):
        mapping: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        return {str(k): _plain(v) for k, v in mapping.items()}
    return repr(value)


def error_to_json(exc: BaseException) -> dict[str, Any]:
    """A JSON object that `error_from_json` turns back into an equal error."""
    inner = exc.__dict__.get("error") if isinstance(exc, StreamingError) else None
    if isinstance(inner, RigError):  # keep the public error; the twin is made again on reading
        history = exc.__dict__.get("chat_history")
        twin = None if history is None else json.loads(history_to_json(history))
        return {"streaming": True, "twin_history": twin, **error_to_json(inner)}
    attrs: dict[str, Any] = {}
    for name, value in vars(exc).items():
        if name == "chat_history":
            attrs[name] = None if value is None else {"history": json.loads(history_to_json(value))}
        elif isinstance(value, Message):
            attrs[name] = {"history": json.loads(history_to_json([value])), "one": True}
        elif isinstance(value, BaseException):
            attrs[name] = {"error": error_to_json(value)}
        elif isinstance(value, BaseModel):
            attrs[name] = {"model": _path(type(value)), "data": value.model_dump(mode="json")}
        else:
            attrs[name] = {"value": _plain(value)}
    return {
        "class": _path(type(exc)),
        "args": _plain(list(exc.args)),
        "attrs": attrs,
    }


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _load(path: str, base: type[Any]) -> Any:
    """The class at `path` when it is a subclass of `base`, else `None`."""
    module, _, name = path.partition(":")
    try:
        found: Any = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) and issubclass(found, base) else None


def _model(data: dict[str, Any]) -> Any:
    """A pydantic attribute back (its JSON when its class is gone)."""
    cls: type[BaseModel] | None = _load(str(data.get("model", "")), BaseModel)
    return data.get("data") if cls is None else cls.model_validate(data.get("data"))


def error_from_json(data: dict[str, Any]) -> BaseException:
    """The error `error_to_json` wrote (a `RigError` with its text when its class is gone)."""
    cls: type[BaseException] | None = _load(str(data.get("class", "")), BaseException)
    args = tuple(data.get("args") or ())
    if cls is None:
        return RigError(f"{data.get('class')}: {' '.join(map(str, args))}")
    error: BaseException = cls.__new__(cls, *args)
    error.args = args
    attributes: dict[str, Any] = data.get("attrs") or {}
    for name, value in attributes.items():
        if value is None:
            setattr(error, name, None)
        elif "history" in value:
            messages = history_from_json(json.dumps(value["history"]))
            setattr(error, name, messages[0] if value.get("one") else messages)
        elif "error" in value:
            setattr(error, name, error_from_json(value["error"]))
        elif "model" in value:
            setattr(error, name, _model(value))
        else:
            setattr(error, name, value.get("value"))
    if data.get("streaming") and isinstance(error, RigError):
        twin = StreamingError.wrap(error)
        history = data.get("twin_history")
        twin.chat_history = None if history is None else history_from_json(json.dumps(history))
        return twin
    return error
