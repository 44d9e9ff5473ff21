"""The shape of the code: packages import one way, and foundations import no feature.

A foundation (the database, the policy, the audit log, key protection, identity and
the small shared modules) is what every feature uses; if it imported a feature, a
change there could break sign-in or the audit log, and the two would have to be
understood together. Cycles between features do the same harm more quietly. Imports
inside functions count: deferring an import hides a dependency, it does not remove it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import jigsaw

SOURCE = Path(jigsaw.__file__).parent

BASE = frozenset(
    {
        "__init__",
        "clock",
        "config",
        "datafiles",
        "db",
        "errors",
        "events",
        "hardening",
        "methods",
        "schemas",
        "spreadsheet",
        "sql",
    }
)
"""Shared modules below everything: they import nothing of the service but each other."""

FOUNDATIONS = BASE | {"protection", "policy", "audit", "identity"}
"""What every feature may use and none may be used by."""

COMPOSITION = frozenset(
    {
        "app",
        "cli",
        "demo",
        "backup",
        "benchmark",
        "migrate",
        "models",
        "subscriptions",
        "migrations",
    }
)
"""Where the parts are put together: these may import anything, and nothing imports them
except each other."""


def _unit(path: Path) -> str:
    relative = path.relative_to(SOURCE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_units(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] != "jigsaw" or len(parts) < 2:
                continue
            if (SOURCE / parts[1]).is_dir() or (SOURCE / f"{parts[1]}.py").is_file():
                found.add(parts[1])
    return found


def import_graph() -> dict[str, dict[str, set[str]]]:
    """unit -> imported unit -> the files that import it (migrations left out: they are
    history, frozen as they were written)."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(SOURCE.rglob("*.py")):
        unit = _unit(path)
        if unit == "migrations":
            continue
        graph[unit]  # every unit is a node, importing or not
        for imported in _imported_units(path) - {unit}:
            graph[unit][imported].add(str(path.relative_to(SOURCE)))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Strongly connected groups of more than one unit (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for other in graph.get(unit, {}):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in on_stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return groups


def test_no_two_packages_depend_on_each_other() -> None:
    graph = import_graph()
    found = cycles(graph)
    detail = {
        " <-> ".join(group): sorted(
            f"{a} -> {b}: {', '.join(sorted(graph[a][b]))}"
            for a in group
            for b in group
            if b in graph[a]
        )
        for group in found
    }
    assert detail == {}


def test_foundations_import_no_feature() -> None:
    graph = import_graph()
    upward = sorted(
        f"{unit} -> {imported} ({', '.join(sorted(files))})"
        for unit in FOUNDATIONS
        for imported, files in graph.get(unit, {}).items()
        if imported not in FOUNDATIONS
    )
    assert upward == []


def test_the_shared_modules_import_only_each_other() -> None:
    graph = import_graph()
    upward = sorted(
        f"{unit} -> {imported}"
        for unit in BASE
        for imported in graph.get(unit, {})
        if imported not in BASE
    )
    assert upward == []


def test_nothing_imports_the_composition_root() -> None:
    graph = import_graph()
    inward = sorted(
        f"{unit} -> {imported}"
        for unit, imports in graph.items()
        if unit not in COMPOSITION
        for imported in imports
        if imported in COMPOSITION
    )
    assert inward == []


def test_every_unit_is_classified() -> None:
    """A new top-level module must be placed in the layers on purpose."""
    graph = import_graph()
    features = set(graph) - FOUNDATIONS - COMPOSITION
    assert all((SOURCE / unit).is_dir() for unit in features), sorted(
        unit for unit in features if not (SOURCE / unit).is_dir()
    )


def test_the_checks_find_what_they_look_for() -> None:
    """The graph code itself: a made-up cycle and an upward import are caught."""
    made_up: dict[str, dict[str, set[str]]] = {
        "a": {"b": {"a/x.py"}},
        "b": {"c": {"b/y.py"}},
        "c": {"a": {"c/z.py"}},
        "d": {},
    }
    assert cycles(made_up) == [["a", "b", "c"]]
    assert cycles({"a": {"b": {"x"}}, "b": {}}) == []
    real = import_graph()
    assert "sharing" in real["web"], "the graph sees the web package using sharing"
    assert "db" in real["audit"], "the graph sees the audit log using the database"
