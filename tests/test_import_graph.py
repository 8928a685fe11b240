"""The import graph has no cycles, TYPE_CHECKING and function-level imports included.

`lint-imports` (pyproject's contracts, run by scripts/test) checks the layers; this test makes
plain pytest fail on a cycle too.
"""

from collections.abc import Iterator

import grimp
import pytest


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(module: str) -> Iterator[list[str]]:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if imported not in index:
                yield from visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1 or module in graph.find_modules_directly_imported_by(module):
                yield sorted(component)

    for module in sorted(modules):
        if module not in index:
            yield from visit(module)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("rig_nb", exclude_type_checking_imports=False)


def test_no_module_of_rig_nb_is_part_of_an_import_cycle(graph: grimp.ImportGraph) -> None:
    modules = {m for m in graph.modules if m == "rig_nb" or m.startswith("rig_nb.")}
    cycles = list(_cycles(graph, modules))
    details = "\n".join(
        " <-> ".join(cycle)
        + "".join(
            f"\n    {a} -> {b} (line {line['line_number']})"
            for a in cycle
            for b in sorted(graph.find_modules_directly_imported_by(a) & set(cycle))
            for line in graph.get_import_details(importer=a, imported=b)[:1]
        )
        for cycle in cycles
    )
    assert not cycles, f"import cycles (break each with a protocol or a lower module):\n{details}"


def test_the_cycle_finder_finds_cycles() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "e")]:
        graph.add_import(importer=importer, imported=imported)
    assert list(_cycles(graph, {"a", "b", "c", "d", "e"})) == [["a", "b", "c"], ["e"]]


def test_nothing_imports_the_package_root(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_that_directly_import("rig_nb") == set()
