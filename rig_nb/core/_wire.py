"""Helpers that give pydantic models rig's exact JSON shapes (spec section 1).

rig's serde uses three tagging styles that pydantic does not express by itself:

* fields omitted when `None` on some types but serialized as `null` on others (`Wire`);
* *internally tagged* lists, where the same class carries a `"type"` key in one container and
  none in another (a user `Text` is `{"type":"text","text":..}`, an assistant `Text` is `{"text":..}`):
  `dump_tagged` / `load_tagged` are called by the container;
* *adjacently tagged* values (`{"type": tag, "content": ...}`), handled by the classes themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

__all__ = ["Frozen", "Wire", "dump_tagged", "load_tagged"]


class Frozen(BaseModel):
    """Base of every value type: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Wire(Frozen):
    """A value type whose listed optional fields are left out of the JSON when they are `None`."""

    omit_if_none: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _drop_none(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in self.omit_if_none:
                if data.get(key, 0) is None:
                    del data[key]  # pyright: ignore[reportUnknownMemberType]
        return data  # pyright: ignore[reportUnknownVariableType]


def dump_tagged(
    values: Sequence[BaseModel], dumped: Any, tags: Mapping[type[BaseModel], str]
) -> list[Any]:
    """Put `{"type": tag}` in front of each already-dumped item of an internally tagged list."""
    return [{"type": tags[type(value)], **item} for value, item in zip(values, dumped, strict=True)]


def load_tagged(raw: Any, classes: Mapping[str, type[BaseModel]], what: str) -> Any:
    """Turn the dicts of an internally tagged list into model instances, by their `"type"` key.

    Anything that is not a list of tagged dicts is returned unchanged for pydantic to judge.
    """
    if not isinstance(raw, list):
        return raw
    items: list[Any] = []
    for item in raw:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(item, dict) and "type" in item:
            tag: Any = item["type"]
            cls = classes.get(tag) if isinstance(tag, str) else None
            if cls is None:
                expected = ", ".join(repr(t) for t in classes)
                raise ValueError(f"unknown {what} type {tag!r}; expected one of {expected}")
            body = {k: v for k, v in item.items() if k != "type"}  # pyright: ignore[reportUnknownVariableType]
            items.append(cls.model_validate(body))
        else:
            items.append(item)
    return items
