"""Helpers that give pydantic models rig's exact JSON shapes (spec section 1).

rig's serde uses three tagging styles that pydantic does not express by itself:

* fields omitted when `None` on some types but serialized as `null` on others (`Wire`);
* *internally tagged* lists, where the same class carries a `"type"` key in one container and
  none in another (a user `Text` is `{"type":"text","text":..}`, an assistant `Text` is
  `{"text":..}`):
  `dump_tagged` / `load_tagged` are called by the container;
* *adjacently tagged* values (`{"type": tag, "content": ...}`), handled by the classes themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

__all__ = ["Frozen", "Wire", "as_object", "describe_errors", "dump_tagged", "load_tagged"]


def describe_errors(error: ValidationError, whole: str) -> str:
    """A pydantic validation error as `field: message; ...` (`whole` names the root)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or whole}: {e['msg']}"
        for e in error.errors(include_url=False)
    )


def as_object(value: object) -> dict[str, Any] | None:
    """`value` as a JSON object (a dict), or `None` when it is something else."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else None


class Frozen(BaseModel):
    """Base of every value type: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Wire(Frozen):
    """A value type whose listed optional fields are left out of the JSON when they are `None`."""

    omit_if_none: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _drop_none(self, handler: SerializerFunctionWrapHandler) -> Any:
        data: Any = handler(self)
        obj = as_object(data)
        if obj is not None:
            for key in self.omit_if_none:
                if key in obj and obj[key] is None:
                    del obj[key]
        return data


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
    for item in cast(list[Any], raw):
        obj = as_object(item)
        if obj is not None and "type" in obj:
            tag: Any = obj["type"]
            cls = classes.get(tag) if isinstance(tag, str) else None
            if cls is None:
                expected = ", ".join(repr(t) for t in classes)
                raise ValueError(f"unknown {what} type {tag!r}; expected one of {expected}")
            items.append(cls.model_validate({k: v for k, v in obj.items() if k != "type"}))
        else:
            items.append(item)
    return items
