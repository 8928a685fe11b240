"""Conventions as tests: module size, import hygiene, the banned nest_asyncio."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rig_nb"
SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= 400, f"{path.name} has {lines} lines; split it"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_no_notebook_or_http_library(path: Path) -> None:
    assert not _imports(path) & {"IPython", "ipywidgets", "anywidget", "ipykernel", "httpx"}


def test_nest_asyncio_is_never_used() -> None:
    for path in SOURCES:
        assert "nest_asyncio" not in _imports(path), path


def test_import_rig_nb_stays_light() -> None:
    code = (
        "import sys, rig_nb, rig_nb.testing;"
        "heavy = {'IPython', 'ipywidgets', 'anywidget', 'ipykernel', 'httpx'};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
