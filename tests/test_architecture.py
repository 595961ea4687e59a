"""The package's structure, read from the source: one sub-package per stage, no import cycles, and
the core never importing an interface.

Every import statement of every module counts, wherever it stands (module level, inside a
function, under ``if TYPE_CHECKING``), so a late import cannot hide a cycle. Importing
``assistant.a.b`` also runs ``assistant/a/__init__.py``, so each import is an edge to the module
and to the packages above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import ROOT

PACKAGE = ROOT / "assistant"
INTERFACES = ("assistant.cli", "assistant.ui", "assistant.api", "assistant.__main__")
STAGES = (
    "text",
    "ingest",
    "index",
    "retrieval",
    "answering",
    "llms",
    "library",
    "evaluation",
    "integrations",
    "cli",
    "ui",
)


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` of the package (``__init__`` names its package)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(tree: ast.AST, package: str) -> set[str]:
    """Every dotted name an import statement anywhere in ``tree`` refers to (``package``: the
    module's own package, for relative imports)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package modules it imports (each with the packages above it)."""
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for dotted in imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path)), package):
            parts = dotted.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if prefix in files:
                    targets.add(prefix)
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def is_interface(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in INTERFACES)


def core_to_interface(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(core module, interface module) pairs where the core imports an interface."""
    return sorted((m, t) for m, targets in graph.items() if not is_interface(m) for t in targets if is_interface(t))


GRAPH = import_graph(module_files())


def test_every_import_statement_is_read():
    assert "assistant.cli.index" in GRAPH["assistant.cli.app"]  # module level
    assert "assistant.index.sync" in GRAPH["assistant.cli.index"]  # inside a command function (lazy for --help)
    assert "assistant.index" in GRAPH["assistant.cli.index"]  # the package above the module
    assert "assistant.service" in GRAPH["assistant.ui.context"]


def test_one_sub_package_per_stage():
    files = module_files()
    packages = {name.split(".")[1] for name, path in files.items() if path.name == "__init__.py" and "." in name}
    assert set(STAGES) <= packages


def test_no_import_cycles():
    cycles = find_cycles(GRAPH)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_core_never_imports_an_interface():
    assert not core_to_interface(GRAPH)


def test_the_checks_catch_what_they_look_for():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    graph = {"assistant.index.sync": {"assistant.cli.common"}, "assistant.cli.app": {"assistant.service"}}
    assert core_to_interface(graph) == [("assistant.index.sync", "assistant.cli.common")]


def test_relative_imports_resolve_against_their_package(tmp_path):
    (tmp_path / "assistant" / "sub").mkdir(parents=True)
    (tmp_path / "assistant" / "__init__.py").write_text("")
    (tmp_path / "assistant" / "sub" / "__init__.py").write_text("")
    (tmp_path / "assistant" / "sub" / "a.py").write_text("def f():\n    from . import b\n    from ..cli import app\n")
    (tmp_path / "assistant" / "sub" / "b.py").write_text("from .a import f\n")
    (tmp_path / "assistant" / "cli").mkdir()
    (tmp_path / "assistant" / "cli" / "__init__.py").write_text("")
    (tmp_path / "assistant" / "cli" / "app.py").write_text("")
    graph = import_graph(module_files(tmp_path / "assistant"))
    assert {"assistant.sub.b", "assistant.cli.app"} <= graph["assistant.sub.a"]
    assert find_cycles(graph) == [["assistant.sub.a", "assistant.sub.b"]]
    assert ("assistant.sub.a", "assistant.cli.app") in core_to_interface(graph)
