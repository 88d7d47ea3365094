"""Modules of validate/ and core/ import one another one way only: no import circle, not even one
hidden inside a function (pipeline/validate/translate.py is what fast.py and structural.py share)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("pipeline.core", "pipeline.validate")


def module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package modules it imports anywhere in its text (``from P import m`` names module P.m)."""
    paths = {module_name(p, root): p for p in (root / "pipeline").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                found.update(n for n in names if n in paths)
                if not any(n in paths for n in names):
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def circles(graph: dict[str, set[str]], within: tuple[str, ...]) -> list[list[str]]:
    """Every import circle among the modules under ``within``, each as the path that closes it."""
    nodes = {m for m in graph if m.startswith(within)}
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph[path[-1]] & nodes):
            if nxt in path:
                circle = path[path.index(nxt):] + [nxt]
                if frozenset(circle) not in seen:
                    seen.add(frozenset(circle))
                    found.append(circle)
            else:
                walk(path + [nxt])

    for start in sorted(nodes):
        walk([start])
    return found


def test_import_circle_between_validate_modules():
    assert circles(import_graph(ROOT), CHECKED) == []


def test_a_circle_hidden_in_a_function_is_found(tmp_path):
    package = tmp_path / "pipeline" / "validate"
    package.mkdir(parents=True)
    (tmp_path / "pipeline" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "fast.py").write_text("from pipeline.validate.structural import translate\n")
    (package / "structural.py").write_text("def run():\n    from pipeline.validate.fast import check\n")
    (package / "files.py").write_text("from pipeline.validate import fast\n")
    assert circles(import_graph(tmp_path), CHECKED) == [
        ["pipeline.validate.fast", "pipeline.validate.structural", "pipeline.validate.fast"]]
