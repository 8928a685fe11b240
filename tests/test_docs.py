"""The documentation covers the public API and every README section (scripts/docs builds it)."""

import re
from pathlib import Path

import rig_nb
import rig_nb.core
import rig_nb.errors
import rig_nb.magics
import rig_nb.providers
import rig_nb.testing
import rig_nb.widgets

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _documented() -> set[str]:
    """Every `::: identifier`, and the members listed under one (`- Name`)."""
    found: set[str] = set()
    for page in DOCS.rglob("*.md"):
        current = ""
        for line in page.read_text().splitlines():
            if match := re.match(r"::: ([\w.]+)", line):
                current = match.group(1)
                found.add(current)
            elif current and (member := re.match(r"\s+- (\w+)$", line)):
                found.add(f"{current}.{member.group(1)}")
    return found


def test_every_public_name_has_a_place_in_the_api_reference() -> None:
    documented = _documented()
    whole_modules = {"rig_nb.errors", "rig_nb.providers", "rig_nb.widgets", "rig_nb.magics"}
    whole_modules |= {"rig_nb.testing", "rig_nb.testing.http", "rig_nb.batch"}
    assert whole_modules <= documented
    missing = []
    for name in rig_nb.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(rig_nb, name)
        home = getattr(obj, "__module__", "rig_nb")
        places = {f"rig_nb.{name}", f"rig_nb.core.{name}"}
        if not places & documented and home not in whole_modules:
            if name not in rig_nb.errors.__all__:
                missing.append(f"rig_nb.{name}")
    for name in set(rig_nb.core.__all__) - set(rig_nb.__all__):
        if f"rig_nb.core.{name}" not in documented:
            missing.append(f"rig_nb.core.{name}")
    assert not missing, f"not in docs/reference/*.md: {sorted(missing)}"


def test_every_readme_section_is_a_page_of_the_site() -> None:
    readme = (ROOT / "README.md").read_text()
    sections = set(re.findall(r"<!-- --8<-- \[start:(\w+)\] -->", readme))
    assert sections == set(re.findall(r"<!-- --8<-- \[end:(\w+)\] -->", readme))
    included = {
        m
        for page in DOCS.rglob("*.md")
        for m in re.findall(r'--8<-- "README.md:(\w+)"', page.read_text())
    }
    assert sections == included
    assert "[docs/](docs/index.md)" in readme and "scripts/docs" in readme
