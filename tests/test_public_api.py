"""The front door: `rig_nb.__all__` lists exactly the public names, sorted (httpx's habit)."""

import rig_nb
import rig_nb.core
import rig_nb.testing


def test_all_public_names_are_exported_and_sorted() -> None:
    public = [name for name in vars(rig_nb) if not name.startswith("_") or name == "__version__"]
    subpackages = {"batch", "core", "errors", "magics", "providers", "testing", "widgets"}
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
