"""Imports between the project's modules form no circle.

Every module under assistant/, index/ and eval/ is parsed (ast, not imported): its imports at module level, in
functions and under `if TYPE_CHECKING:` alike. `import a.b` and `from a import b` point at the module `a.b`
when there is one, else `from a import b` points at `a` (a module, or a package's `__init__.py`). A cycle in
that graph fails the test, each one listed as `a -> b -> a`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from .conftest import REPO

PACKAGES = ("assistant", "index", "eval")


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted name -> file of every module of `packages` under `root` (a package is named by its folder)."""
    out: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of a relative import `from .name import ...` made in `module`."""
    if level == 0:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that `module` (at `path`) imports anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name  # `import a.b.c`: the deepest project module named
                while name and name not in known:
                    name = name.rpartition(".")[0]
                if name:
                    out.add(name)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:  # `from pkg import module`
                    out.add(f"{base}.{alias.name}")
                elif base in known:  # `from module import name`, or a name of a package's __init__
                    out.add(base)
    out.discard(module)
    return out


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    modules = project_modules(root, packages)
    known = set(modules)
    return {m: imports_of(m, p, known) for m, p in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module, as a closed path `[a, b, a]` (a
    shortest one from the component's first module; `components` lists every module of each)."""
    return [_path_within(graph, set(c), c[0]) for c in components(graph)]


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, each sorted (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph has ~150 nodes, recursion depth is no concern
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
    return sorted(found)


def _path_within(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    """A shortest closed path from `start` back to itself inside one strongly connected component."""
    previous: dict[str, str] = {start: start}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{start} is on no cycle")  # cannot happen inside a component


def test_no_import_cycle_between_project_modules() -> None:
    graph = import_graph(REPO)
    assert len(graph) > 80 and "index.pipeline" in graph and graph["index.pipeline"]
    found = [
        f"{' -> '.join(path)}  (modules on a circle: {', '.join(c)})"
        for path, c in zip(cycles(graph), components(graph), strict=True)
    ]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_graph_sees_function_level_relative_and_package_imports(tmp_path: Path) -> None:
    """The checker itself, on a small package: it must find what the real test relies on it to find."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.low import VALUE\n", encoding="utf-8")
    (pkg / "low.py").write_text("VALUE = 1\n", encoding="utf-8")
    (pkg / "high.py").write_text("def f():\n    from pkg.sub import mid\n    return mid\n", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "mid.py").write_text("from .. import high\nfrom pkg import VALUE\n", encoding="utf-8")
    (pkg / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.sub.mid as m\n", encoding="utf-8"
    )
    graph = import_graph(tmp_path, ["pkg"])
    assert graph == {
        "pkg": {"pkg.low"},
        "pkg.low": set(),
        "pkg.high": {"pkg.sub.mid"},
        "pkg.sub": set(),
        "pkg.sub.mid": {"pkg.high", "pkg"},
        "pkg.typed": {"pkg.sub.mid"},
    }
    assert cycles(graph) == [["pkg.high", "pkg.sub.mid", "pkg.high"]]
    graph["pkg.low"].add("pkg.sub.mid")  # pkg -> low -> mid -> pkg joins the component
    assert cycles(graph) == [["pkg", "pkg.low", "pkg.sub.mid", "pkg"]]
