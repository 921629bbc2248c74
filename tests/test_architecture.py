"""The import graph: no cycles between modules, and the packages stay in their layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("env", "baselines", "wireless_agent", "evals", "prompts", "memory_store")
# Who may import whom. The command line (wireless_agent.cli, its terminal helpers) sits on top of
# everything; below it env knows nothing else, and the agent knows no baseline or eval.
MAY_IMPORT = {
    "env": {"env"},
    "prompts": {"prompts"},
    "memory_store": {"memory_store"},
    "wireless_agent": {"wireless_agent", "env", "prompts", "memory_store"},
    "baselines": {"baselines", "env", "wireless_agent", "prompts", "memory_store"},
    "evals": set(PACKAGES),
}
ON_TOP = ("wireless_agent.cli", "wireless_agent.terminal")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Every project module and the project modules it imports (anywhere in its body)."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    anchor = name.split(".")
                    anchor = anchor if is_pkg else anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import sub` imports the module pkg.sub when there is one.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                           for a in node.names]
            edges |= {t for t in targets if t in files and t != name}
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_the_project(graph: dict[str, set[str]]) -> None:
    assert {"env.slicing_env", "wireless_agent.agent", "baselines.registry"} <= set(graph)
    assert "env.policy" in graph["wireless_agent.agent"]
    assert "env.campus" in graph["env.scenarios"]


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    toy = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(toy) == [["a", "b", "c"]]


def test_packages_import_only_their_layers(graph: dict[str, set[str]]) -> None:
    wrong = sorted(
        f"{mod} -> {dep}"
        for mod, deps in graph.items() if not mod.startswith(ON_TOP)
        for dep in deps if dep.split(".")[0] not in MAY_IMPORT[mod.split(".")[0]]
    )
    assert wrong == []
