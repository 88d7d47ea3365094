"""render/ only arranges and formats: every figure comes from pipeline/figures/ (datasette's rule: views
compute, templates only format).

An AST check over every module under pipeline/render/ for the four ways a figure gets computed:
  aggregate   a pandas/numpy aggregation (.sum(), .mean(), .median(), .value_counts(), .groupby() …) or a
              collections.Counter tally
  metric      a figure made by hand: Metric(…), rate(…), count(…) or wilson_interval(…), or importing
              the metric module's rate/count helpers
  divide      a true division of two values that are not both layout (``a / b``)
  predicate   an ordering test of a column: ``frame["x"] <= frame["y"]``, ``frame["x"] < as_of``,
              ``frame["rating"] >= 3``
The few layout computations that match (SVG geometry, shard and chunk sizing, a path join) are listed in
ALLOWED with their reason, and each allowance must still match something. The checker is itself tested
on the code render/ used to hold (the home trend, the grouped issue figures), so it cannot pass by
finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pipeline

RENDER = Path(pipeline.__file__).parent / "render"
AGGREGATIONS = {"sum", "mean", "median", "value_counts", "nunique", "groupby", "agg", "aggregate", "quantile",
                "std", "var", "idxmax", "idxmin", "bincount", "average", "count_nonzero", "pivot_table", "crosstab"}
MAKERS = {"Metric", "rate", "wilson_interval", "_plain", "issue_totals"}
HELPERS = {"rate", "count", "_plain"}  # the metric module's helpers that make a figure

# (module, rule, the expression's source or "*" for the whole module) → why it is layout, not a figure.
ALLOWED = {
    ("charts.py", "divide", "*"): "SVG geometry: bar widths and tick positions in pixels",
    ("excel_templates.py", "divide", "len(content) / 1024"): "a download's size in KB for its label",
    ("home.py", "divide", "ledger.package.root / MANIFEST"): "a path join",
    ("outside.py", "divide", "sources / candidate"): "a path join: the hand-written source of a page",
    ("issues_lookup.py", "aggregate", "sizes.sum()"): "shard sizing: bytes of the JSON documents",
    ("issues_lookup.py", "divide", "int(sizes.sum()) / SHARD_TARGET"): "shard sizing: bytes per shard",
    ("issues_lookup.py", "aggregate",
     "np.bincount((hashes % count).astype(np.intp), weights=sizes, minlength=count)"): "shard sizing: bytes per shard",
    ("issues_lookup.py", "aggregate", "np.bincount(shard, minlength=self.count)"): "shard offsets: records per shard",
    ("items_catalogue.py", "aggregate", "*"): "the catalogue filter's options: how many listed records each offers",
    ("issues_search.py", "divide", "self.total / ROWS_PER_CHUNK"): "chunk sizing: list records per file",
    ("issues_search.py", "aggregate", "self.ledger.issues['id'].nunique(dropna=True)"):
        "the index's size (the records it lists, one per id: len(search_order)) for its page, without ordering them",
    ("issues_search.py", "divide", "grams.pairs / PASS_PAIRS"): "index build passes bounded in memory",
    ("issues_search_grams.py", "aggregate", "np.count_nonzero(cps == 10)"):
        "the search index: a block's texts, counted by their separators to check the cut",
    ("issues_search_grams.py", "aggregate", "np.bincount(cps)"): "the search index: a block's distinct characters",
    ("issues_search.py", "divide", "size / BUCKET_TARGET"): "bucket sizing: bytes per posting file",
}


def _is_column(node: ast.AST) -> bool:
    """``frame["column"]``: a subscript by a string constant."""
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)


def _name(func: ast.AST) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def computations(source: str) -> list[tuple[str, str]]:
    """(rule, expression source) of every computation found in ``source``, in source order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if (isinstance(node.func, ast.Attribute) and name in AGGREGATIONS) or name == "Counter":
                found.append((node.lineno, "aggregate", ast.unparse(node)))
            elif name in MAKERS:
                found.append((node.lineno, "metric", ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline.figures"):
            for alias in node.names:
                if alias.name in HELPERS:
                    found.append((node.lineno, "metric", f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant)):
                found.append((node.lineno, "divide", ast.unparse(node)))
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops):
            sides = [node.left, *node.comparators]
            if any(_is_column(s) for s in sides):
                found.append((node.lineno, "predicate", ast.unparse(node)))
    return [(rule, text) for _, rule, text in sorted(found)]


def _allowed(module: str, rule: str, text: str) -> tuple | None:
    for key in ((module, rule, text), (module, rule, "*")):
        if key in ALLOWED:
            return key
    return None


def test_render_computes_a_figure():
    modules = sorted(RENDER.rglob("*.py"))
    assert len(modules) > 20  # every section module is read
    found, used = [], set()
    for path in modules:
        module = path.relative_to(RENDER).as_posix()
        for rule, text in computations(path.read_text(encoding="utf-8")):
            key = _allowed(module, rule, text)
            if key is None:
                found.append(f"{module}: {rule}: {text}")
            else:
                used.add(key)
    assert found == [], "render/ computes figures; move them to pipeline/figures/:\n" + "\n".join(found)
    assert set(ALLOWED) - used == set(), "allowances that no longer match anything: remove them"


# What render/ held before the figures moved to pipeline/figures/ (render/home.py and
# render/issues_groups.py): the checker must find each of them.
HOME_TREND = '''
def monthly_counts(ledger):
    issues = ledger.issues
    raised = year_month(issues["raised_on"]).value_counts()
    resolved = year_month(issues.loc[issues["done"], "resolved_on"]).value_counts()
    busiest = table.loc[table["raised"].idxmax()]
'''
GROUPED_FIGURES = '''
from pipeline.figures.metrics import METRICS, Metric, _plain, count, last_twelve_months, rate

def issue_flags(ledger, issues):
    done = issues["done"]
    return {"on_time": done & (issues["resolved_on"] <= issues["due"]),
            "overdue": ~done & ~issues["withdrawn"] & (issues["due"] < ledger.as_of)}

def _figures(row):
    return {"on_time_rate": rate(row["on_time"], row["done"]),
            "median_days_to_resolve": Metric(_plain(row["days_median"]), None, row["days_n"])}
'''
A_RATE = '''
share = issues["done"].sum() / len(issues)
escalated = {"done": int(escalated["done"].sum())}
statuses = Counter(r["status"] for r in records)
satisfied = evaluations["rating"] >= 3
'''


@pytest.mark.parametrize("source,want", [
    (HOME_TREND, [("aggregate", 'year_month(issues[\'raised_on\']).value_counts()'),
                  ("aggregate", "year_month(issues.loc[issues['done'], 'resolved_on']).value_counts()"),
                  ("aggregate", "table['raised'].idxmax()")]),
    (GROUPED_FIGURES, [("metric", "from pipeline.figures.metrics import _plain"),
                       ("metric", "from pipeline.figures.metrics import count"),
                       ("metric", "from pipeline.figures.metrics import rate"),
                       ("predicate", "issues['resolved_on'] <= issues['due']"),
                       ("predicate", "issues['due'] < ledger.as_of"),
                       ("metric", "rate(row['on_time'], row['done'])"),
                       ("metric", "Metric(_plain(row['days_median']), None, row['days_n'])"),
                       ("metric", "_plain(row['days_median'])")]),
    (A_RATE, [("aggregate", "issues['done'].sum()"), ("divide", "issues['done'].sum() / len(issues)"),
              ("aggregate", "escalated['done'].sum()"), ("predicate", "evaluations['rating'] >= 3"),
              ("aggregate", "Counter((r['status'] for r in records))")]),
], ids=["home-trend", "grouped-figures", "a-rate"])
def test_the_check_finds_what_render_used_to_compute(source, want):
    assert sorted(computations(source)) == sorted(want)


def test_the_check_leaves_formatting_alone():
    formatting = '''
label = f"{metric.value * 100:.1f}%"
small = metric.denominator < SMALL_SAMPLE
rows = [r for r in rows if r["figures"]["issues_raised"].value]
busiest = max(rows, key=lambda r: r["raised"])
'''
    assert computations(formatting) == []


# --- templates only format --------------------------------------------------------------------------

TEMPLATES = RENDER / "templates"


def template_arithmetic(source: str) -> list[str]:
    """Subtractions and divisions of two values in a Jinja template: a difference or quotient of two
    values is a figure. Layout against a constant written in the template (``left - 6``, an indent of
    ``depth - 1``), ``* 100`` to print a fraction as a percentage and ``+`` joining lists are not."""
    from jinja2 import Environment, nodes

    tree = Environment().parse(source)
    return [type(node).__name__ for node in tree.find_all((nodes.Sub, nodes.Div, nodes.FloorDiv))
            if not isinstance(node.left, nodes.Const) and not isinstance(node.right, nodes.Const)]


def test_templates_compute_a_figure():
    templates = sorted(TEMPLATES.glob("*.j2"))
    assert len(templates) > 20
    found = {path.name: template_arithmetic(path.read_text(encoding="utf-8")) for path in templates}
    assert {name: ops for name, ops in found.items() if ops} == {}


def test_the_template_check_finds_a_difference():
    # outcomes_negative.md.j2 used to print the 差评 not rectified as a difference of the rate's terms.
    old = ("{{ (row.rectified.denominator - row.rectified.numerator) | number }} {{ a / b }} {{ x * 100 }}"
           "{{ left - 6 }}")
    assert template_arithmetic(old) == ["Sub", "Div"]
