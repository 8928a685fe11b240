"""Row results to JSON and back: the cache's lines, typed errors included.

An error is kept as its class (module and name), its `args` and its attributes: `chat_history`
as rig's JSON history, the wrapped `error` of a streaming twin as an error of its own, JSON values
as they are and anything else as its `repr`. Read back, it is the same class again (a streaming
twin is made again with `StreamingError.wrap`), with the same text, fields and history.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from rig_nb import Message, Usage, history_from_json, history_to_json
from rig_nb.errors import RigError, StreamingError

from ._result import RowResult

__all__ = ["decode_error", "decode_row", "encode_error", "encode_row"]

_JSON_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """`value` when JSON holds it as is, else its `repr`."""
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


def encode_error(exc: BaseException) -> dict[str, Any]:
    """A JSON object that `decode_error` turns back into an equal error."""
    inner = exc.__dict__.get("error") if isinstance(exc, StreamingError) else None
    if isinstance(inner, RigError):  # keep the public error; the twin is made again on reading
        history = exc.__dict__.get("chat_history")
        twin = None if history is None else json.loads(history_to_json(history))
        return {"streaming": True, "twin_history": twin, **encode_error(inner)}
    attrs: dict[str, Any] = {}
    for name, value in vars(exc).items():
        if name == "chat_history":
            attrs[name] = None if value is None else {"history": json.loads(history_to_json(value))}
        elif isinstance(value, Message):
            attrs[name] = {"history": json.loads(history_to_json([value])), "one": True}
        elif isinstance(value, BaseException):
            attrs[name] = {"error": encode_error(value)}
        else:
            attrs[name] = {"value": _plain(value)}
    cls = type(exc)
    return {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "args": _plain(list(exc.args)),
        "attrs": attrs,
    }


def _load_class(path: str) -> type[BaseException] | None:
    module, _, name = path.partition(":")
    try:
        found: Any = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def decode_error(data: dict[str, Any]) -> BaseException:
    """The error `encode_error` wrote (a `RigError` with its text when its class is gone)."""
    cls = _load_class(str(data.get("class", "")))
    args = tuple(data.get("args") or ())
    if cls is None:
        return RigError(f"{data.get('class')}: {' '.join(map(str, args))}")
    error: BaseException = cls.__new__(cls, *args)
    error.args = args
    for name, value in (data.get("attrs") or {}).items():
        if value is None:
            setattr(error, name, None)
        elif "history" in value:
            messages = history_from_json(json.dumps(value["history"]))
            setattr(error, name, messages[0] if value.get("one") else messages)
        elif "error" in value:
            setattr(error, name, decode_error(value["error"]))
        else:
            setattr(error, name, value.get("value"))
    if data.get("streaming") and isinstance(error, RigError):
        twin = StreamingError.wrap(error)
        history = data.get("twin_history")
        twin.chat_history = None if history is None else history_from_json(json.dumps(history))
        return twin
    return error


def encode_row(result: RowResult, output_json: Any) -> dict[str, Any]:
    """One cache line (without the newline)."""
    return {
        "key": result.key,
        "index": result.index,
        "status": result.status,
        "prompt": result.prompt,
        "response": result.response,
        "output": output_json,
        "usage": result.usage.model_dump(mode="json"),
        "cost": result.cost,
        "error": None if result.error is None else encode_error(result.error),
        "retried": list(result.retried),
        "history": None if result.history is None else json.loads(history_to_json(result.history)),
        "attempts": result.attempts,
        "elapsed": result.elapsed,
    }


def decode_row(data: dict[str, Any], output: Any = None) -> RowResult:
    """A `RowResult` from a cache line; `output` is the structured output already validated."""
    history = data.get("history")
    error = data.get("error")
    return RowResult(
        row=data.get("index"),
        index=int(data.get("index") or 0),
        key=str(data["key"]),
        status=data["status"],
        prompt=data.get("prompt") or "",
        response=data.get("response"),
        output=output,
        usage=Usage.model_validate(data.get("usage") or {}),
        cost=data.get("cost"),
        error=None if error is None else decode_error(error),
        retried=list(data.get("retried") or []),
        history=None if history is None else history_from_json(json.dumps(history)),
        attempts=int(data.get("attempts") or 0),
        elapsed=float(data.get("elapsed") or 0.0),
        cached=True,
    )
