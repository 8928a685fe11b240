"""Giving public classes their public path (httpx's habit): `rig_nb.Agent`, not its module's.

Reprs, tracebacks and pickles name a class by `__module__` and `__qualname__`. Each public
package calls `publish` on its own `__all__` after importing it, so `rig_nb.Agent` reads as
such and pickles as such (every published class is an attribute of its new module).

A class's string annotations (`from __future__ import annotations`) are resolved first, in the
module that defined it: `typing.get_type_hints` and pydantic look names up in `__module__`, which
no longer holds them once the class is published.
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
    hints = typing.get_type_hints(cls, localns=dict(namespace), include_extras=True)
    cls.__annotations__ = {key: hints.get(key, value) for key, value in own.items()}
