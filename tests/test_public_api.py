"""The front door: what each public namespace exports, with its signatures, is pinned.

`tests/public_api.txt` holds every public name of rig_nb's public namespaces and the signature of
every public function, class and method. Changing the API is then a deliberate act: regenerate
the file with `python -m tests.test_public_api` and commit it with the change.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pickle
import re
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType

import pydantic
import pytest

import rig_nb
import rig_nb.core
import rig_nb.testing

NAMESPACES = (
    "rig_nb",
    "rig_nb.core",
    "rig_nb.errors",
    "rig_nb.kernel",
    "rig_nb.providers",
    "rig_nb.widgets",
    "rig_nb.magics",
    "rig_nb.mcp",
    "rig_nb.batch",
    "rig_nb.testing",
    "rig_nb.testing.http",
)
SNAPSHOT = Path(__file__).with_name("public_api.txt")
UPDATE = "python -m tests.test_public_api"
# Dunders that are part of a class's behaviour, beside its public names.
PROTOCOL_DUNDERS = ("__aenter__", "__aexit__", "__aiter__", "__anext__", "__await__", "__call__")


def test_all_public_names_are_exported_and_sorted() -> None:
    public = [name for name in dir(rig_nb) if not name.startswith("_") or name == "__version__"]
    subpackages = {
        "batch",
        "core",
        "errors",
        "kernel",
        "magics",
        "mcp",
        "providers",
        "testing",
        "widgets",
    }
    public = [n for n in public if n not in subpackages]
    assert rig_nb.__all__ == sorted(public, key=str.casefold)


def test_core_and_testing_all_resolve() -> None:
    for module in (rig_nb.core, rig_nb.testing):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
        assert module.__all__ == sorted(module.__all__, key=str.casefold)


def test_every_error_is_exported() -> None:
    import rig_nb.errors

    assert set(rig_nb.errors.__all__) <= set(rig_nb.__all__)


def _namespaces() -> list[ModuleType]:
    return [importlib.import_module(name) for name in NAMESPACES]


def _exports() -> list[tuple[str, str, object]]:
    return [(m.__name__, n, getattr(m, n)) for m in _namespaces() for n in m.__all__]


def test_every_namespace_exports_what_it_lists_sorted_and_nothing_private() -> None:
    for module in _namespaces():
        names = [n for n in module.__all__ if n != "__version__"]
        assert names == sorted(names, key=str.casefold), module.__name__
        for name in names:
            assert not name.startswith("_") and hasattr(module, name), (module.__name__, name)


def test_public_classes_name_their_public_path_and_pickle_by_it() -> None:
    for namespace, name, obj in _exports():
        if not isinstance(obj, type) or not obj.__module__.startswith("rig_nb"):
            continue
        path = obj.__module__.split(".")
        assert not any(part.startswith("_") for part in path), f"{namespace}.{name}: {path}"
        assert obj.__module__ in NAMESPACES, f"{namespace}.{name} lives in {obj.__module__}"
        assert getattr(sys.modules[obj.__module__], obj.__qualname__) is obj
        assert pickle.loads(pickle.dumps(obj)) is obj


def test_published_classes_keep_resolvable_annotations_and_pydantic_schemas() -> None:
    own_packages = {"rig_nb", "builtins", "pydantic", "typing", "abc"}
    for namespace, name, obj in _exports():
        if not isinstance(obj, type) or not obj.__module__.startswith("rig_nb"):
            continue
        if all(base.__module__.split(".")[0] in own_packages for base in obj.__mro__):
            typing.get_type_hints(obj)  # names resolve although `__module__` changed
        if issubclass(obj, pydantic.BaseModel):
            assert obj.__pydantic_complete__, f"{namespace}.{name}"
            obj.model_json_schema()
    # A dataclass of rig_nb inside a pydantic model or TypeAdapter still validates.
    adapter = pydantic.TypeAdapter(rig_nb.CompletionRequest)
    request = adapter.validate_python({"chat_history": [rig_nb.Message.user("hi")]})
    assert request.prompt == rig_nb.Message.user("hi")


def test_lazy_names_are_listed_and_load_their_package() -> None:
    code = (
        "import sys, rig_nb;"
        "lazy = ['AgentView', 'OpenAIChatModel', 'HttpSettings'];"
        "assert all(n in dir(rig_nb) and n in rig_nb.__all__ for n in lazy);"
        "assert 'httpx' not in sys.modules and 'ipywidgets' not in sys.modules;"
        "import rig_nb.providers, rig_nb.widgets;"
        "assert rig_nb.OpenAIChatModel is rig_nb.providers.OpenAIChatModel;"
        "assert rig_nb.AgentView is rig_nb.widgets.AgentView;"
        "print(rig_nb.OpenAIChatModel.__module__, rig_nb.AgentView.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["rig_nb.providers", "rig_nb.widgets"]
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        rig_nb.Nope  # noqa: B018


def test_former_core_internals_still_import_but_are_not_listed() -> None:
    from rig_nb.core import (  # noqa: F401
        StreamingCompletionResponse,
        merge_reasoning_blocks,
        value_to_json_string,
    )

    for name in ("StreamingCompletionResponse", "merge_reasoning_blocks", "value_to_json_string"):
        assert name not in rig_nb.core.__all__ and name not in dir(rig_nb.core)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        rig_nb.core.Nope  # noqa: B018


# -- the snapshot -------------------------------------------------------------------------------


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "(...)"


def _members(cls: type) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for owner in cls.__mro__:
        if not owner.__module__.startswith("rig_nb"):
            continue
        for name, value in vars(owner).items():
            public = not name.startswith("_") or name in PROTOCOL_DUNDERS
            fields = {*getattr(cls, "__dataclass_fields__", ()), *getattr(cls, "model_fields", ())}
            pydantic_own = issubclass(cls, pydantic.BaseModel) and name.startswith("model_")
            if not public or name in seen or name in fields or pydantic_own:
                continue
            seen.add(name)
            if isinstance(value, property):
                lines.append(f"    {name}: property{_returns(value.fget)}")
            elif isinstance(value, staticmethod | classmethod):
                kind = type(value).__name__
                lines.append(f"    {name}{_signature(value.__func__)}  [{kind}]")
            elif inspect.isfunction(value):
                lines.append(f"    {name}{_signature(value)}")
            elif not callable(value):
                lines.append(f"    {name}: {type(value).__name__}")
    return sorted(lines)


def _returns(fget: object) -> str:
    annotation = inspect.signature(fget).return_annotation  # type: ignore[arg-type]
    return "" if annotation is inspect.Signature.empty else f" -> {annotation}"


def _public_base(base: type) -> str:
    """A base by its public path; a private base (`_wire.Frozen`) by its first public ancestor."""
    for cls in base.__mro__:
        path = f"{cls.__module__}.{cls.__qualname__}"
        if not any(part.startswith("_") for part in path.split(".")):
            return path
    return "builtins.object"


def _describe(name: str, obj: object) -> list[str]:
    if isinstance(obj, type):
        bases = ", ".join(_public_base(b) for b in obj.__bases__)
        init = _signature(obj)
        return [f"class {name}({bases})", f"    {init}", *_members(obj)]
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return [f"def {name}{_signature(obj)}"]
    if isinstance(obj, str):
        return [f"{name}: str"]
    return [f"{name} = {obj!r}"]


def surface() -> str:
    """Every public name of every public namespace; each object described once, where it lives.

    A class lives in its `__module__`; anything else where it is first exported. Elsewhere a
    line says where: `Agent = rig_nb.Agent`.
    """
    exports = _exports()
    home: dict[int, str] = {}
    for namespace, name, obj in exports:
        if isinstance(obj, type) and obj.__module__ in NAMESPACES:
            home[id(obj)] = f"{obj.__module__}.{obj.__qualname__}"
        else:
            home.setdefault(id(obj), f"{namespace}.{name}")
    lines: list[str] = []
    for module in _namespaces():
        lines.append(f"## {module.__name__}")
        for name in module.__all__:
            obj = getattr(module, name)
            if name == "__version__":
                lines.append("__version__: str")
            elif home[id(obj)] != f"{module.__name__}.{name}":
                lines.append(f"{name} = {home[id(obj)]}")
            else:
                lines += _describe(name, obj)
        lines.append("")
    return re.sub(r" at 0x[0-9a-f]+", "", "\n".join(lines))  # function reprs in type aliases


def test_the_public_surface_is_the_snapshot() -> None:
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    actual = surface()
    if actual != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), actual.splitlines(), "public_api.txt", "now", lineterm=""
            )
        )
        pytest.fail(
            "rig_nb's public API changed (names or signatures). If that is deliberate, run\n"
            f"    {UPDATE}\nand commit tests/public_api.txt with the change. The difference:\n"
            f"{diff}",
            pytrace=False,
        )


if __name__ == "__main__":
    SNAPSHOT.write_text(surface())
    print(f"wrote {SNAPSHOT}")
