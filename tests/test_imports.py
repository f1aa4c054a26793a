"""The package's import graph: no cycles, and the layers import only in the allowed directions.

Every `import` statement counts, module-level or inside a function: a deferred import is
still a dependency. A registry that loads its plugins by name (format packages, source
readers) is not an edge: the plugin depends on the registry's interface, the registry only
names it. Graphs are read from the source with `ast`, so nothing is imported here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exporter"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules one module imports (a `from . import x` names submodule x if it exists)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                      for alias in node.names}
    return {m for m in found if m in known and m != name}


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


EDGES = graph()


def test_the_package_has_no_import_cycle():
    assert cycle(EDGES) is None, " -> ".join(cycle(EDGES) or [])


def test_the_model_imports_only_its_inline_sanitiser_and_its_errors():
    assert reachable(EDGES, "exporter.model") <= {"exporter.inline", "exporter.errors"}


@pytest.mark.parametrize("layer, forbidden", [("exporter.sources", "exporter.backends"),
                                              ("exporter.backends", "exporter.sources")])
def test_sources_and_backends_never_import_each_other(layer, forbidden):
    """Directly or through another module: a backend reads only the model and its assets."""
    for module in (m for m in EDGES if in_layer(m, layer)):
        wrong = sorted(m for m in reachable(EDGES, module) if in_layer(m, forbidden))
        assert not wrong, f"{module} reaches {wrong}"


def test_every_format_is_one_package_and_no_format_module_sits_at_the_top():
    from exporter.backends import BACKENDS

    for name, package in BACKENDS.items():
        assert (PACKAGE / "backends" / name / "__init__.py").is_file(), package
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert not {m for m in top if m.startswith(("check_", "pdf_", "epub_", "email_"))}


def test_the_walk_finds_a_cycle_and_a_forbidden_direction(tmp_path):
    """The checks above can fail: a made-up package with both faults is caught."""
    (tmp_path / "exporter" / "sources").mkdir(parents=True)
    (tmp_path / "exporter" / "backends").mkdir()
    (tmp_path / "exporter" / "__init__.py").write_text("")
    (tmp_path / "exporter" / "a.py").write_text("from . import b\n")
    (tmp_path / "exporter" / "b.py").write_text("def f():\n    from .a import x\n")
    (tmp_path / "exporter" / "sources" / "__init__.py").write_text("")
    (tmp_path / "exporter" / "sources" / "s.py").write_text("from ..a import y\n")
    (tmp_path / "exporter" / "backends" / "__init__.py").write_text("from ..sources import s\n")
    edges = graph(tmp_path / "exporter")
    assert cycle(edges) == ["exporter.a", "exporter.b", "exporter.a"]
    assert "exporter.sources.s" in reachable(edges, "exporter.backends")


def test_the_cli_uses_only_the_public_api():
    """`exporter/__init__.py` is what a CMS would use; the command is built on it alone
    (plus its own progress display)."""
    assert EDGES["exporter.cli"] <= {"exporter", "exporter.progress"}
