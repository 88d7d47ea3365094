"""The layout: the folders of pipeline/ are the stages, and data flows one way through them.

    load → validate → figures → export → render → mkdocs (build.py drives the chain)

Every import of every module is read with ``ast`` (lazy imports inside functions and imports for
type checking included: a part that names another depends on it), and three things fail:

- a part importing a later stage (order: core < validate < figures < export < render <
  build < serve < cli; contribute and demo are side parts that may use core and validate only,
  and only render and the drivers may use them);
- two parts importing each other (said in so many words, although the order implies it);
- any import cycle between modules, whatever their parts.

The checker is tested on small made-up packages too, so that it cannot pass by seeing nothing.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO

PACKAGE = REPO / "pipeline"
# part → the parts it may import. A part is a folder of pipeline/ or a driver module at its top.
STAGES = ["core", "validate", "figures", "export", "render", "build", "serve", "cli"]
ALLOWED: dict[str, set[str]] = {part: set(STAGES[:n]) for n, part in enumerate(STAGES)}
ALLOWED["contribute"] = {"core", "validate"}
ALLOWED["demo"] = {"core", "validate"}
for _later in ("render", "build", "serve", "cli"):
    ALLOWED[_later] |= {"contribute", "demo"}
ALLOWED["__main__"] = {"cli"}
ROOT = "pipeline"  # the package's own __init__ (its version): anyone may import it, it imports nothing
# Cycles whose removal another branch owns (issue #16, "hygiene": a module both share). Listed here
# so that this test guards everything else meanwhile; delete the entry once that branch is merged.
KNOWN_CYCLES: list[set[str]] = []  # none: validate/fast and structural share validate/translate.py


def modules(package: Path) -> dict[str, Path]:
    """Dotted module name → its file, for every module of ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> dict[str, int]:
    """The modules of the package ``name`` imports (→ the line of the first such import).

    ``from a.b import c`` names the module a.b.c when it is one, else a.b; relative imports are
    resolved from the module's own package. Importing a module also runs its packages' __init__
    files, but those edges are Python's, not the code's, and are not counted."""
    is_package = path.name == "__init__.py"
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found.setdefault(target, node.lineno)
    return found


def graph(package: Path) -> dict[str, dict[str, int]]:
    known = modules(package)
    return {name: imports(name, path, known) for name, path in known.items()}


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def turns_back(edges: dict[str, dict[str, int]], allowed: dict[str, set[str]]) -> list[str]:
    """Every import from one part into a part it may not use, as ``module:line → module``."""
    problems = []
    for module, targets in sorted(edges.items()):
        source = part_of(module)
        for target, line in sorted(targets.items()):
            into = part_of(target)
            if into == source or into == ROOT and source != ROOT:
                continue
            if source not in allowed:
                problems.append(f"{module}: part {source!r} is not in the layout (add it to ALLOWED)")
            elif into not in allowed[source]:
                problems.append(f"{module}:{line} → {target} ({source} may import only {sorted(allowed[source])})")
    return problems


def mutual(edges: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    """Pairs of parts each importing the other."""
    pairs = {(part_of(m), part_of(t)) for m, targets in edges.items() for t in targets if part_of(m) != part_of(t)}
    return sorted((a, b) for a, b in pairs if a < b and (b, a) in pairs)


def cycles(edges: dict[str, dict[str, int]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, {})))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(group)
    return found


# --- the package -----------------------------------------------------------------------------------

def test_the_flow_turns_back_on_itself():
    """No part imports a later stage: export never imports render or the build driver, render never runs
    the export, figures never import render, contribute and demo never use export or render."""
    assert turns_back(graph(PACKAGE), ALLOWED) == []


def test_two_parts_import_each_other():
    assert mutual(graph(PACKAGE)) == []


def test_an_import_cycle_between_modules():
    found = [sorted(group) for group in cycles(graph(PACKAGE)) if group not in KNOWN_CYCLES]
    assert found == []


def test_every_module_belongs_to_a_part_of_the_layout():
    parts = {part_of(name) for name in modules(PACKAGE)}
    assert parts - {ROOT} <= set(ALLOWED), sorted(parts - {ROOT} - set(ALLOWED))
    assert graph(PACKAGE)[ROOT] == {}, "pipeline/__init__.py imports nothing of its own package"


def test_the_export_writes_no_page_and_render_reads_its_manifest():
    edges = graph(PACKAGE)
    assert not [t for m, ts in edges.items() if part_of(m) == "export" for t in ts if part_of(t) in ("render", "build")]
    assert "pipeline.export.manifest" in edges["pipeline.render.downloads_pages"]
    assert not any(m.startswith("pipeline.export.") for m in edges["pipeline.render.downloads"])


# --- the checker, on made-up packages: it sees what it must ---------------------------------------

def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pipeline"
    for rel, text in {"__init__.py": "", **files}.items():
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text, encoding="utf-8")
    return package


def test_the_checker_sees_a_lazy_import_turning_back(tmp_path):
    package = write_package(tmp_path, {
        "export/__init__.py": "",
        "export/downloads.py": "def publish():\n    from pipeline.render.pages import described\n",
        "render/__init__.py": "",
        "render/pages.py": "from pipeline.export import downloads\n",
    })
    edges = graph(package)
    assert turns_back(edges, ALLOWED) == [
        "pipeline.export.downloads:2 → pipeline.render.pages (export may import only ['core', 'figures', 'validate'])"]
    assert mutual(edges) == [("export", "render")]
    assert cycles(edges) == [{"pipeline.export.downloads", "pipeline.render.pages"}]


def test_the_checker_sees_relative_and_type_checking_imports(tmp_path):
    package = write_package(tmp_path, {
        "core/__init__.py": "",
        "core/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..figures import m\n",
        "figures/__init__.py": "",
        "figures/m.py": "from . import n\n",
        "figures/n.py": "from .m import x\n",
        "tools.py": "import os\n",
    })
    edges = graph(package)
    assert edges["pipeline.core.a"] == {"pipeline.figures.m": 3}
    assert edges["pipeline.figures.n"] == {"pipeline.figures.m": 1}
    assert turns_back(edges, ALLOWED) == [
        "pipeline.core.a:3 → pipeline.figures.m (core may import only [])"]
    assert cycles(edges) == [{"pipeline.figures.m", "pipeline.figures.n"}]
    assert part_of("pipeline.tools") not in ALLOWED


@settings(max_examples=300, deadline=None)
@given(st.sets(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=14))
def test_the_checker_finds_a_cycle_exactly_when_there_is_one(pairs):
    edges: dict[str, dict[str, int]] = {f"m{n}": {} for n in range(7)}
    for a, b in pairs:
        if a != b:
            edges[f"m{a}"][f"m{b}"] = 1
    sorter = graphlib.TopologicalSorter({m: set(ts) for m, ts in edges.items()})
    try:
        sorter.prepare()
        has_cycle = False
    except graphlib.CycleError:
        has_cycle = True
    found = cycles(edges)
    assert bool(found) == has_cycle
    for group in found:  # each group is really circular: every member reaches every other
        for member in group:
            reach, todo = set(), [member]
            while todo:
                for nxt in edges[todo.pop()]:
                    if nxt not in reach:
                        reach.add(nxt)
                        todo.append(nxt)
            assert group <= reach
