"""The house stays acyclic: no module and no package imports itself back, counting every import.

Imports inside functions and under ``TYPE_CHECKING`` count as much as those at the top: a cycle that
only exists at run time inside a function is still two packages that cannot be understood apart.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

Graph = dict[str, set[str]]

SOURCE = Path(__file__).resolve().parents[1] / "src"
LAYERS = (
    ("kit",),
    ("errors",),
    ("config", "database", "terminal", "settings", "mail", "backup"),
    ("crm",),
    ("audit",),
    ("access",),
    ("sso",),
    ("scoring", "outreach", "referrals", "ingest", "reports", "privacy", "census"),
    ("capture", "portal", "connect", "readiness", "outbox", "notices"),
    (
        "api",
        "web",
        "jobs",
        "demo",
        "evaluate",
        "evaluate_log",
        "evaluate_paths",
        "cli",
        "cli_examples",
        "urls",
        "wsgi",
        "__main__",
    ),
)
"""Lowest first: a package imports only from its own layer or the layers below (checked below)."""


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SOURCE / "referly").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(path: Path, name: str, known: Mapping[str, Path]) -> Iterator[str]:
    """Every referly module ``path`` imports anywhere in its body, as the module that defines it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        for target in targets:
            while target and target not in known:  # `from a.b import c` names a module or a name in a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph() -> Graph:
    """Each referly module and the referly modules it imports."""
    known = modules()
    return {name: set(imported(path, name, known)) for name, path in known.items()}


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def packages(modules_graph: Graph) -> Graph:
    """The package graph: an edge where a module of one package imports a module of another."""
    edges: Graph = {}
    for source, targets in modules_graph.items():
        edges.setdefault(package(source), set())
        edges[package(source)] |= {package(t) for t in targets if package(t) != package(source)}
    return edges


def cycle(edges: Graph) -> list[str]:
    """One cycle of ``edges`` (the first node repeated at its end), or [] when there is none."""
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return []


def test_the_graph_sees_imports_inside_functions_and_relative_ones() -> None:
    edges = graph()
    assert "referly.ingest.import_commands" in edges["referly.cli"]  # imported inside _register()
    assert "referly.api.auth" in edges["referly.api.main"]
    assert len(edges) > 150 and sum(len(t) for t in edges.values()) > 500


def test_a_cycle_is_found_with_its_path() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) in (
        ["a", "c", "b", "a"],
        ["b", "a", "c", "b"],
        ["c", "b", "a", "c"],
    )
    assert cycle({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back() -> None:
    assert cycle(graph()) == []


def test_no_package_imports_itself_back() -> None:
    assert cycle(packages(graph())) == []


@pytest.mark.parametrize("layer", range(len(LAYERS)))
def test_each_layer_imports_only_itself_and_the_layers_below(layer: int) -> None:
    allowed = {name for names in LAYERS[: layer + 1] for name in names}
    mine = set(LAYERS[layer])
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in graph().items()
        for target in targets
        if package(source) in mine and package(target) and package(target) not in allowed
    )
    assert wrong == []


def test_every_package_has_a_layer() -> None:
    placed = {name for names in LAYERS for name in names}
    assert {package(name) for name in modules() if package(name)} <= placed
