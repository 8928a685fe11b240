"""Giving public classes their public path (httpx's habit): `rig_nb.Agent`, not its module's.

Reprs, tracebacks and pickles name a class by `__module__` and `__qualname__`. Each public
package calls `publish` on its own `__all__` after importing it, so `rig_nb.Agent` reads as
such and pickles as such (every published class is an attribute of its new module).

A class's string annotations (`from __future__ import annotations`) are resolved first, in the
module that defined it: `typing.get_type_hints` and pydantic (for a dataclass used in a model or a
`TypeAdapter`) look names up in `__module__`, which no longer holds them once it is published.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable, Mapping

__all__ = ["publish"]


def publish(namespace: Mapping[str, object], names: Iterable[str], module: str) -> None:
    """Set `__module__` of the rig_nb classes among `names` to `module`.

    `namespace` is the publishing module's globals; it resolves names that the defining module
    imports only for type checking. Functions keep their module (`typing.get_overloads` looks
    them up by it), as do type aliases and classes of other packages.
    """
    for name in names:
        obj = namespace[name]
        if not isinstance(obj, type) or not obj.__module__.startswith("rig_nb."):
            continue
        if obj.__module__ != module:
            _resolve_annotations(obj, namespace)
            obj.__module__ = module


def _resolve_annotations(cls: type, namespace: Mapping[str, object]) -> None:
    own = inspect.get_annotations(cls)
    if not any(isinstance(value, str) for value in own.values()):
        return
    # The class's own annotations only (its bases are not ours to change), in its own module.
    holder = type(cls.__name__, (), {"__annotations__": own, "__module__": cls.__module__})
    hints = typing.get_type_hints(holder, localns=dict(namespace), include_extras=True)
    cls.__annotations__ = hints
    for field in getattr(cls, "__dataclass_fields__", {}).values():
        if field.name in hints:  # pydantic reads a dataclass's field types from here
            field.type = hints[field.name]
