"""The import structure: no module imports from a layer above its own, and no two modules import each other
(directly or round a longer circle). Imports inside functions count too: a lazy import is still a
dependency. The layer order is docs/architecture.md's."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from paths import REPO

PACKAGE = REPO / "src" / "judgeforge"
# Top to bottom; a module may import from its own layer or any layer below.
LAYERS: list[set[str]] = [
    {"cli", "__main__"},
    {"toy"},
    {"train", "merge", "bench", "report", "serve", "data", "distributed", "leaderboard", "compat", "tools"},
    {"runner"},
    {"judge"},
    {"backends", "prompts", "parsing", "inputs"},
    {"records", "errors", "registry", "sampling", "lazy", "metrics", "columns"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> Iterator[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("judgeforge."):
                target = resolve(name)
                if target and target != module:
                    yield target


GRAPH = {module: set(imports(module)) for module in MODULES}


def layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:
        return None  # the package root: the public API, re-exporting from every layer
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    raise AssertionError(f"{module} is in no layer: add its room to LAYERS (and docs/architecture.md)")


def test_no_module_imports_from_a_layer_above() -> None:
    upward = []
    for module, targets in GRAPH.items():
        own = layer(module)
        for target in targets:
            above = layer(target)
            if own is not None and above is not None and above < own:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports from a layer above:\n" + "\n".join(sorted(upward))


def test_no_import_circles() -> None:
    circles = strongly_connected_components(GRAPH)
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in circles)


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); components of more than one module are circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return circles


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    """The walker itself: a made-up graph with a circle is caught."""
    assert strongly_connected_components({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["b", "a"]]
    assert layer("judgeforge.cli.main") == 0 and layer("judgeforge.records") == len(LAYERS) - 1
